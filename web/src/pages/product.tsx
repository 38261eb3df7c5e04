import { useMemo, useState } from 'preact/hooks';
import { api, call, type ProductDetail } from '../api/client';
import { addToCart } from '../cart';
import { ErrorNote, Loading, Notice, Price, stockText } from '../components/bits';
import { useData, useTitle } from '../components/use-data';
import { currency, useObservable } from '../state';

export function ProductPage({ handle }: { handle: string }) {
  const shown = useObservable(currency);
  const product = useData(() => call(api.GET('/products/{idOrSlug}', { params: { path: { idOrSlug: handle }, query: { currency: shown } } })), [handle, shown]);
  useTitle(product.data?.title ?? 'Product');
  if (product.error) return <section><h1>Product</h1><ErrorNote error={product.error} /></section>;
  if (!product.data) return <section><h1>Product</h1><Loading what="the product" /></section>;
  return <ProductView key={product.data.id} product={product.data} />;
}

function ProductView({ product }: { product: ProductDetail }) {
  const firstInStock = product.variants.find((v) => v.available > 0) ?? product.variants[0];
  const [picked, setPicked] = useState<Record<string, string>>(firstInStock?.options ?? {});
  const [quantity, setQuantity] = useState(1);
  const [state, setState] = useState<{ busy?: boolean; error?: unknown; added?: string }>({});
  const variant = useMemo(() => product.variants.find((v) => Object.entries(picked).every(([k, val]) => v.options[k] === val)), [picked, product]);
  const stock = variant ? stockText(variant.available) : undefined;
  const image = product.images.find((i) => variant && Object.values(variant.options).some((o) => i.alt.includes(o))) ?? product.images[0];

  const add = async () => {
    if (!variant) return;
    setState({ busy: true });
    try {
      await addToCart(variant.sku, quantity);
      setState({ added: `${quantity} × ${product.title} (${variant.title}) added to your cart.` });
    } catch (error) {
      setState({ error });
    }
  };

  return (
    <article class="product">
      <div class="product-image">
        {image ? <img src={image.url} alt={image.alt || product.title} width={560} height={560} /> : <div class="placeholder" aria-hidden="true" />}
      </div>
      <div class="product-info">
        <h1>{product.title}</h1>
        <p class="product-price"><Price money={variant?.price} /></p>
        <p>{product.description}</p>
        {product.options.map((option) => (
          <fieldset key={option.name} class="option">
            <legend>{option.name}: <strong>{picked[option.name]}</strong></legend>
            <div class="option-values">
              {option.values.map((value) => {
                const match = product.variants.find((v) => v.options[option.name] === value
                  && Object.entries(picked).every(([k, val]) => k === option.name || v.options[k] === val));
                return (
                  <button key={value} type="button" class="option-value" aria-pressed={picked[option.name] === value}
                    onClick={() => { setPicked({ ...picked, [option.name]: value }); setState({}); }}>
                    {value}{match && match.available <= 0 ? <span class="visually-hidden"> (out of stock)</span> : null}
                  </button>
                );
              })}
            </div>
          </fieldset>
        ))}
        {stock ? <p class={`stock ${stock.tone}`}>{stock.text}</p> : <p class="stock out">This combination is not made</p>}
        <div class="add-row">
          <label>Quantity <input type="number" min={1} max={Math.max(1, Math.min(999, variant?.available ?? 1))} value={quantity}
            onInput={(e) => setQuantity(Math.max(1, Number(e.currentTarget.value) || 1))} /></label>
          <button type="button" class="button primary" disabled={!variant || variant.available <= 0 || !variant.price || state.busy} onClick={add}>
            {state.busy ? 'Adding…' : 'Add to cart'}
          </button>
        </div>
        <ErrorNote error={state.error} />
        {state.added ? <Notice>{state.added} <a href="/shop/cart">View cart</a></Notice> : null}
        {product.categories.length + product.collections.length > 0 ? (
          <p class="muted">In {[...product.categories.map((c) => c.name), ...product.collections.map((c) => c.title)].join(', ')}</p>
        ) : null}
      </div>
    </article>
  );
}
