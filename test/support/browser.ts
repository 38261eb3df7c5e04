/**
 * The storefront in a real browser: Debian's Chromium driven by puppeteer-core, against the API of
 * the test file (which serves the built storefront at /shop), on loopback only. Pages are checked
 * with axe-core, injected into the page, for serious and critical accessibility violations.
 */
import { readFileSync } from 'node:fs';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { CHROMIUM_FLAGS, findChromium } from '../../src/cli/chromium';

const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/**
 * The browser globals the page-side functions below use, typed here because this Node project has no
 * DOM types; each function casts `globalThis` to it inside the page (the cast is erased when it is sent).
 */
interface El {
  innerText: string; textContent: string | null; disabled?: boolean;
  querySelector(sel: string): El | null; querySelectorAll(sel: string): ArrayLike<El>; cloneNode(deep: boolean): El; remove(): void;
}
interface PageGlobals {
  document: { body: { innerText: string }; documentElement: { scrollWidth: number }; querySelectorAll(sel: string): ArrayLike<El> };
  innerWidth: number;
  axe?: { run(ctx: unknown, o: object): Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] }> };
}

export const PHONE = { width: 375, height: 740, isMobile: true, hasTouch: true, deviceScaleFactor: 1 };
export const DESKTOP = { width: 1280, height: 900 };

export async function launchBrowser(): Promise<Browser> {
  return puppeteer.launch({ executablePath: findChromium(), headless: true,
    // Only the API under test: any other host is refused by the browser itself, so nothing leaves the machine.
    args: [...CHROMIUM_FLAGS, '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'] });
}

export interface Shopper { page: Page; errors: string[] }

/** A fresh browser context (no storage shared with other shoppers) at the given size; page errors are collected for the test to assert on. */
export async function newShopper(browser: Browser, viewport = DESKTOP): Promise<Shopper> {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  await page.setViewport(viewport);
  // axe-core is injected as a script the page's CSP would refuse.
  await page.setBypassCSP(true);
  page.setDefaultTimeout(20_000);
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push((err as Error).message));
  return { page, errors };
}

/** Waits until the page shows `text` (anywhere in its visible text); if it never does, the error says what the page showed. */
export async function waitForText(page: Page, text: string, timeout = 20_000): Promise<void> {
  try {
    await page.waitForFunction((t: string) => (globalThis as unknown as PageGlobals).document.body.innerText.includes(t), { timeout }, text);
  } catch (err) {
    const shown = await page.evaluate(() => (globalThis as unknown as PageGlobals).document.body.innerText).catch(() => '(unreadable)');
    throw new Error(`"${text}" did not show on ${page.url()} within ${timeout} ms; the page showed:\n${shown.slice(0, 2000)}`, { cause: err });
  }
}

/** Clicks the enabled button or link whose visible text is `text` (words only for screen readers, .visually-hidden, left out). */
export async function clickText(page: Page, text: string, selector = 'button, a'): Promise<void> {
  const handle = await page.waitForFunction((sel: string, t: string) => Array.from((globalThis as unknown as PageGlobals).document.querySelectorAll(sel))
    .find((el) => {
      const copy = el.cloneNode(true);
      for (const hidden of Array.from(copy.querySelectorAll('.visually-hidden'))) hidden.remove();
      return (copy.textContent ?? '').trim() === t && !el.disabled;
    }), {}, selector, text);
  await (handle.asElement() as unknown as { click(): Promise<void> }).click();
}

/** Types into the input labelled `label` (its <label> text begins with it). */
export async function fill(page: Page, label: string, value: string): Promise<void> {
  const handle = await page.waitForFunction((l: string) => Array.from((globalThis as unknown as PageGlobals).document.querySelectorAll('label'))
    .find((el) => (el.textContent ?? '').trim().startsWith(l))?.querySelector('input, select') ?? null, {}, label);
  const input = handle.asElement() as unknown as { type(v: string): Promise<void>; click(o: { clickCount: number }): Promise<void> };
  await input.click({ clickCount: 3 });
  await input.type(value);
}

/** Ticks the radio button or checkbox whose label contains `text`. */
export async function choose(page: Page, text: string): Promise<void> {
  const handle = await page.waitForFunction((t: string) => Array.from((globalThis as unknown as PageGlobals).document.querySelectorAll('label'))
    .find((el) => (el.textContent ?? '').includes(t))?.querySelector('input[type=radio], input[type=checkbox]') ?? null, {}, text);
  await (handle.asElement() as unknown as { click(): Promise<void> }).click();
}

export interface Violation { id: string; impact: string; help: string; nodes: string[] }

/** axe-core's serious and critical violations on the page as it is now. */
export async function seriousViolations(page: Page): Promise<Violation[]> {
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.addScriptTag({ content: AXE });
  return page.evaluate(async () => {
    const g = globalThis as unknown as PageGlobals;
    const result = await g.axe!.run(g.document, { resultTypes: ['violations'] });
    return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) }));
  });
}

/** True when the page is wider than its viewport (something forces a sideways scroll on a phone). */
export async function overflowsSideways(page: Page): Promise<boolean> {
  return page.evaluate(() => {
    const g = globalThis as unknown as PageGlobals;
    return g.document.documentElement.scrollWidth > g.innerWidth + 1;
  });
}
