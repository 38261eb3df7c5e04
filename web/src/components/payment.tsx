/**
 * How the shopper pays: with the simulated provider, a picker of its test cards (each says what it
 * does); with Stripe, Stripe Elements' card field, whose PaymentMethod id goes to checkout.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, call } from '../api/client';
import { ErrorNote, Loading } from './bits';
import { useData } from './use-data';

type Pick = () => Promise<string>;

export function PaymentPicker({ onChange }: { onChange: (pick: Pick) => void }) {
  const config = useData(() => call(api.GET('/storefront/config')), []);
  if (config.error) return <ErrorNote error={config.error} />;
  if (!config.data) return <Loading what="payment options" />;
  const { provider, testCards, publishableKey } = config.data.payments;
  if (provider === 'stripe' && publishableKey) return <StripeCard publishableKey={publishableKey} onChange={onChange} />;
  if (provider === 'stripe') return <p class="error">Card payments are not set up on this shop (no Stripe publishable key).</p>;
  return <TestCards cards={testCards} onChange={onChange} />;
}

function TestCards({ cards, onChange }: { cards: { paymentMethod: string; label: string; outcome: string }[]; onChange: (pick: Pick) => void }) {
  const [picked, setPicked] = useState(cards[0]?.paymentMethod);
  useEffect(() => { if (picked) onChange(async () => picked); }, [picked]);
  return (
    <fieldset class="cards">
      <legend>Payment: test cards</legend>
      <p class="muted">This shop uses a simulated card processor. Pick a card to see what happens.</p>
      {cards.map((c) => (
        <label key={c.paymentMethod} class="choice card-choice">
          <input type="radio" name="card" value={c.paymentMethod} checked={picked === c.paymentMethod} onChange={() => setPicked(c.paymentMethod)} />
          <span><strong>{c.label}</strong> <span class="muted">{c.outcome} · <code>{c.paymentMethod}</code></span></span>
        </label>
      ))}
    </fieldset>
  );
}

interface StripeJs {
  elements(): { create(kind: 'card'): { mount(el: HTMLElement): void; destroy(): void } };
  createPaymentMethod(o: { type: 'card'; card: unknown }): Promise<{ paymentMethod?: { id: string }; error?: { message: string } }>;
}

/** Stripe.js from Stripe's own host (it must be; the CSP allows it), loaded only when Stripe takes the cards. */
function loadStripe(key: string): Promise<StripeJs> {
  const global = window as unknown as { Stripe?: (key: string) => StripeJs };
  if (global.Stripe) return Promise.resolve(global.Stripe(key));
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = 'https://js.stripe.com/v3/';
    script.onload = () => (global.Stripe ? resolve(global.Stripe(key)) : reject(new Error('Stripe.js did not load.')));
    script.onerror = () => reject(new Error('The card form could not be loaded from Stripe. Check your connection and reload the page.'));
    document.head.appendChild(script);
  });
}

function StripeCard({ publishableKey, onChange }: { publishableKey: string; onChange: (pick: Pick) => void }) {
  const mount = useRef<HTMLDivElement>(null);
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    let card: ReturnType<ReturnType<StripeJs['elements']>['create']> | undefined;
    loadStripe(publishableKey).then((stripe) => {
      card = stripe.elements().create('card');
      card.mount(mount.current!);
      onChange(async () => {
        const { paymentMethod, error: refused } = await stripe.createPaymentMethod({ type: 'card', card });
        if (!paymentMethod) throw new Error(refused?.message ?? 'The card was not accepted.');
        return paymentMethod.id;
      });
    }, setError);
    return () => card?.destroy();
  }, [publishableKey]);
  return (
    <fieldset>
      <legend>Payment: card</legend>
      <div ref={mount} class="stripe-card" />
      <ErrorNote error={error} />
    </fieldset>
  );
}
