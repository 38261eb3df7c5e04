/**
 * The header's search box, with suggestions as the shopper types (GET /products/suggestions): the
 * words completed or corrected from the catalog's own, and matching products. It follows the ARIA
 * combobox pattern: the list is a listbox the arrow keys move through while focus stays in the box
 * (aria-activedescendant); Enter opens what is chosen, or searches what is typed; Escape closes
 * the list, then clears the box. Requests wait for a pause in typing, and a request for words since
 * changed is aborted.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api, call } from '../api/client';

/** How long typing pauses before suggestions are asked for: most keystrokes then cost no request. */
const PAUSE_MS = 150;
const MIN_CHARS = 2;

interface Option { id: string; label: string; href: string; image?: string }
interface Suggestions { searches: Option[]; products: Option[] }

const NONE: Suggestions = { searches: [], products: [] };

export function SearchBox() {
  const { route, path, query } = useLocation();
  const [text, setText] = useState(path === '/shop/search' ? query.q ?? '' : '');
  const [found, setFound] = useState<Suggestions>(NONE);
  const [active, setActive] = useState(-1);
  const [open, setOpen] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  // The box shows the words of the search page it is on (a back button, a correction followed).
  useEffect(() => { if (path === '/shop/search') setText(query.q ?? ''); }, [path, query.q]);

  useEffect(() => {
    const words = text.trim();
    if (!open || words.length < MIN_CHARS) { setFound(NONE); return undefined; }
    const abort = new AbortController();
    const timer = setTimeout(() => {
      call(api.GET('/products/suggestions', { params: { query: { q: words, limit: 5 } }, signal: abort.signal })).then((data) => {
        setFound({
          searches: data.completions.map((c, i) => ({ id: `suggestion-search-${i}`, label: c, href: `/shop/search?q=${encodeURIComponent(c)}` })),
          products: data.products.map((p, i) => ({ id: `suggestion-product-${i}`, label: p.title, href: `/shop/products/${p.handle}`, image: p.image?.url })),
        });
        setActive(-1);
      }, () => {
        // Aborted (the words changed) or refused: no list, and the box still searches what is typed.
        if (!abort.signal.aborted) setFound(NONE);
      });
    }, PAUSE_MS);
    return () => { clearTimeout(timer); abort.abort(); };
  }, [text, open]);

  const options = [...found.searches, ...found.products];
  const expanded = open && options.length > 0;
  const close = () => { setOpen(false); setActive(-1); };
  const go = (href: string) => {
    close();
    input.current?.blur();
    route(href);
  };
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      if (!expanded) { setOpen(true); return; }
      // Past the last option or before the first, the box itself is active again (as the pattern has it).
      const next = active + (e.key === 'ArrowDown' ? 1 : -1);
      setActive(next >= options.length ? -1 : next < -1 ? options.length - 1 : next);
    } else if (e.key === 'Enter' && expanded && active >= 0) {
      e.preventDefault();
      go(options[active].href);
    } else if (e.key === 'Escape') {
      if (expanded) close();
      else setText('');
    } else if (e.key === 'Tab') {
      close();
    }
  };

  return (
    <form role="search" class="search-form" onSubmit={(e) => { e.preventDefault(); go(`/shop/search?q=${encodeURIComponent(text.trim())}`); }}>
      <div class="search-box">
        <label for="site-search" class="visually-hidden">Search the shop</label>
        <input id="site-search" ref={input} type="text" name="q" placeholder="Search: merino, linen, scarf…" value={text} autocomplete="off"
          spellcheck={false} role="combobox" aria-autocomplete="list" aria-expanded={expanded} aria-controls="search-suggestions"
          aria-activedescendant={expanded && active >= 0 ? options[active].id : undefined}
          onInput={(e) => { setText(e.currentTarget.value); setOpen(true); }} onKeyDown={onKeyDown}
          onFocus={() => setOpen(true)} onBlur={close} />
        <div id="search-suggestions" role="listbox" aria-label="Suggestions" class="suggestions" hidden={!expanded}>
          <Group title="Searches" options={found.searches} active={active} offset={0} go={go} />
          <Group title="Products" options={found.products} active={active} offset={found.searches.length} go={go} />
        </div>
        <p class="visually-hidden" role="status">
          {expanded ? `${options.length} suggestion${options.length === 1 ? '' : 's'}: the arrow keys go through them.` : ''}
        </p>
      </div>
      <button type="submit">Search</button>
    </form>
  );
}

function Group({ title, options, active, offset, go }: { title: string; options: Option[]; active: number; offset: number; go(href: string): void }) {
  if (!options.length) return null;
  const id = `suggestions-${title.toLowerCase()}`;
  return (
    <div role="group" aria-labelledby={id}>
      <div id={id} class="suggestions-title" role="presentation">{title}</div>
      {options.map((o, i) => (
        // mousedown keeps the focus in the box (a blur would close the list before the click lands).
        <div key={o.id} id={o.id} role="option" aria-selected={offset + i === active} class="suggestion"
          onMouseDown={(e) => e.preventDefault()} onClick={() => go(o.href)}>
          {o.image ? <img src={o.image} alt="" width={32} height={32} /> : null}
          <span>{o.label}</span>
        </div>
      ))}
    </div>
  );
}
