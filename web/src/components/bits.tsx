/** Small pieces every page uses: an error in the API's words, a loading line, a price. */
import type { ComponentChildren } from 'preact';
import type { Money } from '../api/client';

export function ErrorNote({ error }: { error: unknown }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  return <p class="error" role="alert">{message}</p>;
}

export function Loading({ what }: { what: string }) {
  return <p class="loading" role="status" aria-live="polite">Loading {what}…</p>;
}

export function Price({ money }: { money: Money | null | undefined }) {
  return money ? <span class="price">{money.formatted}</span> : <span class="price muted">Not sold in this currency</span>;
}

export function Notice({ children }: { children: ComponentChildren }) {
  return <p class="notice" role="status">{children}</p>;
}

export function stockText(available: number): { text: string; tone: 'ok' | 'low' | 'out' } {
  if (available <= 0) return { text: 'Out of stock', tone: 'out' };
  if (available <= 5) return { text: `Only ${available} left`, tone: 'low' };
  return { text: 'In stock', tone: 'ok' };
}
