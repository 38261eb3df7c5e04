import type { Product } from '../api/client';
import { Price } from './bits';

/** The lowest price among a product's variants (they are all in the same currency). */
export function fromPrice(p: Product) {
  const prices = p.variants.map((v) => v.price).filter((m): m is NonNullable<typeof m> => m !== null);
  return prices.sort((a, b) => a.amount - b.amount)[0] ?? null;
}

export function ProductCard({ product, eager }: { product: Product; eager?: boolean }) {
  const image = product.images[0];
  const inStock = product.variants.some((v) => v.available > 0);
  return (
    <li class="card">
      <a href={`/shop/products/${product.handle}`}>
        <div class="card-image">
          {image ? <img src={image.url} alt={image.alt || product.title} width={320} height={320} loading={eager ? 'eager' : 'lazy'} />
            : <div class="placeholder" aria-hidden="true" />}
        </div>
        <h3>{product.title}</h3>
      </a>
      <p><Price money={fromPrice(product)} />{inStock ? null : <span class="stock out"> · Out of stock</span>}</p>
    </li>
  );
}
