/** What the cart (or order) costs, as the server priced it (src/domain/pricing.ts): subtotal, each discount, shipping, taxes, total. */
import { Fragment } from 'preact';
import type { Schemas } from '../api/client';
import { Price } from './bits';

type PriceBreakdown = Schemas['PriceBreakdown'];

export function Breakdown({ pricing, itemCount }: { pricing: PriceBreakdown; itemCount: number }) {
  return (
    <dl class="breakdown">
      <dt>Subtotal ({itemCount} {itemCount === 1 ? 'item' : 'items'})</dt><dd><Price money={pricing.subtotal} /></dd>
      {pricing.discounts.map((d) => (
        <Fragment key={d.promotionId}>
          <dt>{d.name}{d.code ? ` (${d.code})` : ''}</dt>
          <dd class="discount">−<Price money={d.amount} /></dd>
        </Fragment>
      ))}
      <dt>Shipping{pricing.shipping ? ` (${pricing.shipping.name})` : ''}</dt>
      <dd>{pricing.shipping ? <Price money={pricing.shipping.total} /> : <span class="muted">Chosen at checkout</span>}</dd>
      {pricing.taxes.map((t) => (
        <Fragment key={t.name}>
          <dt>{t.name}{pricing.pricesIncludeTax ? ' (included)' : ''}</dt>
          <dd><Price money={t.amount} /></dd>
        </Fragment>
      ))}
      <dt class="total">Total</dt><dd class="total"><Price money={pricing.total} /></dd>
    </dl>
  );
}
