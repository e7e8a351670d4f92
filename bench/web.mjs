// The storefront's figures: the size of its wasm and js (raw and gzipped), and in headless
// Chromium the median of 5 runs of (a) navigation to the first recommendations on screen, for a
// returning visitor with a stored history, and (b) a like to the updated recommendations.
//
// Run through scripts/bench-web.sh, which builds the release first.
import { readdir, readFile, stat } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { serve, launch, demoCatalog } from '../tests/e2e/support.mjs';

const dist = new URL('../dist/', import.meta.url).pathname;
const RUNS = 5;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const sizes = {};
for (const name of await readdir(dist)) {
  if (!/\.(wasm|js)$/.test(name)) continue;
  const body = await readFile(join(dist, name));
  const kind = name.endsWith('.wasm') ? 'wasm' : 'js';
  sizes[kind] = { raw: (await stat(join(dist, name))).size, gzip: gzipSync(body, { level: 9 }).length };
}
const model = await stat(join(dist, 'data', 'model.tbm'));
const catalogFile = await readFile(join(dist, 'data', 'catalog.json'));
const catalog = await demoCatalog();

const server = await serve();
const browser = await launch();
// A returning visitor: 12 views and likes in two niches, stored as the app stores them.
const niches = catalog.categories.filter((c) => c.niche).slice(0, 2).map((c) => c.id);
const history = catalog.items.filter((i) => niches.includes(i.category)).slice(0, 12);
const log = history.map((i, n) =>
  JSON.stringify({ item: i.id, kind: n % 3 ? 'view' : 'like', timestamp: 1.7e9 + n })).join('\n') + '\n';

const firstRecs = [];
const likeUpdate = [];
for (let run = 0; run < RUNS; run++) {
  const context = await browser.newContext();
  await context.addInitScript((stored) => {
    if (!sessionStorage.getItem('seeded')) {
      localStorage.setItem('tastebud:v1:log', stored);
      sessionStorage.setItem('seeded', '1');
    }
  }, log);
  const page = await context.newPage();
  await page.goto(server.url);
  const handle = await page.waitForFunction(() => {
    const card = document.querySelector('[data-testid="recommendations"] [data-testid="item-card"]');
    return card ? performance.now() : null;
  }, null, { polling: 'raf', timeout: 20000 });
  firstRecs.push(await handle.jsonValue());
  // Like the first recommendation; time until the list has changed.
  likeUpdate.push(await page.evaluate(() => new Promise((done) => {
    const list = document.querySelector('[data-testid="recommendations"]');
    const before = list.innerHTML;
    const start = performance.now();
    const check = () => (list.innerHTML !== before ? done(performance.now() - start) : requestAnimationFrame(check));
    new MutationObserver(() => { if (list.innerHTML !== before) done(performance.now() - start); })
      .observe(list, { childList: true, subtree: true, attributes: true });
    list.querySelector('[data-testid="like"]').click();
    requestAnimationFrame(check);
  })));
  await context.close();
}
await browser.close();
server.close();

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
console.log('| file | raw | gzipped |');
console.log('|---|---|---|');
for (const [kind, s] of Object.entries(sizes)) console.log(`| app ${kind} | ${kb(s.raw)} | ${kb(s.gzip)} |`);
console.log(`| demo model (int8) | ${kb(model.size)} | ${kb(gzipSync(await readFile(join(dist, 'data', 'model.tbm'))).length)} |`);
console.log(`| demo catalog | ${kb(catalogFile.length)} | ${kb(gzipSync(catalogFile).length)} |`);
console.log('');
console.log(`| in headless Chromium, median of ${RUNS} | ms |`);
console.log('|---|---|');
console.log(`| navigation to first recommendations on screen (returning visitor) | ${median(firstRecs).toFixed(1)} |`);
console.log(`| like to updated recommendations | ${median(likeUpdate).toFixed(1)} |`);
console.log(`\n(runs: first ${firstRecs.map((x) => x.toFixed(1)).join(', ')}; like ${likeUpdate.map((x) => x.toFixed(1)).join(', ')}; ${catalog.items.length} items)`);
