// <tastebud-recs>: private, in-browser recommendations for any page (README, "Embedding").
//
// The engine is Rust (crates/widget, through wasm-bindgen's `--target web` glue next to this
// file); this module fetches, renders into a Shadow DOM and talks to the host page. Catalog text
// is only ever set as textContent, and links are the catalog's after `is_safe_url` (checked again
// here once resolved). Every failure stays in the widget: a short message and `tastebud:error`.
//
// The engine comes in two builds: tastebud_widget.js for a catalog and model in whole files, and
// tastebud_published.js, which also reads a publication in shards (`published="manifest.json"`).
// A page loads one: the second when a widget on it, or `Tastebud.recommend`, names a publication.

const TEXT = {
  en: {
    items: 'Recommended for you',
    interests: 'Interests to explore',
    similar: 'Similar items',
    'recently-viewed': 'Recently viewed',
    trending: 'Trending now',
    members: 'Members\' favourites',
    'bought-together': 'Frequently bought together',
    cart: 'Goes with your cart',
    brands: 'Hot-search brands',
    loading: 'Loading recommendations…',
    failed: 'Recommendations are unavailable right now.',
    empty: 'Nothing to recommend yet.',
  },
  zh: {
    items: '为你推荐',
    interests: '值得探索的兴趣',
    similar: '相似商品',
    'recently-viewed': '最近看过',
    trending: '当前热门',
    members: '会员私藏',
    'bought-together': '经常一起购买',
    cart: '与购物车搭配',
    brands: '热搜品牌',
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
progress { display: block; width: 100%; max-width: 24em; height: .5em; margin: .2em 0 .6em;
  accent-color: var(--tb-accent, #b4532a); }
progress[hidden] { display: none !important; }
`;

let wasm;
/** The engine module's exports, once loaded. */
let mod;
/** Whether the page asked for a publication before the engine loaded. */
let publishedAsked = false;
const engines = new Map();
const widgets = new Set();
/** Keys of engines `Tastebud.recommend` used: kept for the page's life, as its caller may ask again. */
const pinned = new Set();

/** Loads the engine's wasm once per page, with the page's consent setting applied before
 * anything is read or stored; a failed load is retried by the next caller. */
function ready() {
  wasm ??= (async () => {
    // Literal paths, so bundlers find both builds.
    const m = publishedAsked || document.querySelector('tastebud-recs[published]')
      ? await import('./tastebud_published.js').then(async (m) => {
        await m.default({ module_or_path: new URL('./tastebud_published_bg.wasm', import.meta.url) });
        return m;
      })
      : await import('./tastebud_widget.js').then(async (m) => {
        await m.default({ module_or_path: new URL('./tastebud_widget_bg.wasm', import.meta.url) });
        return m;
      });
    mod = m;
    wasmLoaded = true;
    applyConsent();
  })().catch((e) => {
    wasm = undefined;
    throw new Error(`the Tastebud engine could not be loaded (${e.message ?? e})`);
  });
  return wasm;
}

/** Consent settings, least strict first (README, "Consent and the law"). */
const CONSENT = ['none', 'auto', 'required'];
let wasmLoaded = false;
let configured = null;
let applied = '';
let watching = false;

/** The page's consent setting and retention: the strictest of `Tastebud.configure`'s and every
 * widget's `consent` attribute, and the shortest `retention-days` (0: the default, 13 months).
 * Never looser than what was applied before: a widget that leaves the page (a route change)
 * does not let the visit be stored without consent. */
let strictest = { mode: 'none', days: 0 };
function consentPolicy() {
  let mode = strictest.mode;
  let days = strictest.days;
  if (CONSENT.indexOf(configured?.consent) > CONSENT.indexOf(mode)) mode = configured.consent;
  if (configured?.retentionDays > 0 && (!days || configured.retentionDays < days)) days = configured.retentionDays;
  for (const w of document.querySelectorAll('tastebud-recs')) {
    const m = (w.getAttribute('consent') ?? '').trim().toLowerCase();
    if (m && !CONSENT.includes(m)) console.warn(`tastebud: consent="${m}" is not none, required or auto; ignored`);
    if (CONSENT.indexOf(m) > CONSENT.indexOf(mode)) mode = m;
    const d = Number(w.getAttribute('retention-days'));
    if (d > 0 && (!days || d < days)) days = d;
  }
  return { mode, days };
}

/** Hands the consent setting to the engine when it changes; under `auto`, starts reading the
 * page's consent signals. */
function applyConsent() {
  if (!wasmLoaded) return;
  const { mode, days } = consentPolicy();
  if (`${mode} ${days}` === applied) return;
  // The first setting comes before anything is read; a later change shows what it allows.
  const change = applied !== '';
  applied = `${mode} ${days}`;
  strictest = { mode, days };
  mod.configureConsent(mode, days);
  if (mode === 'auto' && !watching) {
    watching = true;
    import('./tastebud-consent.js')
      .then(({ watchConsent }) => watchConsent(decide))
      .catch((e) => console.warn(`tastebud: the page's consent signals could not be read (${e.message ?? e})`));
  }
  if (change) refreshAll();
}

/** A consent decision, from a signal or `Tastebud.consent`: stores, or erases and stops
 * storing. Fires `tastebud:consent` on the document. */
function decide(granted, source = 'api') {
  // Signals decide only under `auto`; under `required` only the page's own call does.
  if (source !== 'api' && strictest.mode !== 'auto') return;
  const storing = mod.setConsent(Boolean(granted));
  document.dispatchEvent(new CustomEvent('tastebud:consent', { detail: { granted: Boolean(granted), source, storing } }));
  refreshAll();
}

/** Catalogs whose model has at least this many items are parsed and ranked in a Web Worker
 * (README, "Big catalogs"), so the page never stalls; a widget's `worker` attribute ("on",
 * "off", default "auto") overrides it. */
export const WORKER_MIN_ITEMS = 20000;
/** How long a worker may take to load its engine before the widget ranks on the page instead. */
const WORKER_START_MS = 15000;

/** How long a download may go without a byte (no answer, or a body that stops) before the
 * widget gives up with `tastebud:error`. */
export const STALL_SECONDS = 20;
/** The largest catalog or model file the widget loads (the CLI's `MAX_MODEL_BYTES`, 1 GiB). */
export const MAX_FILE_BYTES = 2 ** 30;
/** Most bytes reserved up front from a `Content-Length`; past this the buffer grows with the
 * bytes that actually arrive, so a server announcing gigabytes cannot claim the memory at once. */
const RESERVE_MAX = 64 * 2 ** 20;

/** Aborts `abort` once `STALL_SECONDS` pass without `progress()`; `why(url, fallback)` then
 * names the stall instead of the abort. */
function watchdog(abort) {
  let timer;
  let fired = false;
  const progress = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      fired = true;
      abort.abort();
    }, STALL_SECONDS * 1000);
  };
  progress();
  return {
    progress,
    stop: () => clearTimeout(timer),
    why: (url, fallback) => (fired ? `${url} sent nothing for ${STALL_SECONDS} s; the server may be down or overloaded` : fallback),
  };
}

async function fetched(url, what, signal, dog) {
  let response;
  try {
    response = await fetch(url, { signal });
  } catch {
    throw new Error(dog.why(url, `the ${what} could not be fetched from ${url}`));
  }
  dog.progress();
  if (!response.ok) throw new Error(`the ${what} could not be fetched from ${url} (HTTP ${response.status})`);
  return response;
}

/** The length a response's body will have, or 0 when unknown. A compressed response's
 * Content-Length counts the compressed bytes; another origin's Content-Encoding is hidden unless
 * that server exposes it, so there a length is trusted only while the bytes stay within it. */
function bodyLength(response) {
  if (response.headers.get('content-encoding')) return 0;
  return Number(response.headers.get('content-length')) || 0;
}

/** The whole body of `response`, read as it streams in: `onChunk(bytes)` after each chunk. The
 * result's buffer holds exactly the body, ready to transfer; at most one copy is made, and only
 * when the length was not known in advance. */
async function readBody(response, url, what, expected, onChunk, dog) {
  const tooBig = () => new Error(`the ${what} at ${url} is larger than ${MAX_FILE_BYTES / 2 ** 20} MB, the most Tastebud loads`);
  if (expected > MAX_FILE_BYTES) throw tooBig();
  if (!response.body) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    onChunk(bytes.length);
    return bytes;
  }
  const reader = response.body.getReader();
  let into = expected && expected <= RESERVE_MAX ? new Uint8Array(expected) : null;
  const chunks = [];
  let loaded = 0;
  for (;;) {
    let read;
    try {
      read = await reader.read();
    } catch {
      throw new Error(dog.why(url, `the ${what} download from ${url} was interrupted`));
    }
    const { done, value } = read;
    if (done) break;
    dog.progress();
    if (loaded + value.length > MAX_FILE_BYTES) {
      reader.cancel().catch(() => {});
      throw tooBig();
    }
    if (into && loaded + value.length > into.length) {
      // More than announced (a compressed body): keep what came, collect the rest.
      chunks.push(into.subarray(0, loaded));
      into = null;
    }
    if (into) into.set(value, loaded);
    else chunks.push(value);
    loaded += value.length;
    onChunk(value.length);
  }
  if (into) return loaded === into.length ? into : into.slice(0, loaded);
  const bytes = new Uint8Array(loaded);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return bytes;
}

/** Downloads the catalog and the model together: `onProgress(loaded, total)` after each chunk,
 * over both files (`total` 0 when unknown). A failure of either cancels the other. */
async function downloadShop(catalog, model, onProgress) {
  const abort = new AbortController();
  const dog = watchdog(abort);
  try {
    const responses = await Promise.all([
      fetched(catalog, 'catalog', abort.signal, dog),
      fetched(model, 'model', abort.signal, dog),
    ]);
    const lengths = responses.map(bodyLength);
    const total = lengths.every((n) => n > 0) ? lengths[0] + lengths[1] : 0;
    let loaded = 0;
    const onChunk = (n) => {
      loaded += n;
      onProgress(loaded, loaded <= total ? total : 0);
    };
    return await Promise.all([
      readBody(responses[0], catalog, 'catalog', lengths[0], onChunk, dog),
      readBody(responses[1], model, 'model', lengths[1], onChunk, dog),
    ]);
  } catch (e) {
    abort.abort();
    throw e;
  } finally {
    dog.stop();
  }
}

/** The item count in a model file's header (docs/model-format.md), or 0 if it has none: the
 * engine then reports what is wrong with the file. */
function modelItems(bytes) {
  if (bytes.length < 16) return 0;
  const length = new DataView(bytes.buffer, bytes.byteOffset, 16).getUint32(12, true);
  if (16 + length > bytes.length) return 0;
  try {
    return Number(JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + length))).items) || 0;
  } catch {
    return 0;
  }
}

function catalogText(bytes) {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new Error('the catalog is not UTF-8 text');
  }
}

/** Says in the console which catalog items the engine left out, and why. */
function warnLeftOut(warnings) {
  for (const w of warnings ?? []) console.warn(`tastebud: ${w}`);
}

/** The engine on the page's main thread: small catalogs, or where no worker can start. */
class PageEngine {
  where = 'page';
  #recommender;

  constructor(catalog, model) {
    this.#recommender = new mod.Recommender(catalogText(catalog), model);
    warnLeftOut(this.#recommender.warnings());
  }

  async recommend(mode, limit, lang, item, rules) {
    if (!this.#recommender) throw new Error('this engine was released');
    const [log, prefs] = mod.visitorSnapshot();
    return JSON.parse(this.#recommender.recommendFor(log, prefs, mode, limit, lang, item, rules));
  }

  close() {
    this.#recommender?.free();
    this.#recommender = null;
  }
}

/** The widget's one stylesheet, adopted by every widget's shadow root: a constructed sheet is
 * not inline CSS, so it applies under `style-src 'self'`. Browsers without constructable
 * stylesheets get a <style> element. */
let sheet;
function adoptStyles(shadow) {
  if (shadow.adoptedStyleSheets && typeof CSSStyleSheet === 'function' && 'replaceSync' in CSSStyleSheet.prototype) {
    if (!sheet) {
      sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
    }
    shadow.adoptedStyleSheets = [sheet];
    return;
  }
  const style = document.createElement('style');
  style.textContent = CSS;
  shadow.append(style);
}

/** The Trusted Types policy the worker's script URL goes through, on pages that require Trusted
 * Types (`require-trusted-types-for 'script'`; allow it with `trusted-types tastebud`). It passes
 * only the widget's own worker script and the one-line shim that imports it. */
let policy;
const workerURLs = new Set();
function workerURL(url) {
  if (!globalThis.trustedTypes?.createPolicy) return url;
  workerURLs.add(url);
  policy ??= trustedTypes.createPolicy('tastebud', {
    createScriptURL: (u) => {
      if (!workerURLs.has(u)) throw new TypeError(`tastebud: ${u} is not the widget's worker`);
      return u;
    },
  });
  return policy.createScriptURL(url);
}

/** Starts tastebud-worker.js. A worker must come from the page's origin, so a widget served from
 * elsewhere starts it through a same-origin module that imports it. */
function spawnWorker() {
  const url = new URL('./tastebud-worker.js', import.meta.url);
  if (url.origin === location.origin) {
    return { worker: new Worker(workerURL(url.href), { type: 'module' }), shim: null };
  }
  const shim = URL.createObjectURL(new Blob([`import ${JSON.stringify(url.href)};`], { type: 'text/javascript' }));
  return { worker: new Worker(workerURL(shim), { type: 'module' }), shim };
}

/** What to check when no worker could start, from why it failed. */
function workerHint(failed) {
  if (/trusted ?type/i.test(failed)) {
    return "The page requires Trusted Types: allow the widget's policy with `trusted-types tastebud` in its Content-Security-Policy.";
  }
  if (new URL('./tastebud-worker.js', import.meta.url).origin !== location.origin) {
    return 'A widget served from another origin needs CORS on tastebud-worker.js and a page CSP that allows blob: workers.';
  }
  return "Check that the page's Content-Security-Policy allows workers from this origin (worker-src or script-src) and that tastebud-worker.js is served.";
}

/** The engine in a Web Worker: the catalog and model are transferred to it and parsed there; each
 * request carries the visitor's log, which stays in this page's storage. */
class WorkerEngine {
  where = 'worker';
  #worker;
  #calls = new Map();
  #next = 0;

  /** A started worker with its engine's wasm loaded, or why none could start (a
   * Content-Security-Policy without blob: workers, a CDN without CORS for the worker script, or
   * no answer within `WORKER_START_MS`). */
  static async start() {
    let spawned;
    try {
      spawned = spawnWorker();
    } catch (e) {
      return { failed: String(e?.message ?? e) };
    }
    const { worker, shim } = spawned;
    const failed = await new Promise((ok) => {
      const timer = setTimeout(() => ok(`no answer within ${WORKER_START_MS / 1000} s`), WORKER_START_MS);
      const done = (why) => {
        clearTimeout(timer);
        ok(why);
      };
      worker.onmessage = ({ data }) => done(data.type === 'ready' ? null : data.message ?? 'it failed to start');
      worker.onerror = (e) => {
        e.preventDefault();
        done(e.message || 'its script could not be loaded');
      };
    });
    if (shim) URL.revokeObjectURL(shim);
    if (failed) {
      worker.terminate();
      return { failed };
    }
    return { engine: new WorkerEngine(worker) };
  }

  constructor(worker) {
    this.#worker = worker;
    worker.onmessage = ({ data }) => {
      const call = this.#calls.get(data.id);
      if (!call) return;
      this.#calls.delete(data.id);
      if (data.ok) call.ok(data);
      else call.fail(new Error(data.message));
    };
    worker.onerror = (e) => {
      e.preventDefault();
      this.#failAll(new Error(`the Tastebud worker stopped (${e.message || 'unknown error'})`));
    };
  }

  /** Stops the worker, which frees everything it held. */
  close() {
    this.#worker.terminate();
    this.#failAll(new Error('this engine was released'));
  }

  #failAll(error) {
    for (const call of this.#calls.values()) call.fail(error);
    this.#calls.clear();
  }

  #call(message, transfer = []) {
    const id = ++this.#next;
    return new Promise((ok, fail) => {
      this.#calls.set(id, { ok, fail });
      this.#worker.postMessage({ ...message, id }, transfer);
    });
  }

  /** Hands the downloaded files over (their buffers move to the worker) and parses them there. */
  async load(catalog, model) {
    try {
      const { warnings } = await this.#call({ type: 'load', catalog: catalog.buffer, model: model.buffer }, [catalog.buffer, model.buffer]);
      warnLeftOut(warnings);
    } catch (e) {
      this.#worker.terminate();
      throw e;
    }
  }

  async recommend(mode, limit, lang, item, rules) {
    const [log, prefs] = mod.visitorSnapshot();
    const { json } = await this.#call({ type: 'recommend', log, prefs, mode, limit, lang, item, rules });
    return JSON.parse(json);
  }
}

/** Download progress of every engine that is loading: `progress` events with
 * `{ key, loaded, total }`, `key` being the engine's. */
const downloads = new EventTarget();

/** The setting a `worker` attribute or option stands for: "on", "off" or "auto". */
function workerOf(setting) {
  return ['on', 'off'].includes(setting) ? setting : 'auto';
}

/** The key of the engine for a catalog, a model and a worker setting: widgets that agree on all
 * three share one engine (one download, one parse, one worker). Engines live as long as the page. */
const engineKey = (catalog, model, worker) => `${catalog}\n${model}\n${workerOf(worker)}`;

function engine(catalog, model, worker) {
  const key = engineKey(catalog, model, worker);
  if (!engines.has(key)) {
    const report = (loaded, total) =>
      downloads.dispatchEvent(new CustomEvent('progress', { detail: { key, loaded, total } }));
    const setting = workerOf(worker);
    const loading = (async () => {
      const [[catalogBytes, modelBytes]] = await Promise.all([downloadShop(catalog, model, report), ready()]);
      const big = modelItems(modelBytes) >= WORKER_MIN_ITEMS;
      if (setting === 'on' || (setting === 'auto' && big)) {
        const started = typeof Worker === 'function' ? await WorkerEngine.start() : { failed: 'this browser has no Web Workers' };
        if (started.engine) {
          await started.engine.load(catalogBytes, modelBytes);
          return started.engine;
        }
        console.warn(`Tastebud: ranking on the main thread, as no Web Worker could be started (${started.failed}). ${workerHint(started.failed)}`);
      }
      return new PageEngine(catalogBytes, modelBytes);
    })();
    // A failure is reported to every widget waiting on it; a later render tries again.
    loading.catch(() => engines.delete(key));
    engines.set(key, loading);
  }
  return engines.get(key);
}

/** The privacy mode a `privacy` attribute or option names (docs/privacy.md): `history` when
 * unset; anything else goes to the engine as written, which refuses what it does not know
 * rather than reading in a looser mode. */
const privacyOf = (setting) => (setting == null || String(setting).trim() === '' ? 'history' : String(setting).trim());
/** The key of a publication's engine: widgets with the same manifest and privacy share it. */
const publishedKey = (manifest, privacy) => `published\n${manifest}\n${privacyOf(privacy)}`;

function publishedEngine(manifest, privacy) {
  publishedAsked = true;
  const key = publishedKey(manifest, privacy);
  if (!engines.has(key)) {
    const report = (loaded, total) =>
      downloads.dispatchEvent(new CustomEvent('progress', { detail: { key, loaded, total } }));
    const loading = ready().then(async () => {
      if (!mod.Publication) {
        throw new Error('this page loaded the engine for whole files before a widget with published="..." appeared; give every widget on a page the same kind of source');
      }
      const { PublishedEngine } = await import('./tastebud-published.js');
      return PublishedEngine.load(manifest, privacyOf(privacy), report, { engine: mod, fetched, readBody, watchdog });
    });
    loading.catch(() => engines.delete(key));
    engines.set(key, loading);
  }
  return engines.get(key);
}

/** Releases, soon after a widget leaves the page or changes its sources, every engine that no
 * connected widget shows and `Tastebud.recommend` never used: a worker is stopped, a page engine
 * freed. The delay lets a widget that is only being moved in the DOM reconnect first. */
function releaseUnused() {
  setTimeout(() => {
    const shown = new Set([...widgets].map((w) => w.engineKey()));
    for (const [key, loading] of engines) {
      if (shown.has(key) || pinned.has(key)) continue;
      engines.delete(key);
      loading.then((e) => e.close(), () => {});
    }
  }, 0);
}

const absolute = (url) => new URL(url, document.baseURI).href;
const textFor = (lang) => (lang.toLowerCase().startsWith('zh') ? TEXT.zh : TEXT.en);
const hostLang = () => document.documentElement.lang || navigator.language || 'en';

function sources(options) {
  if (options.published) return { published: absolute(options.published) };
  const first = document.querySelector('tastebud-recs[catalog][model], tastebud-recs[published]');
  if (!options.catalog && !options.model && first?.hasAttribute('published')) {
    return { published: absolute(first.getAttribute('published')), privacy: first.getAttribute('privacy') };
  }
  const catalog = options.catalog ?? first?.getAttribute('catalog');
  const model = options.model ?? first?.getAttribute('model');
  if (!catalog || !model) throw new Error('Tastebud.recommend needs { catalog, model } URLs, { published } (a manifest.json URL) or a <tastebud-recs> on the page');
  return { catalog: absolute(catalog), model: absolute(model) };
}

/** The merchandising rules a widget's attributes or `recommend()`'s options set (README,
 * "Merchandising rules"), as the engine reads them: one `name=value` per line, a value's own line
 * breaks separating its entries as commas do. `get(name)` gives a rule's value: a string, a
 * number, or a list of them. */
const RULES = ['exclude', 'price-min', 'price-max', 'include-categories', 'exclude-categories', 'include-brands', 'exclude-brands', 'include-tags', 'exclude-tags', 'boost', 'pin'];
const rulesText = (get) => RULES.flatMap((name) => {
  const value = get(name);
  return value == null || value === '' ? [] : [`${name}=${[value].flat().join(', ').replace(/[\r\n]+/g, ', ')}`];
}).join('\n');

function limitOf(value, fallback) {
  const n = Number.parseInt(value, 10);
  return Number.isFinite(n) && n > 0 ? Math.min(n, 50) : fallback;
}

async function recommend(options = {}) {
  const found = sources(options);
  // The engine takes a mode and its fallbacks as one chain, "mode,fallback,...".
  const mode = [options.mode ?? 'items', options.fallback ?? ''].join(',');
  const lang = options.lang ?? hostLang();
  let loaded;
  if (found.published) {
    // By default, the setting of a widget on the page that shows the same publication.
    const twin = [...document.querySelectorAll('tastebud-recs[published]')]
      .find((w) => absolute(w.getAttribute('published')) === found.published);
    const privacy = options.privacy ?? found.privacy ?? twin?.getAttribute('privacy');
    pinned.add(publishedKey(found.published, privacy));
    loaded = await publishedEngine(found.published, privacy);
  } else {
    const { catalog, model } = found;
    // By default, the setting of a widget on the page that shows the same catalog and model.
    const twin = [...document.querySelectorAll('tastebud-recs[catalog][model]')]
      .find((w) => absolute(w.getAttribute('catalog')) === catalog && absolute(w.getAttribute('model')) === model);
    const worker = options.worker ?? twin?.getAttribute('worker');
    pinned.add(engineKey(catalog, model, worker));
    loaded = await engine(catalog, model, worker);
  }
  const rules = rulesText((name) => options[name.replace(/-(\w)/g, (_, c) => c.toUpperCase())]);
  return loaded.recommend(mode, limitOf(options.limit, 6), lang, options.item ?? undefined, rules);
}

function refreshAll() {
  for (const w of widgets) w.refresh();
}

/** The page-wide API; several widgets share its engine and the visitor's log. */
export const Tastebud = Object.freeze({
  /** Records an interaction (`view`, `like`, `add_to_cart`, ... or GA4's `view_item`, ...). */
  async track(itemId, kind = 'view', value) {
    await ready();
    mod.track(String(itemId ?? ''), String(kind), value == null ? undefined : Number(value));
    refreshAll();
  },
  /** Items (`mode: 'items'`) or interests (`mode: 'interests'`) with scores and explanations. */
  recommend,
  /** Forgets the visitor: every key Tastebud keeps in this origin's localStorage. */
  async erase() {
    await ready();
    mod.erase();
    refreshAll();
  },
  /** How many interactions are stored for this visitor. */
  async logged() {
    await ready();
    return mod.loggedEvents();
  },
  /** The visitor's decision from any consent banner, under `consent="required"` or `"auto"`:
   * `true` stores this visit and what follows, `false` erases everything stored. */
  async consent(granted) {
    await ready();
    if (consentPolicy().mode === 'none') {
      console.warn('tastebud: Tastebud.consent() applies with consent="required" or "auto"; this page stores without asking');
      return;
    }
    decide(granted);
  },
  /** Page-wide settings, for pages that call `Tastebud.recommend` without a `<tastebud-recs>`:
   * `{ consent: 'none' | 'required' | 'auto', retentionDays }`. Call it before `track`. */
  configure({ consent, retentionDays } = {}) {
    configured = {
      consent: CONSENT.includes(consent) ? consent : configured?.consent ?? 'none',
      retentionDays: Number(retentionDays) > 0 ? Number(retentionDays) : configured?.retentionDays ?? 0,
    };
    applyConsent();
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

/** The item each card shows, for analytics (weakly held: cards come and go). */
const shownItems = new WeakMap();

class TastebudRecs extends HTMLElement {
  static observedAttributes = ['catalog', 'model', 'published', 'privacy', 'limit', 'lang', 'mode', 'fallback', 'item', 'heading', 'item-base', 'worker', 'consent', 'retention-days', 'placement', ...RULES];

  #root;
  #heading;
  #status;
  #bar;
  #unwatch = null;
  #list;
  #renders = 0;
  #scheduled = false;
  #readyFired = false;
  /** The ids of the last list `tastebud:impression` reported, so a re-render of the same list
   * is not a second impression. */
  #impressed = '';
  /** The same for the last list pushed to the page's dataLayer (which waits for consent). */
  #layered = '';

  constructor() {
    super();
    const shadow = this.attachShadow({ mode: 'open' });
    adoptStyles(shadow);
    this.#root = el('section', 'container');
    this.#root.className = 'root';
    this.#heading = el('h2', 'heading');
    this.#heading.id = 'heading';
    this.#root.setAttribute('aria-labelledby', 'heading');
    this.#status = el('p', 'status');
    this.#status.className = 'status';
    this.#status.setAttribute('role', 'status');
    // While a model downloads; its accessible name is the loading text.
    this.#bar = el('progress', 'progress');
    this.#bar.hidden = true;
    this.#list = el('ul', 'list');
    this.#root.append(this.#heading, this.#status, this.#bar, this.#list);
    shadow.append(this.#root);
    shadow.addEventListener('click', (e) => this.#pick(e));
  }

  connectedCallback() {
    widgets.add(this);
    applyConsent();
    this.refresh();
  }

  disconnectedCallback() {
    widgets.delete(this);
    applyConsent();
    releaseUnused();
  }

  attributeChangedCallback(name) {
    if (!this.isConnected) return;
    if (name === 'consent' || name === 'retention-days') applyConsent();
    this.refresh();
    if (['catalog', 'model', 'published', 'privacy', 'worker'].includes(name)) releaseUnused();
  }

  /** The key of the engine this widget shows, or null without a catalog and model or a
   * publication. */
  engineKey() {
    const published = this.getAttribute('published');
    if (published) return publishedKey(absolute(published), this.getAttribute('privacy'));
    const [catalog, model] = [this.getAttribute('catalog'), this.getAttribute('model')];
    return catalog && model ? engineKey(absolute(catalog), absolute(model), this.getAttribute('worker')) : null;
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
    // An unknown mode is an error from the engine, not a quiet "items".
    const mode = (this.getAttribute('mode') || 'items').trim();
    this.#heading.textContent = this.getAttribute('heading') || text[mode] || '';
    this.#root.lang = lang;
    const catalog = this.getAttribute('catalog');
    const model = this.getAttribute('model');
    const published = this.getAttribute('published');
    if (!this.#list.childElementCount) this.#status.textContent = text.loading;
    this.#root.setAttribute('aria-busy', 'true');
    let unwatch = () => {};
    try {
      const base = absolute(this.getAttribute('item-base') || document.baseURI);
      let loaded;
      if (published) {
        const [manifest, privacy] = [absolute(published), this.getAttribute('privacy')];
        unwatch = this.#watchDownload(publishedKey(manifest, privacy), text.loading);
        loaded = await publishedEngine(manifest, privacy);
      } else {
        if (!catalog || !model) throw new Error('<tastebud-recs> needs catalog and model attributes, or published (a manifest.json URL)');
        const [catalogUrl, modelUrl, worker] = [absolute(catalog), absolute(model), this.getAttribute('worker')];
        unwatch = this.#watchDownload(engineKey(catalogUrl, modelUrl, worker), text.loading);
        loaded = await engine(catalogUrl, modelUrl, worker);
      }
      // The mode and its fallbacks, as one chain: "recently-viewed,items".
      const chain = [mode, this.getAttribute('fallback') ?? ''].join(',');
      const rules = rulesText((name) => this.getAttribute(name));
      const found = await loaded.recommend(chain, limitOf(this.getAttribute('limit'), 6), lang, this.getAttribute('item') ?? undefined, rules);
      if (token !== this.#renders) return;
      const list = mode === 'interests'
        ? found.map((interest) => this.#interest(interest, lang, base))
        : found.map((item) => this.#card(item, lang, base));
      this.#list.setAttribute('part', mode === 'interests' ? 'list interests' : 'list');
      this.#list.replaceChildren(...list);
      this.#impression(mode);
      this.#status.textContent = list.length ? '' : text.empty;
      this.#root.removeAttribute('aria-busy');
      if (!this.#readyFired) {
        this.#readyFired = true;
        this.#emit('tastebud:ready', { mode, count: list.length, engine: loaded.where });
      }
    } catch (e) {
      if (token !== this.#renders) return;
      this.#list.replaceChildren();
      this.#status.textContent = text.failed;
      this.#root.removeAttribute('aria-busy');
      this.#emit('tastebud:error', { message: String(e?.message ?? e) });
    } finally {
      unwatch();
      if (token === this.#renders) this.#bar.hidden = true;
    }
  }

  /** Shows the download progress of the engine `key` (a bar, and `tastebud:progress` events with
   * `{ loaded, total }` bytes, `total` 0 when unknown) until the returned function is called. One
   * subscription per widget: a render that starts while another waits takes it over. */
  #watchDownload(key, label) {
    this.#unwatch?.();
    const show = ({ detail }) => {
      if (detail.key !== key) return;
      this.#bar.hidden = false;
      this.#bar.setAttribute('aria-label', label);
      if (detail.total > 0) {
        this.#bar.max = detail.total;
        this.#bar.value = detail.loaded;
      } else {
        this.#bar.removeAttribute('value');
      }
      this.#emit('tastebud:progress', { loaded: detail.loaded, total: detail.total });
    };
    downloads.addEventListener('progress', show);
    const unwatch = () => {
      downloads.removeEventListener('progress', show);
      if (this.#unwatch === unwatch) this.#unwatch = null;
    };
    this.#unwatch = unwatch;
    return unwatch;
  }

  /** The list's name for analytics: its `placement` attribute, or its mode. */
  #placement(mode = (this.getAttribute('mode') || 'items').trim()) {
    return (this.getAttribute('placement') || '').trim() || mode;
  }

  /** Numbers the cards 1, 2, ... in reading order and reports the list once: `tastebud:impression`
   * with the placement and each item's id and position, and with analytics="datalayer" GA4's
   * `view_item_list` on the page's own `window.dataLayer`. Nothing goes anywhere else. */
  #impression(mode) {
    const links = [...this.#list.querySelectorAll('.card-link')];
    links.forEach((link, i) => { link.dataset.position = String(i + 1); });
    const placement = this.#placement(mode);
    const key = [placement, ...links.map((l) => l.dataset.itemId)].join('\n');
    if (!links.length) {
      this.#impressed = this.#layered = '';
      return;
    }
    if (key !== this.#impressed) {
      this.#impressed = key;
      this.#emit('tastebud:impression', { placement, items: links.map((l) => ({ id: l.dataset.itemId, position: Number(l.dataset.position) })) });
    }
    if (key !== this.#layered && this.#dataLayer('view_item_list', placement, links)) this.#layered = key;
  }

  /** With analytics="datalayer": a GA4 e-commerce event on `window.dataLayer` (created if the
   * page has none), after clearing the previous e-commerce object as GA4 asks. The items shown
   * come from the visitor's own activity, so they are pushed only while the visitor's consent
   * (under `consent="required"` or `"auto"`) lets the widget store that activity. */
  #dataLayer(event, placement, links) {
    if ((this.getAttribute('analytics') || '').trim().toLowerCase() !== 'datalayer') return false;
    if (!mod?.storing()) return false;
    const name = this.getAttribute('heading') || this.#heading.textContent || placement;
    const items = links.map((link) => {
      const item = shownItems.get(link) ?? {};
      const ga = { item_id: link.dataset.itemId, item_name: item.title ?? '', index: Number(link.dataset.position) - 1, item_list_id: placement, item_list_name: name };
      if (item.category) ga.item_category = item.category;
      if (item.price > 0) Object.assign(ga, { price: item.price, currency: item.currency });
      return ga;
    });
    const layer = (window.dataLayer = window.dataLayer || []);
    layer.push({ ecommerce: null });
    layer.push({ event, ecommerce: { item_list_id: placement, item_list_name: name, items } });
    return true;
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
    shownItems.set(link, item);
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
    const placement = this.#placement();
    const position = Number(link.dataset.position) || 0;
    this.#dataLayer('select_item', placement, [link]);
    const go = this.dispatchEvent(new CustomEvent('tastebud:select', {
      bubbles: true, composed: true, cancelable: true, detail: { id, url, placement, position },
    }));
    if (!go) event.preventDefault();
    // GA4's select_item: a click on a recommendation. Storage trouble must not block the link.
    try {
      mod?.track(id, 'click', undefined);
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
