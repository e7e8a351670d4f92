// <tastebud-recs published="manifest.json">: the widget reading the demo shop published in
// shards (`tastebud publish`) from a static host, in Debian's Chromium. What each privacy mode
// requests (docs/privacy.md), the cards it shows, and a corrupt shard.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, symlink, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { serve, launch, screenshot } from './support.mjs';

const root = resolve(new URL('../..', import.meta.url).pathname);
const dist = join(root, 'dist');
const cli = join(root, 'target', 'release', 'tastebud');
const LOG_KEY = 'tastebud:v1:log';

let siteDir;
let site;
let browser;
let manifest;
/** Every shard's entry, from the publication's shard tables. */
let shards;

const page = (privacy, dir = 'pub') => `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,">
<script type="module" src="../widget/tastebud-widget.js"></script></head><body>
<button id="host-button" onclick="this.dataset.clicks = +(this.dataset.clicks ?? 0) + 1">Host button</button>
<tastebud-recs id="recs" published="../${dir}/manifest.json" privacy="${privacy}" limit="6" item-base="../"></tastebud-recs>
<script>
  window.ready = [];
  window.failures = [];
  document.addEventListener('tastebud:ready', (e) => ready.push(e.detail));
  document.addEventListener('tastebud:error', (e) => failures.push(e.detail.message));
</script></body></html>`;

before(async () => {
  siteDir = await mkdtemp(join(tmpdir(), 'tastebud-published-'));
  await symlink(join(dist, 'widget'), join(siteDir, 'widget'));
  // 8 shards of the 1,600-item demo shop, the strict set holding at most 400 items.
  execFileSync(cli, ['publish', '--catalog', join(dist, 'data', 'catalog.json'), '--model', join(dist, 'data', 'model.tbm'),
    '--out', join(siteDir, 'pub'), '--shards', '8', '--strict-items', '400'], { stdio: 'pipe' });
  manifest = JSON.parse(await readFile(join(siteDir, 'pub', 'manifest.json'), 'utf8'));
  shards = [];
  for (const t of manifest.shard_tables) shards.push(...JSON.parse(await readFile(join(siteDir, 'pub', t.file), 'utf8')));
  // The same publication with one strict ranking file damaged in place (its size unchanged).
  await cp(join(siteDir, 'pub'), join(siteDir, 'bad'), { recursive: true });
  const damaged = join(siteDir, 'bad', shards[manifest.strict[0]].ranking.file);
  const bytes = await readFile(damaged);
  bytes[bytes.length >> 1] ^= 0x5a;
  await writeFile(damaged, bytes);
  await mkdir(join(siteDir, 'pages'));
  await writeFile(join(siteDir, 'pages', 'strict.html'), page('strict'));
  await writeFile(join(siteDir, 'pages', 'history.html'), page('history'));
  await writeFile(join(siteDir, 'pages', 'bad.html'), page('history', 'bad'));
  await writeFile(join(siteDir, 'pages', 'typo.html'), page('strcit'));
  site = await serve(siteDir, '/site/');
  browser = await launch();
});

after(async () => {
  await browser?.close();
  site?.close();
  if (siteDir) await rm(siteDir, { recursive: true, force: true });
});

const likes = (ids) => ids.map((item, n) => JSON.stringify({ item, kind: 'like', timestamp: Math.floor(Date.now() / 1000) - 60 + n })).join('\n') + '\n';

/** Opens `name` for a visitor who liked `history`: the published files it requested (in the
 * order the server saw them), the widget's cards and what went wrong. */
async function visit(name, history, { wait = 'ready' } = {}) {
  const context = await browser.newContext();
  const log = history.length ? likes(history) : '';
  await context.addInitScript(([k, v]) => { if (v && !localStorage.getItem(k)) localStorage.setItem(k, v); }, [LOG_KEY, log]);
  const p = await context.newPage();
  const errors = [];
  p.on('pageerror', (e) => errors.push(String(e)));
  const from = site.requests.length;
  await p.goto(`${site.url}pages/${name}`);
  await p.waitForFunction((w) => (w === 'ready' ? window.ready?.length : window.failures?.length), wait, { timeout: 30000 });
  const requested = site.requests.slice(from)
    .map((u) => new URL(u, site.origin).pathname)
    .filter((u) => /\/(pub|bad)\//.test(u))
    .map((u) => u.split('/').pop());
  const cards = await p.locator('#recs li[part="card"]').evaluateAll((lis) => lis.map((li) => ({
    id: li.dataset.itemId,
    title: li.querySelector('.title')?.textContent ?? '',
    why: li.querySelector('.why')?.textContent ?? '',
  })));
  return { context, page: p, requested, cards, errors };
}

const sorted = (a) => [...a].sort();
/** A shard's display pages, as its column file lists them. */
const pagesOf = async (shard) => JSON.parse(await readFile(join(siteDir, 'pub', shard.columns.file), 'utf8')).pages;
const ranking = (files) => files.filter((f) => !f.startsWith('page-'));

test('strict mode requests the same files for every visitor, pages included, and shows named cards', async () => {
  const visitors = [['pour-0001', 'pour-0002', 'pour-0003'], ['mtn-camp-0001', 'vr-0004'], []];
  const seen = [];
  for (const history of visitors) {
    const v = await visit('strict.html', history);
    assert.deepEqual(v.errors, []);
    assert.equal(v.requested[0], 'manifest.json');
    assert.ok(v.cards.length > 0 && v.cards.every((c) => c.title), JSON.stringify(v.cards));
    seen.push(v.requested);
    if (history.length === 3) await screenshot(v.page, 'published-strict');
    await v.context.close();
  }
  assert.deepEqual(sorted(seen[1]), sorted(seen[0]));
  assert.deepEqual(sorted(seen[2]), sorted(seen[0]));
  // Exactly the head, the fold-in model and the strict set: its shard table, its ranking and
  // column files and every page.
  const strict = manifest.strict.map((s) => shards[s]);
  const tables = new Set(manifest.strict.map((s) => manifest.shard_tables[Math.floor(s / 64)].file));
  const expected = ['manifest.json', manifest.head.file, manifest.fold.file, ...tables];
  for (const s of strict) expected.push(s.ranking.file, s.columns.file, ...(await pagesOf(s)).map((p) => p.file));
  assert.deepEqual(sorted(seen[0]), sorted(expected));
});

test('history mode reads what the CLI reads for the same visitor, pages only of those shards, and explains', async () => {
  const history = ['pour-0001', 'pour-0002', 'pour-0003'];
  const v = await visit('history.html', history);
  assert.deepEqual(v.errors, []);
  // The CLI's reader plans the same reads (tastebud recommend --published --reads, on stderr).
  const run = spawnSync(cli, ['recommend', '--published', join(siteDir, 'pub', 'manifest.json'), '--items', history.join(','),
    '--privacy', 'history', '--reads'], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const reads = run.stderr.split('\n').filter((l) => /^read \S+$/.test(l)).map((l) => l.slice(5));
  assert.ok(reads.length > 3, run.stderr);
  assert.deepEqual(sorted(ranking(v.requested)), sorted(['manifest.json', ...reads]));
  // Rounds: the manifest, then the head, the fold-in model and the tables, then shards.
  const at = (f) => v.requested.indexOf(f);
  const firstShard = Math.min(...v.requested.filter((f) => f.startsWith('rank-')).map(at));
  assert.ok(at(manifest.head.file) < firstShard && at(manifest.fold.file) < firstShard, v.requested.join(' '));
  assert.ok(at(manifest.shard_tables[0].file) < firstShard, v.requested.join(' '));
  // Pages only of the shards read, and fewer than all of theirs.
  const readShards = shards.filter((s) => v.requested.includes(s.ranking.file));
  const allowedPages = [];
  for (const s of readShards) allowedPages.push(...(await pagesOf(s)).map((p) => p.file));
  const pages = v.requested.filter((f) => f.startsWith('page-'));
  assert.ok(pages.length > 0 && pages.every((f) => allowedPages.includes(f)), pages.join(' '));
  assert.ok(pages.length < allowedPages.length, `${pages.length} of ${allowedPages.length} pages`);
  // Cards for a pour-over fan, named and explained by what they liked.
  assert.equal(v.cards.length, 6);
  assert.ok(v.cards.every((c) => c.title && !history.includes(c.id)), JSON.stringify(v.cards));
  assert.ok(v.cards.some((c) => /Because you liked/.test(c.why)), JSON.stringify(v.cards));
  // A like updates the list from what is loaded.
  const before = v.cards.map((c) => c.id);
  await v.page.evaluate((id) => Tastebud.track(id, 'like'), before[0]);
  await v.page.waitForFunction((first) => {
    const ids = [...document.querySelector('#recs').shadowRoot.querySelectorAll('li[part="card"]')].map((li) => li.dataset.itemId);
    return ids.length && !ids.includes(first);
  }, before[0]);
  // Merchandising rules judge items by their display records, which arrive before the list.
  const catalog = JSON.parse(await readFile(join(dist, 'data', 'catalog.json'), 'utf8'));
  const price = (id) => catalog.items.find((i) => i.id === id).price;
  const cheap = await v.page.evaluate(() => Tastebud.recommend({ published: '../pub/manifest.json', priceMax: 20, excludeTags: ['dripper'], limit: 5 }));
  assert.equal(cheap.length, 5, JSON.stringify(cheap));
  for (const c of cheap) {
    assert.ok(c.title && c.price === price(c.id) && c.price <= 20, JSON.stringify(c));
    assert.ok(!catalog.items.find((i) => i.id === c.id).tags.includes('dripper'), c.id);
  }
  await screenshot(v.page, 'published-history');
  await v.context.close();
});

test('a damaged shard is named in tastebud:error; the page and the visitor log survive', async () => {
  const history = ['pour-0001'];
  const v = await visit('bad.html', history, { wait: 'failure' });
  const [message] = await v.page.evaluate(() => window.failures);
  const file = shards[manifest.strict[0]].ranking.file;
  assert.ok(message.includes(file) && message.includes('different publications'), message);
  assert.equal(await v.page.locator('#recs [part="status"]').innerText(), 'Recommendations are unavailable right now.');
  await v.page.click('#host-button');
  assert.equal(await v.page.locator('#host-button').getAttribute('data-clicks'), '1');
  const stored = (await v.page.evaluate((k) => localStorage.getItem(k), LOG_KEY)).trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(stored.map((e) => [e.item, e.kind]), [['pour-0001', 'like']], 'the stored log is untouched');
  assert.deepEqual(v.errors, []);
  await v.context.close();
});

test('a privacy setting the widget does not know is an error, not a looser mode', async () => {
  const v = await visit('typo.html', ['pour-0001'], { wait: 'failure' });
  const [message] = await v.page.evaluate(() => window.failures);
  assert.match(message, /privacy must be "history" or "strict", got "strcit"/);
  assert.ok(!v.requested.some((f) => f.startsWith('dir-') || f.startsWith('rank-')), v.requested.join(' '));
  await v.context.close();
});
