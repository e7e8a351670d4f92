// The widget reading a published shop in headless Chromium, cold cache, for bench/scale.py: for
// each visitor (three likes in one niche) the bytes and time to the first recommendations (as
// sent: the test server does not compress, so these are upper bounds for a gzip-serving host),
// unthrottled and at 10 Mbit/s with 40 ms round trips (Chromium's network emulation), a like to
// an updated list, recall@10 against exhaustive scoring, and memory. Prints one JSON object.
//
//   node bench/scale.mjs DIR      (DIR holds site/ with pub/ and widget/, and visitors.json)
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { serve, launch } from '../tests/e2e/support.mjs';

const dir = process.argv[2];
const { visitors, exhaustive } = JSON.parse(await readFile(join(dir, 'visitors.json'), 'utf8'));
const site = join(dir, 'site');
await writeFile(join(site, 'index.html'), `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,">
<script type="module" src="widget/tastebud-widget.js"></script></head><body>
<tastebud-recs id="recs" published="pub/manifest.json" limit="10"></tastebud-recs>
<script>
  window.ready = null;
  window.failure = null;
  document.addEventListener('tastebud:ready', () => { window.ready = performance.now(); });
  document.addEventListener('tastebud:error', (e) => { window.failure = e.detail.message; });
</script></body></html>`);

const LIKES = 5;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];

const server = await serve(site, '/shop/');
const browser = await launch();

/** One cold visit: bytes and milliseconds to the first list, then likes, recall and memory. */
async function visit(history, throttled) {
  const context = await browser.newContext();
  const now = Math.floor(Date.now() / 1000);
  const log = history.map((item, n) => JSON.stringify({ item, kind: 'like', timestamp: now - 60 + n })).join('\n') + '\n';
  // Plain scores (the niche control at "most familiar"), comparable with exhaustive scoring; and
  // every wasm memory the page creates, to read its size.
  await context.addInitScript(([stored]) => {
    localStorage.setItem('tastebud:v1:log', stored);
    localStorage.setItem('tastebud:v1:prefs', JSON.stringify({ interests: [], onboarded: true, niche: 0 }));
    window.wasmMemories = [];
    const keep = (result) => {
      const instance = result.instance ?? result;
      for (const value of Object.values(instance.exports ?? {})) {
        if (value instanceof WebAssembly.Memory) window.wasmMemories.push(value);
      }
      return result;
    };
    for (const name of ['instantiate', 'instantiateStreaming']) {
      const original = WebAssembly[name];
      WebAssembly[name] = (...args) => original.apply(WebAssembly, args).then(keep);
    }
  }, [log]);
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  if (throttled) {
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false, latency: 40, downloadThroughput: 10e6 / 8, uploadThroughput: 10e6 / 8,
    });
  }
  const received = [];
  const urls = new Map();
  cdp.on('Network.requestWillBeSent', (e) => urls.set(e.requestId, e.request.url));
  cdp.on('Network.loadingFinished', (e) => received.push([Date.now(), e.encodedDataLength, urls.get(e.requestId) ?? '']));
  await page.goto(server.url);
  await page.waitForFunction(() => window.ready || window.failure, null, { timeout: 120000 });
  const failure = await page.evaluate(() => window.failure);
  if (failure) throw new Error(failure);
  const readyAt = Date.now();
  const firstMs = await page.evaluate(() => window.ready);
  const before = received.filter(([t]) => t <= readyAt);
  const firstBytes = before.reduce((sum, [, n]) => sum + n, 0);
  const dataBytes = before.filter(([, , url]) => url.includes('/pub/')).reduce((sum, [, n]) => sum + n, 0);
  const dataFiles = before.filter(([, , url]) => url.includes('/pub/')).length;
  // The list, and the same list after each like (ranking only: the engine is loaded).
  const list = () => page.evaluate(() => Tastebud.recommend({ published: 'pub/manifest.json', limit: 10 }));
  const shown = (await list()).map((c) => c.id);
  const truth = exhaustive[history.join(',')];
  const recall = truth.filter((id) => shown.includes(id)).length / truth.length;
  const updates = [];
  let current = shown;
  for (let n = 0; n < LIKES && !throttled; n++) {
    const started = await page.evaluate(() => performance.now());
    await page.evaluate((id) => Tastebud.track(id, 'like'), current[0]);
    const next = await list();
    updates.push((await page.evaluate(() => performance.now())) - started);
    current = next.map((c) => c.id);
  }
  await cdp.send('Performance.enable');
  const metrics = Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
  const wasmBytes = await page.evaluate(() => window.wasmMemories.reduce((sum, m) => sum + m.buffer.byteLength, 0));
  await context.close();
  return { firstMs, firstBytes, dataBytes, dataFiles, recall, updates, memory: (metrics.JSHeapUsedSize ?? 0) + wasmBytes };
}

const plain = [];
const slow = [];
for (const history of visitors) {
  plain.push(await visit(history, false));
  slow.push(await visit(history, true));
}
await browser.close();
server.close();

const updates = plain.flatMap((v) => v.updates);
console.log(JSON.stringify({
  visitors: visitors.length,
  first_bytes: median(plain.map((v) => v.firstBytes)),
  first_data_bytes: median(plain.map((v) => v.dataBytes)),
  first_files: median(plain.map((v) => v.dataFiles)),
  first_ms: median(plain.map((v) => v.firstMs)),
  first_ms_throttled: median(slow.map((v) => v.firstMs)),
  update_p50_ms: quantile(updates, 0.5),
  update_p95_ms: quantile(updates, 0.95),
  recall_at_10: plain.reduce((sum, v) => sum + v.recall, 0) / plain.length,
  memory_mb: median(plain.map((v) => v.memory)) / 2 ** 20,
}));
