// The embeddable widget as a host site meets it: the plain HTML pages in examples/ on one origin,
// the widget (dist/widget/) served from another origin (another port, with CORS), the demo
// catalog and model beside the pages, in Debian's Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { serve, launch, screenshot, demoCatalog, cards } from './support.mjs';

const dist = new URL('../../dist/', import.meta.url).pathname;
const LOG_KEY = 'tastebud:v1:log';
const BROWSER_NOISE = /Failed to load resource/;

let site;
let slowSite;
let cdn;
let browser;
let catalog;
let siteDir;

const hostPage = (body) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,">
<script type="module" src="../widget/tastebud-widget.js"></script></head><body>${body}</body></html>`;

/** Host pages written only for these tests, beside examples/. */
const TEST_PAGES = {
  'broken.html': hostPage(`
    <button id="host-button" onclick="this.dataset.clicks = +(this.dataset.clicks ?? 0) + 1">Host button</button>
    <span class="price" id="host-price">host text</span>
    <tastebud-recs id="missing" catalog="../data/catalog.json" model="../data/missing.tbm"></tastebud-recs>
    <tastebud-recs id="garbage" catalog="../data/catalog.json" model="../data/catalog.json"></tastebud-recs>
    <script>
      window.failures = [];
      document.addEventListener('tastebud:error', (e) => failures.push([e.target.id, e.detail.message]));
    </script>`),
  // One widget that may rank in a Web Worker ("on"), or must stay on the page ("off"), recording
  // where its engine ran and the download progress it reported.
  ...Object.fromEntries(['on', 'off'].map((worker) => [`worker-${worker}.html`, hostPage(`
    <tastebud-recs id="recs" worker="${worker}" limit="8" catalog="../data/catalog.json"
                   model="../data/model.tbm" item-base="../" exclude-categories="astronomy" boost="category:tea=3"></tastebud-recs>
    <script>
      window.ready = [];
      window.progress = [];
      document.addEventListener('tastebud:ready', (e) => ready.push(e.detail));
      document.addEventListener('tastebud:progress', (e) => progress.push(e.detail));
    </script>`)])),
  // Placements on an item page, over a copy of the demo catalog with some items out of stock
  // (stock/, written in before()).
  'placements.html': hostPage(`
    <tastebud-recs id="similar" mode="similar" item="pour-0001" limit="6" catalog="../stock/catalog.json" model="../stock/model.tbm"></tastebud-recs>
    <tastebud-recs id="recent" mode="recently-viewed" item="pour-0001" catalog="../stock/catalog.json" model="../stock/model.tbm"></tastebud-recs>
    <tastebud-recs id="foryou" limit="40" catalog="../stock/catalog.json" model="../stock/model.tbm"></tastebud-recs>
    <tastebud-recs id="typo" mode="simliar" catalog="../stock/catalog.json" model="../stock/model.tbm"></tastebud-recs>
    <tastebud-recs id="itemless" mode="similar" catalog="../stock/catalog.json" model="../stock/model.tbm"></tastebud-recs>
    <tastebud-recs id="together" mode="bought-together" item="pour-0001" catalog="../stock/catalog.json" model="../stock/model.tbm"></tastebud-recs>
    <tastebud-recs id="cart" mode="cart" fallback="trending" limit="4" catalog="../stock/catalog.json" model="../stock/model.tbm"></tastebud-recs>
    <tastebud-recs id="members" mode="members" lang="zh-CN" catalog="../stock/catalog.json" model="../stock/model.tbm"></tastebud-recs>
    <tastebud-recs id="brands" mode="brands" catalog="../stock/catalog.json" model="../stock/model.tbm"></tastebud-recs>
    <script>
      window.failures = [];
      document.addEventListener('tastebud:error', (e) => failures.push([e.target.id, e.detail.message]));
    </script>`),
  // Slots that must never be empty, for a visitor with no history.
  'fallback.html': hostPage(`
    <tastebud-recs id="popular" mode="recently-viewed" fallback="items" limit="4" catalog="../data/catalog.json" model="../data/model.tbm"></tastebud-recs>
    <tastebud-recs id="alike" mode="recently-viewed" fallback="similar, items" item="pour-0001" limit="4" catalog="../data/catalog.json" model="../data/model.tbm"></tastebud-recs>
    <tastebud-recs id="shaped" mode="items" fallback="interests" catalog="../data/catalog.json" model="../data/model.tbm"></tastebud-recs>
    <script>
      window.failures = [];
      document.addEventListener('tastebud:error', (e) => failures.push([e.target.id, e.detail.message]));
    </script>`),
  // Merchandising rules on four placements, and one rule the widget cannot read.
  'rules.html': hostPage(`
    <tastebud-recs id="coffee" include-categories="pour-over, home-espresso" limit="4" catalog="../data/catalog.json" model="../data/model.tbm"></tastebud-recs>
    <tastebud-recs id="budget" mode="similar" item="pour-0001" price-max="20" limit="5" catalog="../data/catalog.json" model="../data/model.tbm"></tastebud-recs>
    <tastebud-recs id="merch" pin="keeb-0001@1" boost="category:bonsai=1000" limit="4" catalog="../data/catalog.json" model="../data/model.tbm"></tastebud-recs>
    <tastebud-recs id="recent" mode="recently-viewed" pin="advent-0001@1" exclude="pour-0003" catalog="../data/catalog.json" model="../data/model.tbm"></tastebud-recs>
    <tastebud-recs id="bad" boost="colour:red=2" catalog="../data/catalog.json" model="../data/model.tbm"></tastebud-recs>
    <script>
      window.failures = [];
      document.addEventListener('tastebud:error', (e) => failures.push([e.target.id, e.detail.message]));
    </script>`),
  // Two placements reporting to the page's own GA4 dataLayer, one of them under its own name.
  'analytics.html': hostPage(`
    <script>window.dataLayer = [{ event: 'gtm.js' }];</script>
    <tastebud-recs id="home" analytics="datalayer" placement="home-for-you" heading="For you" limit="4" catalog="../data/catalog.json" model="../data/model.tbm"></tastebud-recs>
    <tastebud-recs id="alike" analytics="datalayer" mode="similar" item="pour-0001" limit="3" catalog="../data/catalog.json" model="../data/model.tbm"></tastebud-recs>
    <tastebud-recs id="quiet" mode="similar" item="mtn-camp-0003" limit="3" catalog="../data/catalog.json" model="../data/model.tbm"></tastebud-recs>
    <script>
      window.impressions = [];
      window.selects = [];
      document.addEventListener('tastebud:impression', (e) => impressions.push([e.target.id, e.detail]));
      document.addEventListener('tastebud:select', (e) => { e.preventDefault(); selects.push(e.detail); });
    </script>`),
  // A placement reporting to GA4 on a page that asks the visitor first.
  'analytics-consent.html': hostPage(`
    <tastebud-recs id="asked" consent="required" analytics="datalayer" mode="similar" item="pour-0001" limit="3" catalog="../data/catalog.json" model="../data/model.tbm"></tastebud-recs>
    <script>
      window.impressions = [];
      document.addEventListener('tastebud:impression', (e) => impressions.push(e.detail));
    </script>`),
  'stalled.html': hostPage(`
    <tastebud-recs id="hang" catalog="../data/catalog.json" model="../data/hang.tbm"></tastebud-recs>
    <tastebud-recs id="huge" catalog="../data/catalog.json" model="../data/huge.tbm"></tastebud-recs>
    <script>
      window.failures = [];
      document.addEventListener('tastebud:error', (e) => failures.push([e.target.id, e.detail.message, performance.now()]));
    </script>`),
  // Consent: one page per signal, each with a widget that waits for consent and controls that
  // stand in for the site's consent banner or CMP.
  'consent-api.html': hostPage(`
    <tastebud-recs consent="required" catalog="../data/catalog.json" model="../data/model.tbm"></tastebud-recs>
    <script>
      window.signal = (granted) => Tastebud.consent(granted);
    </script>`),
  'consent-gcm.html': hostPage(`
    <script>
      window.dataLayer = window.dataLayer || [];
      function gtag() { dataLayer.push(arguments); }
      gtag('consent', 'default', { ad_storage: 'denied', personalization_storage: 'denied' });
      window.signal = (granted) => gtag('consent', 'update', { personalization_storage: granted ? 'granted' : 'denied' });
      // Google's tag arrives later and wraps push, calling the push it found, as it does.
      setTimeout(() => {
        const found = dataLayer.push;
        dataLayer.push = function (...entries) {
          window.tagSaw = (window.tagSaw ?? 0) + entries.length;
          return found.apply(this, entries);
        };
        window.tagReady = true;
      }, 200);
    </script>
    <tastebud-recs consent="auto" catalog="../data/catalog.json" model="../data/model.tbm"></tastebud-recs>`),
  'consent-tcf.html': hostPage(`
    <script>
      // A CMP's __tcfapi as IAB TCF v2.2 specifies it (addEventListener, then a call per change).
      const listeners = [];
      window.__tcfapi = (command, version, callback) => {
        if (command === 'addEventListener' && version === 2) {
          listeners.push(callback);
          callback({ eventStatus: 'cmpuishown', gdprApplies: true, purpose: { consents: {} } }, true);
        }
      };
      window.signal = (granted) => listeners.forEach((cb) => cb({
        eventStatus: 'useractioncomplete', gdprApplies: true,
        purpose: { consents: granted ? { 1: true, 5: true, 6: true } : { 1: true } },
      }, true));
    </script>
    <tastebud-recs consent="auto" catalog="../data/catalog.json" model="../data/model.tbm"></tastebud-recs>`),
  'consent-shopify.html': hostPage(`
    <script>
      // Shopify's Customer Privacy API as a storefront theme has it, before the visitor answers.
      window.Shopify = { customerPrivacy: { currentVisitorConsent: () => ({ preferences: '' }) } };
      window.signal = (granted) => document.dispatchEvent(
        new CustomEvent('visitorConsentCollected', { detail: { preferencesAllowed: granted } }));
    </script>
    <tastebud-recs consent="auto" catalog="../data/catalog.json" model="../data/model.tbm"></tastebud-recs>`),
  'worker-broken.html': hostPage(`
    <tastebud-recs id="garbage" worker="on" catalog="../data/catalog.json" model="../data/catalog.json"></tastebud-recs>
    <script>
      window.failures = [];
      document.addEventListener('tastebud:error', (e) => failures.push([e.target.id, e.detail.message]));
    </script>`),
  'hostile.html': hostPage(`
    <style>
      * { color: red !important; display: block !important; font-size: 40px !important;
          background: yellow !important; font-family: serif !important; }
      ul, li, a, span, h2, p, section { display: none !important; }
      .card-link, .title, [part] { color: red !important; display: none !important; }
    </style>
    <tastebud-recs catalog="../data/catalog.json" model="../data/model.tbm"></tastebud-recs>`),
};

before(async () => {
  cdn = await serve(dist, '/cdn/', { headers: { 'access-control-allow-origin': '*' } });
  // The site: dist/ (storefront, data) with its host pages loading the widget from the CDN origin.
  // Rewritten on disk, not by request interception: Chromium treats an intercepted document as
  // outside the loopback address space and then refuses its requests to 127.0.0.1.
  siteDir = await mkdtemp(join(tmpdir(), 'tastebud-site-'));
  for (const entry of await readdir(dist)) {
    if (entry !== 'examples') await symlink(join(dist, entry), join(siteDir, entry));
  }
  await mkdir(join(siteDir, 'examples'));
  const pages = { ...TEST_PAGES };
  for (const f of await readdir(join(dist, 'examples'))) pages[f] = await readFile(join(dist, 'examples', f), 'utf8');
  for (const [f, html] of Object.entries(pages)) {
    await writeFile(join(siteDir, 'examples', f), html.replaceAll('../widget/tastebud-widget.js', `${cdn.url}widget/tastebud-widget.js`));
  }
  // The demo catalog with the items most like pour-0001 out of stock, beside the same model.
  await mkdir(join(siteDir, 'stock'));
  const stocked = JSON.parse(await readFile(join(dist, 'data', 'catalog.json'), 'utf8'));
  // The placements `tastebud catalog --log` would compute, written by hand.
  Object.assign(stocked, {
    trending: ['aqua-0001', 'pour-0002', 'bonsai-0001', 'keeb-0001', 'retro-0001'],
    members: ['advent-0001', 'boulder-0001'],
    search_brands: [stocked.items.find((i) => i.id === 'keeb-0001').brand],
    bought_with: [
      ['boulder-0002', 'boulder-0003'],
      ['mtn-camp-0005', 'mtn-camp-0006', 'pour-0007'],
      ['pour-0001', 'pour-0006', 'pour-0003', 'kitchen-0001'],
    ],
  });
  for (const item of stocked.items) {
    if (OUT_OF_STOCK.includes(item.id)) item.availability = 'out_of_stock';
  }
  await writeFile(join(siteDir, 'stock', 'catalog.json'), JSON.stringify(stocked));
  await symlink(join(dist, 'data', 'model.tbm'), join(siteDir, 'stock', 'model.tbm'));
  site = await serve(siteDir, '/site/');
  // The same site with its models trickling in, 4 KB every 40 ms.
  slowSite = await serve(siteDir, '/site/', { slow: { match: /\.tbm$/, chunk: 4096, delayMs: 40 } });
  browser = await launch();
  catalog = await demoCatalog();
});

after(async () => {
  await browser?.close();
  site?.close();
  slowSite?.close();
  cdn?.close();
  if (siteDir) await rm(siteDir, { recursive: true, force: true });
});

/** Items of pour-0001's niche marked out of stock in stock/catalog.json. */
const OUT_OF_STOCK = ['pour-0002', 'pour-0003', 'pour-0004', 'pour-0005'];

const inCategory = (id, n) => catalog.items.filter((i) => i.category === id).slice(0, n).map((i) => i.id);

/** Opens a page of the site under examples/ (none for `null`), recording requests that leave
 * the two origins and every page error. */
async function open(name, { init, from = site } = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
  if (init) await context.addInitScript(...init);
  const page = await context.newPage();
  const outside = [];
  const errors = [];
  page.on('request', (r) => {
    const url = r.url();
    if (![from.origin, cdn.origin, 'data:', 'blob:'].some((o) => url.startsWith(o))) outside.push(url);
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error' && !BROWSER_NOISE.test(m.text())) errors.push(m.text());
  });
  if (name) await page.goto(`${from.url}examples/${name}`);
  return { context, page, outside, errors };
}

const widgetCards = (widget) => widget.locator('li[part="card"]');
const ids = (widget) => widgetCards(widget).evaluateAll((els) => els.map((e) => e.dataset.itemId));
const storedLog = (page) => page.evaluate((k) => localStorage.getItem(k), LOG_KEY);

test('the widget and its wasm load from their own origin and fit the 150 KB gzip budget', async () => {
  let raw = 0;
  let gz = 0;
  for (const f of ['tastebud-widget.js', 'tastebud-worker.js', 'tastebud-consent.js', 'tastebud_widget.js', 'tastebud_widget_bg.wasm']) {
    const bytes = await readFile(join(dist, 'widget', f));
    raw += bytes.length;
    gz += gzipSync(bytes, { level: 9 }).length;
  }
  console.log(`widget: ${raw} bytes raw, ${gz} bytes gzipped`);
  assert.ok(gz <= 150 * 1024, `${gz} bytes gzipped`);
});

test('the product page tracks its view and two widgets render from one model download', async () => {
  const before = { site: site.requests.length, cdn: cdn.requests.length };
  const { context, page, outside, errors } = await open('product.html');
  const [items, strip] = [page.locator('tastebud-recs').nth(0), page.locator('tastebud-recs').nth(1)];
  await widgetCards(items).first().waitFor();
  await strip.locator('li[part="interest"]').first().waitFor();
  assert.equal(await widgetCards(items).count(), 6);
  assert.equal(await items.locator('[part="heading"]').innerText(), 'You may also like');
  assert.ok(!(await ids(items)).includes('pour-0001'), 'the viewed product is not recommended');
  await page.waitForFunction((k) => (localStorage.getItem(k) ?? '').includes('pour-0001'), LOG_KEY);
  const line = JSON.parse((await storedLog(page)).trim().split('\n').pop());
  assert.equal(line.item, 'pour-0001');
  assert.equal(line.kind, 'view');
  // The model, the catalog and the wasm were each fetched once, from the expected origins.
  const siteRequests = site.requests.slice(before.site);
  const cdnRequests = cdn.requests.slice(before.cdn);
  assert.equal(siteRequests.filter((u) => u.endsWith('/model.tbm')).length, 1, siteRequests.join(' '));
  assert.equal(siteRequests.filter((u) => u.endsWith('/catalog.json')).length, 1, siteRequests.join(' '));
  assert.equal(cdnRequests.filter((u) => u.endsWith('/tastebud_widget_bg.wasm')).length, 1, cdnRequests.join(' '));
  assert.equal(siteRequests.filter((u) => u.includes('/widget/')).length, 0, siteRequests.join(' '));
  // Attribute changes take effect without a reload.
  await items.evaluate((w) => w.setAttribute('limit', '3'));
  await page.waitForFunction((w) => w.shadowRoot.querySelectorAll('li[part="card"]').length === 3, await items.elementHandle());
  await screenshot(page, 'widget-product');
  assert.deepEqual(outside, []);
  assert.deepEqual(errors, []);
  await context.close();
});

test('track changes the recommendations, on the product page and on the blog', async () => {
  const { context, page, outside, errors } = await open('product.html');
  const items = page.locator('tastebud-recs').first();
  await widgetCards(items).first().waitFor();
  await page.waitForFunction((k) => (localStorage.getItem(k) ?? '').includes('pour-0001'), LOG_KEY);
  const first = await ids(items);
  const liked = inCategory('astronomy', 3);
  for (const id of liked) await page.evaluate((i) => Tastebud.track(i, 'add_to_wishlist'), id);
  await page.waitForFunction(
    ([w, old]) => [...w.shadowRoot.querySelectorAll('li[part="card"]')].map((e) => e.dataset.itemId).join() !== old,
    [await items.elementHandle(), first.join()]);
  const cats = await widgetCards(items).evaluateAll((els) => els.map((e) => e.dataset.category));
  assert.ok(cats.includes('astronomy'), cats.join(' '));
  assert.match(await items.locator('[part="why"]').first().innerText(), /Because you liked/);
  const explained = await page.evaluate(() => Tastebud.recommend({ limit: 3 }));
  assert.equal(explained.length, 3);
  assert.ok(explained.every((r) => typeof r.score === 'number' && r.why && r.id), JSON.stringify(explained));
  await assert.rejects(page.evaluate(() => Tastebud.track('x', 'teleport')), /unknown event kind/);

  // The blog strip, on the same origin, follows the same visitor.
  await page.goto(`${site.url}examples/blog.html`);
  const strip = page.locator('tastebud-recs');
  await strip.locator('li[part="interest"]').first().waitFor();
  assert.match(await strip.locator('[part~="why"]').first().innerText(), /Led here by/);
  const area = (id) => catalog.categories.find((c) => c.id === id).area;
  const first3 = await strip.locator('li[part="interest"]').evaluateAll((els) => els.map((e) => e.dataset.category));
  assert.ok(first3.some((c) => area(c) === area('astronomy')), first3.join(' '));
  await screenshot(page, 'widget-blog');
  assert.deepEqual(outside, []);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a fresh visitor on the blog sees the shop\'s niches, in the host page\'s language', async () => {
  const { context, page, outside, errors } = await open('blog.html');
  const strip = page.locator('tastebud-recs');
  await strip.locator('li[part="interest"]').first().waitFor();
  assert.equal(await strip.locator('li[part="interest"]').count(), 3);
  assert.equal(await strip.locator('[part="heading"]').innerText(), 'Interests to explore');
  await page.evaluate(() => { document.documentElement.lang = 'zh-CN'; });
  await strip.locator('[part="heading"]', { hasText: '值得探索的兴趣' }).waitFor();
  const zhName = catalog.categories.find((c) => c.niche).name['zh-CN'];
  assert.equal(await strip.locator('[part="interest-name"]').first().innerText(), zhName);
  // An explicit lang attribute wins over the page's.
  await strip.evaluate((w) => w.setAttribute('lang', 'en'));
  await strip.locator('[part="heading"]', { hasText: 'Interests to explore' }).waitFor();
  assert.equal(await storedLog(page), null, 'rendering alone stores nothing');
  assert.deepEqual(outside, []);
  assert.deepEqual(errors, []);
  await context.close();
});

test('picking a recommendation by click or Enter fires tastebud:select with its id and URL', async () => {
  const { context, page, errors } = await open('product.html');
  await page.evaluate(() => {
    window.picked = [];
    document.addEventListener('tastebud:select', (e) => {
      e.preventDefault();
      window.picked.push(e.detail);
    });
  });
  const items = page.locator('tastebud-recs').first();
  await widgetCards(items).first().waitFor();
  const [a] = await ids(items);
  await items.locator(`a[data-item-id="${a}"]`).click();
  // The clicked item is now seen, so the list re-ranks without it.
  await items.locator(`a[data-item-id="${a}"]`).waitFor({ state: 'detached' });
  const [b] = await ids(items);
  await items.locator(`a[data-item-id="${b}"]`).focus();
  await page.keyboard.press('Enter');
  const picked = await page.evaluate(() => window.picked);
  assert.deepEqual(picked, [
    { id: a, url: `${site.url}#/item/${a}`, placement: 'items', position: 1 },
    { id: b, url: `${site.url}#/item/${b}`, placement: 'items', position: 1 },
  ]);
  assert.equal(page.url(), `${site.url}examples/product.html`, 'preventDefault keeps the page');
  const clicks = (await storedLog(page)).trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.kind === 'click');
  assert.deepEqual(clicks.map((e) => e.item), [a, b]);
  // Screen readers: the region is named by its heading and each card link by its text.
  assert.equal(await page.getByRole('region', { name: 'You may also like' }).count(), 1);
  assert.match(await items.locator('a[part="link"]').first().innerText(), /\S/);
  // Without preventDefault the link is followed, to the storefront's item page.
  await page.evaluate(() => { window.picked = null; });
  await page.evaluate(() => document.addEventListener('tastebud:select', (e) => e.stopImmediatePropagation(), { capture: true }));
  await widgetCards(items).first().locator('a').click();
  await page.waitForURL(/#\/item\//);
  await page.locator('header.top').waitFor({ timeout: 20000 });
  assert.deepEqual(errors, []);
  await context.close();
});

test('a broken model shows a message in the widget and fires tastebud:error; the page and the log survive', async () => {
  // Recent: stored events older than the retention (13 months) are dropped on load.
  const log = `${JSON.stringify({ item: 'pour-0002', kind: 'like', timestamp: Math.floor(Date.now() / 1000) - 60 })}\n`;
  const init = ([k, v]) => { if (!localStorage.getItem(k)) localStorage.setItem(k, v); };
  const { context, page, outside, errors } = await open('broken.html', { init: [init, [LOG_KEY, log]] });
  await page.waitForFunction(() => window.failures?.length === 2);
  const failures = Object.fromEntries(await page.evaluate(() => window.failures));
  assert.match(failures.missing, /model could not be fetched .*missing\.tbm.*404/);
  assert.match(failures.garbage, /not a Tastebud model file/);
  for (const id of ['missing', 'garbage']) {
    assert.equal(await page.locator(`#${id} [part="status"]`).innerText(), 'Recommendations are unavailable right now.');
    assert.equal(await page.locator(`#${id} li[part="card"]`).count(), 0);
  }
  await page.click('#host-button');
  assert.equal(await page.locator('#host-button').getAttribute('data-clicks'), '1');
  assert.notEqual(await page.locator('#host-price').evaluate((e) => getComputedStyle(e).color), 'rgb(180, 83, 42)',
    "the widget's styles do not leak out");
  assert.equal(await storedLog(page), log, 'the stored log is untouched');
  await page.evaluate(() => Tastebud.track('pour-0003', 'view'));
  const events = (await storedLog(page)).trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(events.map((e) => [e.item, e.kind]), [['pour-0002', 'like'], ['pour-0003', 'view']],
    'tracking still works and keeps what was there');
  assert.deepEqual(outside, []);
  assert.deepEqual(errors, []);
  await context.close();
});

test('similar excludes the page item and the cart, recently viewed follows the visits, out of stock never shows', async () => {
  const now = Math.floor(Date.now() / 1000);
  const event = (item, kind, ago) => JSON.stringify({ item, kind, timestamp: now - ago });
  // Views (oldest first), one of an item now out of stock, and a carted item of the same niche.
  const log = [event('pour-0010', 'view', 300), event('pour-0004', 'view', 250), event('mtn-camp-0001', 'view', 200),
    event('pour-0011', 'add_to_cart', 150), event('pour-0001', 'view', 100), event('mtn-camp-0001', 'view', 50)].join('\n') + '\n';
  const init = ([k, v]) => { if (!localStorage.getItem(k)) localStorage.setItem(k, v); };
  const { context, page, outside, errors } = await open('placements.html', { init: [init, [LOG_KEY, log]] });
  const [similar, recent, foryou] = ['#similar', '#recent', '#foryou'].map((id) => page.locator(id));
  for (const w of [similar, recent, foryou]) await widgetCards(w).first().waitFor();
  await page.waitForFunction(() => window.failures?.length === 2);
  // Similar: pour-over items, never the item itself, the cart or what is out of stock.
  const like = await ids(similar);
  assert.equal(like.length, 6, like.join(' '));
  assert.ok(!like.includes('pour-0001') && !like.includes('pour-0011'), like.join(' '));
  assert.ok(like.filter((id) => id.startsWith('pour-')).length >= 4, like.join(' '));
  assert.equal(await similar.locator('[part="heading"]').innerText(), 'Similar items');
  assert.match(await widgetCards(similar).first().innerText(), /Similar to /);
  // Recently viewed: most recent first, each once, without the page's item or an out-of-stock one.
  assert.deepEqual(await ids(recent), ['mtn-camp-0001', 'pour-0010']);
  assert.match(await widgetCards(recent).first().innerText(), /You looked at this/);
  // No list shows an out-of-stock item.
  const everywhere = [...like, ...(await ids(recent)), ...(await ids(foryou))];
  assert.ok(everywhere.length > 40, everywhere.length);
  assert.deepEqual(everywhere.filter((id) => OUT_OF_STOCK.includes(id)), []);
  // A mistyped mode, and similar without an item, are errors that say what to do.
  const failures = Object.fromEntries(await page.evaluate(() => window.failures));
  assert.match(failures.typo, /unknown mode "simliar": a mode is .*similar/);
  assert.match(failures.itemless, /needs the page's item: item="ID"/);
  // Tastebud.recommend takes the same modes.
  const api = await page.evaluate(() => Tastebud.recommend({ catalog: '../stock/catalog.json', model: '../stock/model.tbm', mode: 'similar', item: 'mtn-camp-0001', limit: 3 }));
  assert.equal(api.length, 3);
  assert.ok(api.every((c) => c.id !== 'mtn-camp-0001' && c.because[0] === 'mtn-camp-0001'), JSON.stringify(api));
  await screenshot(page, 'widget-placements');
  assert.deepEqual(outside, []);
  assert.deepEqual(errors, []);
  await context.close();
});

test('bought-together follows the page item and the cart, trending fills the rest, the members\' list speaks Chinese', async () => {
  const { context, page, outside, errors } = await open('placements.html');
  const [together, cart, members] = ['#together', '#cart', '#members'].map((id) => page.locator(id));
  for (const w of [together, cart, members]) await widgetCards(w).first().waitFor();
  // What goes with the page's item, without what is out of stock.
  assert.deepEqual(await ids(together), ['pour-0006', 'kitchen-0001']);
  assert.equal(await together.locator('[part="heading"]').innerText(), 'Frequently bought together');
  const pour = catalog.items.find((i) => i.id === 'pour-0001');
  assert.match(await widgetCards(together).first().innerText(), new RegExp(`Often bought with ${pour.title.en}`));
  // An empty cart: trending fills the slot, without what is out of stock, saying why.
  assert.deepEqual(await ids(cart), ['aqua-0001', 'bonsai-0001', 'keeb-0001', 'retro-0001']);
  for (const text of await widgetCards(cart).allInnerTexts()) assert.match(text, /Popular this week/);
  // Carting an item brings what is bought with it first, and takes the carted item out.
  await page.evaluate(() => Tastebud.track('mtn-camp-0005', 'add_to_cart'));
  await page.waitForFunction((w) => w.shadowRoot.querySelector('li[part="card"]')?.dataset.itemId === 'mtn-camp-0006', await cart.elementHandle());
  assert.deepEqual(await ids(cart), ['mtn-camp-0006', 'pour-0007', 'aqua-0001', 'bonsai-0001']);
  // Buying a trending item takes it out of every list.
  await page.evaluate(() => Tastebud.track('aqua-0001', 'purchase'));
  await page.waitForFunction((w) => !w.shadowRoot.querySelector('li[data-item-id="aqua-0001"]'), await cart.elementHandle());
  // The members' list, in the widget's language.
  assert.deepEqual(await ids(members), ['advent-0001', 'boulder-0001']);
  assert.equal(await members.locator('[part="heading"]').innerText(), '会员私藏');
  assert.match(await widgetCards(members).first().innerText(), /忠实会员的最爱/);
  // A much-searched brand, by one of its items.
  const brands = page.locator('#brands');
  await widgetCards(brands).first().waitFor();
  const brand = catalog.items.find((i) => i.id === 'keeb-0001').brand;
  assert.equal(await widgetCards(brands).count(), 1);
  const [shown] = await ids(brands);
  assert.equal(catalog.items.find((i) => i.id === shown).brand, brand);
  assert.match(await widgetCards(brands).first().innerText(), new RegExp(`A much-searched brand: ${brand}`));
  assert.deepEqual(outside, []);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a fallback chain fills a slot that would be empty, each card saying why it is there', async () => {
  const { context, page, outside, errors } = await open('fallback.html');
  const [popular, alike] = ['#popular', '#alike'].map((id) => page.locator(id));
  for (const w of [popular, alike]) await widgetCards(w).first().waitFor();
  // Nothing viewed yet: the shop's popular items, labelled so.
  assert.equal(await widgetCards(popular).count(), 4);
  for (const text of await widgetCards(popular).allInnerTexts()) assert.match(text, /Popular in this shop/);
  // With the page's item, similar comes before popular.
  assert.equal(await widgetCards(alike).count(), 4);
  assert.ok(!(await ids(alike)).includes('pour-0001'));
  for (const text of await widgetCards(alike).allInnerTexts()) assert.match(text, /Similar to /);
  // A visit puts the viewed item first, and the rest still fills from the fallbacks.
  await page.evaluate(() => Tastebud.track('mtn-camp-0003', 'view'));
  await page.waitForFunction((w) => w.shadowRoot.querySelector('li[part="card"]')?.dataset.itemId === 'mtn-camp-0003', await popular.elementHandle());
  assert.equal(await widgetCards(popular).count(), 4);
  assert.match((await widgetCards(popular).allInnerTexts())[0], /You looked at this/);
  // Interests cannot stand in for items (the widget says so on every render).
  await page.waitForFunction(() => window.failures?.length >= 1);
  const [[id, message]] = await page.evaluate(() => window.failures);
  assert.equal(id, 'shaped');
  assert.match(message, /unknown mode "interests".*a fallback any of them but interests/);
  // The same chain through Tastebud.recommend.
  const api = await page.evaluate(() => Tastebud.recommend({ catalog: '../data/catalog.json', model: '../data/model.tbm', mode: 'similar', item: 'no-such-item', fallback: 'items', limit: 3 }));
  assert.equal(api.length, 3);
  assert.deepEqual(outside, []);
  assert.deepEqual(errors, []);
  await context.close();
});

test('merchandising rules filter, boost and pin every list, from attributes and from recommend() options', async () => {
  const now = Math.floor(Date.now() / 1000);
  const views = ['pour-0003', 'tea-0002'].map((item, n) => JSON.stringify({ item, kind: 'view', timestamp: now - 100 + n })).join('\n');
  const init = [([k, log]) => localStorage.setItem(k, log), [LOG_KEY, `${views}\n`]];
  const { context, page, outside, errors } = await open('rules.html', { init });
  const [coffee, budget, merch, recent] = ['#coffee', '#budget', '#merch', '#recent'].map((id) => page.locator(id));
  for (const w of [coffee, budget, merch, recent]) await widgetCards(w).first().waitFor();
  const item = (id) => catalog.items.find((i) => i.id === id);
  // Categories to include: the list is full, from those categories only.
  const brewing = await ids(coffee);
  assert.equal(brewing.length, 4);
  assert.ok(brewing.every((id) => ['pour-over', 'home-espresso'].includes(item(id).category)), brewing.join(' '));
  // A price ceiling on an item page: full, all at or below it, never the page's item.
  const cheap = await ids(budget);
  assert.equal(cheap.length, 5);
  assert.ok(cheap.every((id) => item(id).price <= 20 && id !== 'pour-0001'), cheap.join(' '));
  assert.ok(catalog.items.filter((i) => i.category === 'pour-over').some((i) => i.price > 20), 'the ceiling leaves something out');
  // A pin at the first place, then the boosted category ahead of everything else.
  const merchandised = await ids(merch);
  assert.equal(merchandised[0], 'keeb-0001');
  assert.deepEqual(merchandised.slice(1).map((id) => item(id).category), ['bonsai', 'bonsai', 'bonsai']);
  // A pin from outside the list says the shop put it there; an excluded id never shows.
  assert.deepEqual(await ids(recent), ['advent-0001', 'tea-0002']);
  assert.match((await widgetCards(recent).allInnerTexts())[0], /Featured by the shop/);
  // A rule the widget cannot read is an error that says how to write it.
  await page.waitForFunction(() => window.failures?.length === 1);
  const [[id, message]] = await page.evaluate(() => window.failures);
  assert.equal(id, 'bad');
  assert.match(message, /boost "colour:red=2" is not field:value=weight/);
  // Changing a rule re-renders the list under it.
  await page.evaluate(() => document.querySelector('#coffee').setAttribute('include-categories', 'tea'));
  await page.waitForFunction((w) => [...w.shadowRoot.querySelectorAll('li[part="card"]')].every((e) => e.dataset.category === 'tea'), await coffee.elementHandle());
  // The same rules as recommend() options, in camelCase, with lists as arrays.
  const api = await page.evaluate(() => Tastebud.recommend({
    catalog: '../data/catalog.json', model: '../data/model.tbm', mode: 'similar', item: 'pour-0001', limit: 4,
    excludeCategories: ['pour-over'], priceMin: 5, pin: ['advent-0002@2'],
  }));
  assert.equal(api.length, 4);
  assert.equal(api[1].id, 'advent-0002');
  assert.ok(api.every((c) => c.category !== 'pour-over' && c.price >= 5), JSON.stringify(api.map((c) => [c.id, c.price])));
  // Tags to include and brands to exclude, the brand being the one most coffee items carry.
  const counts = {};
  for (const i of catalog.items.filter((x) => x.tags?.includes('coffee'))) counts[i.brand] = (counts[i.brand] ?? 0) + 1;
  const [brand] = Object.entries(counts).sort((a, b) => b[1] - a[1])[0];
  const tagged = await page.evaluate((b) => Tastebud.recommend({
    catalog: '../data/catalog.json', model: '../data/model.tbm', limit: 6, includeTags: 'coffee', excludeBrands: [b],
  }), brand);
  assert.equal(tagged.length, 6);
  assert.ok(tagged.every((c) => item(c.id).tags.includes('coffee') && item(c.id).brand !== brand), JSON.stringify(tagged.map((c) => c.id)));
  await assert.rejects(page.evaluate(() => Tastebud.recommend({ catalog: '../data/catalog.json', model: '../data/model.tbm', priceMax: 'cheap' })), /price-max "cheap" is not a number/);
  await screenshot(page, 'widget-rules');
  assert.deepEqual(outside, []);
  assert.deepEqual(errors, []);
  await context.close();
});

test('every list reports its impression and picks with placement and position, and GA4 events reach the page\'s dataLayer', async () => {
  const { context, page, outside, errors } = await open('analytics.html');
  const [home, alike, quiet] = ['#home', '#alike', '#quiet'].map((id) => page.locator(id));
  for (const w of [home, alike, quiet]) await widgetCards(w).first().waitFor();
  await page.waitForFunction(() => window.impressions.length >= 3);
  const impressions = Object.fromEntries(await page.evaluate(() => window.impressions));
  const homeIds = await ids(home);
  assert.deepEqual(impressions.home, { placement: 'home-for-you', items: homeIds.map((id, i) => ({ id, position: i + 1 })) });
  assert.equal(impressions.alike.placement, 'similar');
  assert.equal(impressions.quiet.placement, 'similar');
  // GA4's view_item_list for the two widgets that ask, each after clearing the e-commerce object.
  const layer = await page.evaluate(() => window.dataLayer);
  assert.deepEqual(layer[0], { event: 'gtm.js' });
  const lists = layer.filter((e) => e.event === 'view_item_list');
  assert.equal(lists.length, 2, JSON.stringify(layer));
  for (const list of lists) assert.deepEqual(layer[layer.indexOf(list) - 1], { ecommerce: null });
  const homeList = lists.find((e) => e.ecommerce.item_list_id === 'home-for-you');
  assert.equal(homeList.ecommerce.item_list_name, 'For you');
  assert.deepEqual(homeList.ecommerce.items.map((i) => [i.item_id, i.index, i.item_list_id]), homeIds.map((id, i) => [id, i, 'home-for-you']));
  const title = await widgetCards(home).first().locator('[part="title"]').innerText();
  assert.equal(homeList.ecommerce.items[0].item_name, title);
  assert.ok(catalog.items.some((i) => i.id === homeIds[0]));
  assert.ok(lists.some((e) => e.ecommerce.item_list_id === 'similar' && e.ecommerce.items.length === 3));
  // A pick: tastebud:select with its placement and position, and GA4's select_item.
  const second = homeIds[1];
  await home.locator(`a[data-item-id="${second}"]`).click();
  await page.waitForFunction(() => window.selects.length === 1);
  const [picked] = await page.evaluate(() => window.selects);
  assert.equal(picked.id, second);
  assert.equal(picked.placement, 'home-for-you');
  assert.equal(picked.position, 2);
  const selected = (await page.evaluate(() => window.dataLayer)).filter((e) => e.event === 'select_item');
  assert.equal(selected.length, 1);
  assert.deepEqual(selected[0].ecommerce.items.map((i) => [i.item_id, i.index]), [[second, 1]]);
  // The click re-ranks the lists: a new list is a new impression, an unchanged one is not.
  await home.locator(`a[data-item-id="${second}"]`).waitFor({ state: 'detached' });
  await page.waitForFunction(() => window.impressions.filter(([w]) => w === 'home').length === 2);
  const count = await page.evaluate(() => window.impressions.length);
  await page.evaluate(() => document.querySelector('#quiet').refresh());
  await page.waitForTimeout(300);
  assert.equal(await page.evaluate(() => window.impressions.length), count);
  assert.deepEqual(outside, []);
  assert.deepEqual(errors, []);
  await context.close();
});

test('without the visitor\'s consent the lists reach the page\'s events but not its dataLayer', async () => {
  const { context, page, outside, errors } = await open('analytics-consent.html');
  const asked = page.locator('#asked');
  await widgetCards(asked).first().waitFor();
  await page.waitForFunction(() => window.impressions.length === 1);
  assert.equal(await page.evaluate(() => (window.dataLayer ?? []).length), 0);
  // Consent given: the list on screen is pushed once, and only once.
  await page.evaluate(() => Tastebud.consent(true));
  await page.waitForFunction(() => (window.dataLayer ?? []).some((e) => e.event === 'view_item_list'));
  await page.evaluate(() => document.querySelector('#asked').refresh());
  await page.waitForTimeout(300);
  const lists = await page.evaluate(() => window.dataLayer.filter((e) => e.event === 'view_item_list').length);
  assert.equal(lists, 1);
  assert.equal(await page.evaluate(() => window.impressions.length), 1);
  // Withdrawn: nothing more is pushed, not even a pick.
  await page.evaluate(() => Tastebud.consent(false));
  await page.evaluate(() => document.addEventListener('tastebud:select', (e) => e.preventDefault()));
  await widgetCards(asked).first().locator('a, button').first().click();
  await page.waitForTimeout(300);
  assert.equal(await page.evaluate(() => window.dataLayer.filter((e) => e.event === 'select_item').length), 0);
  assert.deepEqual(outside, []);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a server that never answers, and one announcing 2 GiB, end in tastebud:error, not endless loading', async () => {
  const trap = await serve(siteDir, '/site/', { hang: /hang\.tbm$/, huge: /huge\.tbm$/ });
  try {
    const { context, page, outside, errors } = await open('stalled.html', { from: trap });
    await page.waitForFunction(() => ['hang', 'huge'].every((id) => window.failures?.some((f) => f[0] === id)), null, { timeout: 40000 });
    const failures = Object.fromEntries((await page.evaluate(() => window.failures)).map(([id, m, t]) => [id, { m, t }]));
    assert.match(failures.huge.m, /huge\.tbm is larger than 1024 MB, the most Tastebud loads/);
    assert.ok(failures.huge.t < 10000, 'refused as soon as the length is known');
    assert.match(failures.hang.m, /hang\.tbm sent nothing for 20 s/);
    for (const id of ['hang', 'huge']) {
      assert.equal(await page.locator(`#${id} [part="status"]`).innerText(), 'Recommendations are unavailable right now.');
    }
    assert.deepEqual(outside, []);
    assert.deepEqual(errors, []);
    await context.close();
  } finally {
    trap.close();
  }
});

/** A page with nothing inline (so a strict policy refuses nothing of the host's own): one widget
 * ranking on the page, one in a worker, and a probe recording readiness and CSP violations. */
const STRICT_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8">
<script type="module" src="probe.js"></script>
<script type="module" src="../widget/tastebud-widget.js"></script></head><body>
<tastebud-recs id="page" worker="off" catalog="../data/catalog.json" model="../data/model.tbm" limit="4"></tastebud-recs>
<tastebud-recs id="worker" worker="on" catalog="../data/catalog.json" model="../data/model.tbm" limit="4"></tastebud-recs>
</body></html>`;
const STRICT_PROBE = `window.ready = []; window.violations = [];
document.addEventListener('tastebud:ready', (e) => ready.push([e.target.id, e.detail.engine]));
document.addEventListener('securitypolicyviolation', (e) => violations.push(e.violatedDirective + ' ' + e.blockedURI));`;

test('under a strict Content-Security-Policy, with and without Trusted Types, the widget is styled and its worker starts', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tastebud-csp-'));
  await symlink(join(dist, 'widget'), join(dir, 'widget'));
  await symlink(join(dist, 'data'), join(dir, 'data'));
  await mkdir(join(dir, 'strict'));
  await writeFile(join(dir, 'strict', 'index.html'), STRICT_PAGE);
  await writeFile(join(dir, 'strict', 'probe.js'), STRICT_PROBE);
  const strict = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'";
  try {
    for (const csp of [strict, `${strict}; require-trusted-types-for 'script'`]) {
      const server = await serve(dir, '/csp/', { headers: { 'content-security-policy': csp } });
      try {
        const context = await browser.newContext({ locale: 'en-US' });
        const page = await context.newPage();
        const messages = [];
        page.on('pageerror', (e) => messages.push(String(e)));
        page.on('console', (m) => {
          // The browser's own 404 for /favicon.ico aside.
          if (['error', 'warning'].includes(m.type()) && !BROWSER_NOISE.test(m.text())) messages.push(m.text());
        });
        await page.goto(`${server.url}strict/index.html`);
        await page.waitForFunction(() => window.ready?.length === 2, null, { timeout: 30000 });
        assert.deepEqual(Object.fromEntries(await page.evaluate(() => window.ready)), { page: 'page', worker: 'worker' }, csp);
        for (const id of ['page', 'worker']) {
          const widget = page.locator(`#${id}`);
          assert.equal(await widgetCards(widget).count(), 4);
          // Styled: the price takes the accent colour, the card its border.
          assert.equal(await widget.locator('[part="price"]').first().evaluate((e) => getComputedStyle(e).color), 'rgb(180, 83, 42)', csp);
        }
        assert.deepEqual(await page.evaluate(() => window.violations), [], csp);
        assert.deepEqual(messages, [], csp);
        await context.close();
      } finally {
        server.close();
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

const tastebudKeys = (page) => page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('tastebud:')).sort());

for (const signal of ['api', 'gcm', 'tcf', 'shopify']) {
  test(`consent through ${signal}: nothing stored before it, the visit stored with it, everything erased on withdrawal`, async () => {
    const { context, page, outside, errors } = await open(`consent-${signal}.html`);
    await widgetCards(page.locator('tastebud-recs')).first().waitFor();
    await page.evaluate(() => Tastebud.track('pour-0001', 'like'));
    assert.deepEqual(await tastebudKeys(page), [], 'nothing stored before consent');
    assert.equal(await page.evaluate(() => Tastebud.logged()), 1, 'the visit is remembered in memory');
    if (signal === 'gcm') await page.waitForFunction(() => window.tagReady);
    await page.evaluate(() => signal(true));
    await page.waitForFunction((k) => localStorage.getItem(k)?.includes('pour-0001'), LOG_KEY);
    await page.evaluate(() => Tastebud.track('pour-0002', 'like'));
    assert.match(await storedLog(page), /pour-0001[\s\S]*pour-0002/);
    assert.ok((await tastebudKeys(page)).includes('tastebud:v1:consent'));
    await page.evaluate(() => signal(false));
    await page.waitForFunction(() => !Object.keys(localStorage).some((k) => k.startsWith('tastebud:')));
    if (signal === 'gcm') assert.equal(await page.evaluate(() => window.tagSaw), 2, "each push passed Google's tag once");
    await page.evaluate(() => Tastebud.track('pour-0003', 'like'));
    assert.deepEqual(await tastebudKeys(page), [], 'nothing stored after withdrawal');
    assert.deepEqual(outside, []);
    assert.deepEqual(errors, []);
    await context.close();
  });
}

test('Global Privacy Control declines under consent="auto", whatever the CMP says, and erases what was stored', async () => {
  const seed = `${JSON.stringify({ item: 'pour-0002', kind: 'like', timestamp: Math.floor(Date.now() / 1000) })}\n`;
  const init = [([k, v]) => {
    Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true });
    if (!sessionStorage.getItem('seeded')) {
      localStorage.setItem(k, v);
      localStorage.setItem('tastebud:v1:consent', String(Math.floor(Date.now() / 1000)));
      sessionStorage.setItem('seeded', '1');
    }
  }, [LOG_KEY, seed]];
  const { context, page, errors } = await open('consent-gcm.html', { init });
  await widgetCards(page.locator('tastebud-recs')).first().waitFor();
  await page.waitForFunction(() => !Object.keys(localStorage).some((k) => k.startsWith('tastebud:')));
  await page.evaluate(() => signal(true));
  await page.evaluate(() => Tastebud.track('pour-0001', 'like'));
  assert.deepEqual(await tastebudKeys(page), []);
  assert.deepEqual(errors, []);
  await context.close();
});

test('stored events past the retention are dropped on load', async () => {
  const now = Math.floor(Date.now() / 1000);
  const lines = [
    { item: 'pour-0001', kind: 'like', timestamp: now - 400 * 86400 },
    { item: 'pour-0002', kind: 'like', timestamp: now - 20 * 86400 },
    { item: 'pour-0003', kind: 'like', timestamp: now - 3600 },
  ].map((e) => `${JSON.stringify(e)}\n`).join('');
  const init = [([k, v]) => {
    if (!sessionStorage.getItem('seeded')) {
      localStorage.setItem(k, v);
      sessionStorage.setItem('seeded', '1');
    }
  }, [LOG_KEY, lines]];
  const { context, page } = await open('product.html', { init });
  await widgetCards(page.locator('tastebud-recs').first()).first().waitFor();
  const kept = (await storedLog(page)).trim().split('\n').map((l) => JSON.parse(l)).map((e) => `${e.item} ${e.kind}`);
  assert.ok(!kept.includes('pour-0001 like'), 'a like of 400 days ago is gone (13 months by default)');
  assert.ok(kept.includes('pour-0002 like') && kept.includes('pour-0003 like'), kept.join());
  await context.close();
});

test('hostile host CSS does not reach inside the widget', async () => {
  const { context, page, outside, errors } = await open('hostile.html');
  const widget = page.locator('tastebud-recs');
  await widgetCards(widget).first().waitFor();
  const title = widget.locator('[part="title"]').first();
  assert.ok(await title.isVisible());
  const style = await title.evaluate((e) => {
    const s = getComputedStyle(e);
    return { color: s.color, fontSize: s.fontSize, family: s.fontFamily };
  });
  assert.notEqual(style.color, 'rgb(255, 0, 0)');
  assert.equal(style.fontSize, '15px');
  assert.doesNotMatch(style.family, /^serif$/);
  assert.equal(await widget.locator('ul[part="list"]').evaluate((e) => getComputedStyle(e).display), 'flex');
  const box = await widgetCards(widget).first().boundingBox();
  assert.ok(box.width >= 150 && box.width <= 220, JSON.stringify(box));
  await screenshot(page, 'widget-hostile-css');
  assert.deepEqual(outside, []);
  assert.deepEqual(errors, []);
  await context.close();
});

test('the storefront and the widget share one visitor on one origin', async () => {
  const { context, page, outside, errors } = await open(null);
  // Likes in the storefront...
  await page.goto(`${site.url}#/category/tea`);
  const list = cards(page, 'category-items');
  await list.first().waitFor({ timeout: 20000 });
  for (let n = 0; n < 3; n++) await list.nth(n).getByTestId('like').click();
  await page.waitForFunction((k) => (localStorage.getItem(k) ?? '').split('\n').filter(Boolean).length === 3, LOG_KEY);
  // ...explain the widget's picks on a host page...
  await page.goto(`${site.url}examples/product.html`);
  const items = page.locator('tastebud-recs').first();
  await widgetCards(items).first().waitFor();
  const cats = await widgetCards(items).evaluateAll((els) => els.map((e) => e.dataset.category));
  assert.ok(cats.filter((c) => c === 'tea').length >= 2, cats.join(' '));
  // ...and what the widget records (the product view, a wishlist add) reaches the storefront.
  await page.evaluate(() => Tastebud.track('pour-0004', 'add_to_wishlist'));
  await page.goto(`${site.url}#/item/pour-0004`);
  await page.locator('header.top').waitFor({ timeout: 20000 });
  const exported = await page.evaluate((k) => localStorage.getItem(k), LOG_KEY);
  assert.match(exported, /"item":"pour-0004","kind":"like"/);
  assert.match(exported, /"item":"pour-0001","kind":"view"/);
  // The storefront reads the widget's line as its own: the item page shows it liked.
  await page.locator('[data-testid="like"][aria-pressed="true"]').first().waitFor();
  // Erasing from the widget's API forgets the visitor for the storefront too.
  await page.goto(`${site.url}examples/blog.html`);
  await page.locator('tastebud-recs li[part="interest"]').first().waitFor();
  await page.evaluate(() => Tastebud.erase());
  assert.equal(await page.evaluate(() => localStorage.length), 0);
  assert.deepEqual(outside, []);
  assert.deepEqual(errors, []);
  await context.close();
});

test('in a Web Worker the widget ranks exactly as on the page, and follows track', async () => {
  const visitor = inCategory('astronomy', 2).concat(inCategory('tea', 1))
    .map((item, n) => JSON.stringify({ item, kind: 'like', timestamp: Math.floor(Date.now() / 1000) - 600 + n })).join('\n');
  const init = [([k, log]) => localStorage.setItem(k, log), [LOG_KEY, `${visitor}\n`]];
  const lists = {};
  for (const worker of ['off', 'on']) {
    const { context, page, outside, errors } = await open(`worker-${worker}.html`, { init });
    const recs = page.locator('#recs');
    await widgetCards(recs).first().waitFor();
    const ready = await page.evaluate(() => window.ready);
    assert.deepEqual(ready.map((r) => r.engine), [worker === 'on' ? 'worker' : 'page']);
    lists[worker] = await ids(recs);
    lists[`${worker} why`] = await recs.locator('[part="why"]').allInnerTexts();
    if (worker === 'on') {
      // A worker script from the widget's origin, started through a same-origin module.
      assert.ok(cdn.requests.some((r) => r.endsWith('/widget/tastebud-worker.js')));
      for (const id of inCategory('knitting', 3)) await page.evaluate((i) => Tastebud.track(i, 'purchase'), id);
      await page.waitForFunction(
        ([w, old]) => [...w.shadowRoot.querySelectorAll('li[part="card"]')].map((e) => e.dataset.itemId).join() !== old,
        [await recs.elementHandle(), lists.on.join()]);
      const cats = await widgetCards(recs).evaluateAll((els) => els.map((e) => e.dataset.category));
      assert.ok(cats.includes('knitting'), cats.join(' '));
    }
    assert.deepEqual(outside, []);
    assert.deepEqual(errors, []);
    await context.close();
  }
  assert.equal(lists.on.length, 8);
  // The page's rules hold in the worker too: no astronomy, though the visitor liked it.
  assert.ok(lists.on.every((id) => catalog.items.find((i) => i.id === id).category !== 'astronomy'), lists.on.join(' '));
  assert.deepEqual(lists.on, lists.off);
  assert.deepEqual(lists['on why'], lists['off why']);
});

test('a widget that leaves the page stops its worker; one that comes back starts another', async () => {
  const { context, page, errors } = await open('worker-on.html');
  const recs = page.locator('#recs');
  await widgetCards(recs).first().waitFor();
  assert.equal(page.workers().length, 1);
  const [worker] = page.workers();
  const closed = new Promise((ok) => worker.once('close', ok));
  const first = await ids(recs);
  const element = await recs.elementHandle();
  await element.evaluate((el) => { window.kept = el; el.remove(); });
  await closed;
  assert.equal(page.workers().length, 0);
  // A new widget for the same model starts a new worker...
  await page.evaluate(() => document.body.append(window.kept.cloneNode()));
  await page.waitForFunction(() => window.ready.length === 2);
  assert.equal(page.workers().length, 1);
  // ...and moving it in the DOM keeps that one.
  const second = page.workers()[0];
  let stopped = false;
  second.once('close', () => { stopped = true; });
  await page.evaluate(() => { const el = document.querySelector('#recs'); el.remove(); document.body.prepend(el); });
  await page.waitForTimeout(300);
  assert.ok(!stopped);
  assert.deepEqual(await page.evaluate(() => window.ready.map((r) => r.engine)), ['worker', 'worker']);
  assert.deepEqual(await ids(page.locator('#recs')), first);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a model that downloads slowly shows its progress, then the recommendations', async () => {
  const model = (await readFile(join(dist, 'data', 'model.tbm'))).length;
  const size = model + (await readFile(join(dist, 'data', 'catalog.json'))).length;
  for (const worker of ['off', 'on']) {
    const { context, page, errors } = await open(`worker-${worker}.html`, { from: slowSite });
    const bar = page.locator('#recs progress[part="progress"]');
    await bar.waitFor({ state: 'visible' });
    assert.equal(await bar.getAttribute('aria-label'), 'Loading recommendations…');
    // Read while the model still trickles in (it takes about 0.8 s in all).
    const midway = await bar.evaluate((b) => [b.value, b.max]);
    assert.ok(midway[0] > 0 && midway[0] < midway[1] && midway[1] === size, String(midway));
    // A re-render while the download runs (track does one) must not report chunks twice.
    await page.evaluate(() => Tastebud.track('pour-0002', 'view'));
    await screenshot(page, `widget-progress-${worker}`);
    await widgetCards(page.locator('#recs')).first().waitFor();
    assert.ok(await bar.isHidden());
    const progress = await page.evaluate(() => window.progress);
    assert.ok(progress.length >= Math.floor(model / 8192), `${progress.length} progress events`);
    assert.ok(progress.every((p, i) => p.total === size && (i === 0 || p.loaded > progress[i - 1].loaded)));
    assert.equal(progress.at(-1).loaded, size);
    assert.deepEqual(errors, []);
    await context.close();
  }
});

test('a broken model fails in the worker as on the page: a message and tastebud:error', async () => {
  const messages = {};
  for (const name of ['broken.html', 'worker-broken.html']) {
    const workers = cdn.requests.filter((r) => r.endsWith('/widget/tastebud-worker.js')).length;
    const { context, page, errors } = await open(name);
    await page.waitForFunction(() => window.failures.some(([id]) => id === 'garbage'));
    messages[name] = (await page.evaluate(() => window.failures)).find(([id]) => id === 'garbage')[1];
    assert.equal(await page.locator('#garbage [part="status"]').innerText(), 'Recommendations are unavailable right now.');
    // Only the worker page starts a worker.
    const started = cdn.requests.filter((r) => r.endsWith('/widget/tastebud-worker.js')).length - workers;
    assert.equal(started, name === 'worker-broken.html' ? 1 : 0, name);
    assert.deepEqual(errors, []);
    await context.close();
  }
  assert.match(messages['broken.html'], /model/);
  assert.equal(messages['worker-broken.html'], messages['broken.html']);
});
