// <tastebud-recs>: private, in-browser recommendations for any page (README, "Embedding").
//
// The engine is Rust (crates/widget, through wasm-bindgen's `--target web` glue next to this
// file); this module fetches, renders into a Shadow DOM and talks to the host page. Catalog text
// is only ever set as textContent, and links are the catalog's after `is_safe_url` (checked again
// here once resolved). Every failure stays in the widget: a short message and `tastebud:error`.
import init, { Recommender, track as trackEvent, erase as eraseLog, loggedEvents } from './tastebud_widget.js';

const TEXT = {
  en: {
    items: 'Recommended for you',
    interests: 'Interests to explore',
    loading: 'Loading recommendations…',
    failed: 'Recommendations are unavailable right now.',
    empty: 'Nothing to recommend yet.',
  },
  zh: {
    items: '为你推荐',
    interests: '值得探索的兴趣',
    loading: '正在加载推荐…',
    failed: '暂时无法显示推荐。',
    empty: '暂无推荐。',
  },
};

const CSS = `
:host { display: block !important; contain: content; }
:host([hidden]) { display: none !important; }
.root {
  all: initial; display: block; box-sizing: border-box;
  font-family: var(--tb-font, system-ui, -apple-system, "Segoe UI", "PingFang SC", sans-serif);
  font-size: var(--tb-font-size, 15px); line-height: 1.4; color: var(--tb-text, #1f2328);
}
.root * { box-sizing: border-box; }
h2 { all: unset; display: block; font-weight: 650; font-size: 1.1em; margin: 0 0 .6em; }
h3 { all: unset; display: block; font-weight: 600; margin: 0 0 .2em; }
ul { all: unset; display: flex; gap: .75em; overflow-x: auto; padding: 2px 2px .5em; }
li { all: unset; display: block; flex: 0 0 var(--tb-card-width, 180px); }
.interest { flex-basis: calc(var(--tb-card-width, 180px) * 1.6); padding: .75em;
  border: 1px solid var(--tb-border, #d8dde3); border-radius: var(--tb-radius, 12px); background: var(--tb-surface, #fff); }
.interest ul { gap: .5em; }
.interest li { flex-basis: calc(var(--tb-card-width, 180px) * .7); }
.card-link { all: unset; display: flex; flex-direction: column; gap: .3em; height: 100%; cursor: pointer;
  padding: .6em; border: 1px solid var(--tb-border, #d8dde3); border-radius: var(--tb-radius, 12px);
  background: var(--tb-surface, #fff); color: inherit; }
.card-link:hover { border-color: var(--tb-accent, #b4532a); }
.card-link:focus-visible { outline: 3px solid var(--tb-accent, #b4532a); outline-offset: 2px; }
.picture { display: block; aspect-ratio: 4 / 3; border-radius: calc(var(--tb-radius, 12px) * .6);
  background: hsl(var(--tb-hue, 30) 55% 88%); }
.title { font-weight: 600; }
.price { color: var(--tb-accent, #b4532a); font-weight: 600; }
.why { font-size: .85em; color: var(--tb-muted, #57606a); }
.status { all: unset; display: block; font-size: .9em; color: var(--tb-muted, #57606a); }
.status:empty { display: none; }
`;

let wasm;
const engines = new Map();
const widgets = new Set();

/** Loads the engine's wasm once per page; a failed load is retried by the next caller. */
function ready() {
  wasm ??= init({ module_or_path: new URL('./tastebud_widget_bg.wasm', import.meta.url) }).catch((e) => {
    wasm = undefined;
    throw new Error(`the Tastebud engine could not be loaded (${e.message ?? e})`);
  });
  return wasm;
}

async function fetched(url, what) {
  let response;
  try {
    response = await fetch(url);
  } catch {
    throw new Error(`the ${what} could not be fetched from ${url}`);
  }
  if (!response.ok) throw new Error(`the ${what} could not be fetched from ${url} (HTTP ${response.status})`);
  return response;
}

/** One loaded engine per (catalog URL, model URL), shared by every widget and `recommend`. */
function engine(catalog, model) {
  const key = `${catalog}\n${model}`;
  if (!engines.has(key)) {
    const loading = Promise.all([
      ready(),
      fetched(catalog, 'catalog').then((r) => r.text()),
      fetched(model, 'model').then((r) => r.arrayBuffer()),
    ]).then(([, text, bytes]) => new Recommender(text, new Uint8Array(bytes)));
    // A failure is reported to every widget waiting on it; a later render tries again.
    loading.catch(() => engines.delete(key));
    engines.set(key, loading);
  }
  return engines.get(key);
}

const absolute = (url) => new URL(url, document.baseURI).href;
const textFor = (lang) => (lang.toLowerCase().startsWith('zh') ? TEXT.zh : TEXT.en);
const hostLang = () => document.documentElement.lang || navigator.language || 'en';

function sources(options) {
  const first = document.querySelector('tastebud-recs[catalog][model]');
  const catalog = options.catalog ?? first?.getAttribute('catalog');
  const model = options.model ?? first?.getAttribute('model');
  if (!catalog || !model) throw new Error('Tastebud.recommend needs { catalog, model } URLs or a <tastebud-recs> on the page');
  return [absolute(catalog), absolute(model)];
}

function limitOf(value, fallback) {
  const n = Number.parseInt(value, 10);
  return Number.isFinite(n) && n > 0 ? Math.min(n, 50) : fallback;
}

async function recommend(options = {}) {
  const [catalog, model] = sources(options);
  const recommender = await engine(catalog, model);
  const mode = options.mode ?? 'items';
  const lang = options.lang ?? hostLang();
  return JSON.parse(recommender.recommend(mode, limitOf(options.limit, 6), lang));
}

function refreshAll() {
  for (const w of widgets) w.refresh();
}

/** The page-wide API; several widgets share its engine and the visitor's log. */
export const Tastebud = Object.freeze({
  /** Records an interaction (`view`, `like`, `add_to_cart`, ... or GA4's `view_item`, ...). */
  async track(itemId, kind = 'view', value) {
    await ready();
    trackEvent(String(itemId ?? ''), String(kind), value == null ? undefined : Number(value));
    refreshAll();
  },
  /** Items (`mode: 'items'`) or interests (`mode: 'interests'`) with scores and explanations. */
  recommend,
  /** Forgets the visitor: every key Tastebud keeps in this origin's localStorage. */
  async erase() {
    await ready();
    eraseLog();
    refreshAll();
  },
  /** How many interactions are stored for this visitor. */
  async logged() {
    await ready();
    return loggedEvents();
  },
});

function el(tag, part, text) {
  const e = document.createElement(tag);
  if (part) e.setAttribute('part', part);
  if (text != null) e.textContent = text;
  return e;
}

function money(amount, currency, lang) {
  try {
    return new Intl.NumberFormat(lang, { style: 'currency', currency }).format(amount);
  } catch {
    return `${amount.toFixed(2)} ${currency}`;
  }
}

class TastebudRecs extends HTMLElement {
  static observedAttributes = ['catalog', 'model', 'limit', 'lang', 'mode', 'heading', 'item-base'];

  #root;
  #heading;
  #status;
  #list;
  #renders = 0;
  #scheduled = false;
  #readyFired = false;

  constructor() {
    super();
    const shadow = this.attachShadow({ mode: 'open' });
    const style = document.createElement('style');
    style.textContent = CSS;
    this.#root = el('section', 'container');
    this.#root.className = 'root';
    this.#heading = el('h2', 'heading');
    this.#heading.id = 'heading';
    this.#root.setAttribute('aria-labelledby', 'heading');
    this.#status = el('p', 'status');
    this.#status.className = 'status';
    this.#status.setAttribute('role', 'status');
    this.#list = el('ul', 'list');
    this.#root.append(this.#heading, this.#status, this.#list);
    shadow.append(style, this.#root);
    shadow.addEventListener('click', (e) => this.#pick(e));
  }

  connectedCallback() {
    widgets.add(this);
    this.refresh();
  }

  disconnectedCallback() {
    widgets.delete(this);
  }

  attributeChangedCallback() {
    if (this.isConnected) this.refresh();
  }

  #lang() {
    return this.getAttribute('lang') || hostLang();
  }

  /** Re-renders from the current log (batched; the newest render wins). */
  refresh() {
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      this.#render();
    });
  }

  async #render() {
    const token = ++this.#renders;
    const lang = this.#lang();
    const text = textFor(lang);
    const mode = this.getAttribute('mode') === 'interests' ? 'interests' : 'items';
    this.#heading.textContent = this.getAttribute('heading') || text[mode];
    this.#root.lang = lang;
    const catalog = this.getAttribute('catalog');
    const model = this.getAttribute('model');
    if (!this.#list.childElementCount) this.#status.textContent = text.loading;
    this.#root.setAttribute('aria-busy', 'true');
    try {
      if (!catalog || !model) throw new Error('<tastebud-recs> needs catalog and model attributes');
      const base = absolute(this.getAttribute('item-base') || document.baseURI);
      const found = await recommend({ catalog, model, mode, lang, limit: this.getAttribute('limit') });
      if (token !== this.#renders) return;
      const list = mode === 'items'
        ? found.map((item) => this.#card(item, lang, base))
        : found.map((interest) => this.#interest(interest, lang, base));
      this.#list.setAttribute('part', mode === 'items' ? 'list' : 'list interests');
      this.#list.replaceChildren(...list);
      this.#status.textContent = list.length ? '' : text.empty;
      this.#root.removeAttribute('aria-busy');
      if (!this.#readyFired) {
        this.#readyFired = true;
        this.#emit('tastebud:ready', { mode, count: list.length });
      }
    } catch (e) {
      if (token !== this.#renders) return;
      this.#list.replaceChildren();
      this.#status.textContent = text.failed;
      this.#root.removeAttribute('aria-busy');
      this.#emit('tastebud:error', { message: String(e?.message ?? e) });
    }
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { bubbles: true, composed: true, detail }));
  }

  #card(item, lang, base) {
    const li = el('li', 'card');
    li.dataset.itemId = item.id;
    li.dataset.category = item.category;
    const url = item.url ? new URL(item.url, base) : null;
    const link = url && (url.protocol === 'https:' || url.protocol === 'http:') ? el('a', 'link') : el('button', 'link');
    if (link.localName === 'a') link.href = url.href;
    else link.type = 'button';
    link.className = 'card-link';
    link.dataset.itemId = item.id;
    const picture = el('span', 'picture');
    picture.className = 'picture';
    picture.setAttribute('aria-hidden', 'true');
    picture.style.setProperty('--tb-hue', String(Number(item.hue) || 0));
    const title = el('span', 'title', item.title);
    title.className = 'title';
    link.append(picture, title);
    if (item.price > 0) {
      const price = el('span', 'price', money(item.price, item.currency, lang));
      price.className = 'price';
      link.append(price);
    }
    if (item.why) {
      const why = el('span', 'why', item.why);
      why.className = 'why';
      link.append(why);
    }
    li.append(link);
    return li;
  }

  #interest(interest, lang, base) {
    const li = el('li', 'interest');
    li.className = 'interest';
    li.dataset.category = interest.category;
    const name = el('h3', 'interest-name', interest.name);
    const items = el('ul', 'interest-items');
    items.setAttribute('aria-label', interest.name);
    items.append(...interest.items.map((item) => this.#card(item, lang, base)));
    li.append(name);
    if (interest.why) {
      const why = el('p', 'why', interest.why);
      why.className = 'why';
      li.append(why);
    }
    li.append(items);
    return li;
  }

  /** A click or Enter on a card: `tastebud:select` (cancelable), then the link, if any. */
  #pick(event) {
    const link = event.target.closest?.('.card-link');
    if (!link) return;
    const id = link.dataset.itemId;
    const url = link.localName === 'a' ? link.href : null;
    const go = this.dispatchEvent(new CustomEvent('tastebud:select', {
      bubbles: true, composed: true, cancelable: true, detail: { id, url },
    }));
    if (!go) event.preventDefault();
    // GA4's select_item: a click on a recommendation. Storage trouble must not block the link.
    try {
      trackEvent(id, 'click', undefined);
    } catch {
      /* the visitor still gets where they were going */
    }
    if (!go) refreshAll();
  }
}

// The language follows the host page's <html lang> unless a widget sets its own.
new MutationObserver(refreshAll).observe(document.documentElement, { attributes: true, attributeFilter: ['lang'] });
// Another tab (or the storefront) changed the visitor's log.
addEventListener('storage', (e) => {
  if (e.key === null || e.key.startsWith('tastebud:')) refreshAll();
});

window.Tastebud = Tastebud;
if (!customElements.get('tastebud-recs')) customElements.define('tastebud-recs', TastebudRecs);
