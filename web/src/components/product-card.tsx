import type { Schemas } from '../api/client';
import { Price } from './bits';

export function ProductCard({ product, eager }: { product: Schemas['ProductCard']; eager?: boolean }) {
  const image = product.images[0];
  const inStock = product.variants.some((v) => v.inStock);
  return (
    <li class="card">
      <a href={`/shop/products/${product.handle}`}>
        <div class="card-image">
          {image ? <img src={image.url} alt={image.alt || product.title} width={320} height={320} loading={eager ? 'eager' : 'lazy'} />
            : <div class="placeholder" aria-hidden="true" />}
        </div>
        <h3>{product.title}</h3>
      </a>
      <p>{product.priceFrom ? <>From <Price money={product.priceFrom} /></> : <Price money={null} />}{inStock ? null : <span class="stock out"> · Out of stock</span>}</p>
    </li>
  );
}
