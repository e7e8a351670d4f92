// A shop's own data in the storefront: a GA4 export and a Merchant Center feed
// (tests/fixtures/) go through the release CLI's `train --format ga4` and `catalog --from
// merchant-feed`, and the release web build serves the two files in place of the demo shop.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { access, cp, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { serve, launch, screenshot, openShop, cards } from './support.mjs';

const root = resolve(new URL('../..', import.meta.url).pathname);
const cli = join(root, 'target', 'release', 'tastebud');
const feed = join(root, 'tests', 'fixtures', 'merchant', 'feed.xml');
const events = join(root, 'tests', 'fixtures', 'ga4', 'shop.jsonl');

let dir;
let server;
let browser;
let catalog;

const tastebud = (...args) => execFileSync(cli, args, { encoding: 'utf8' });

before(async () => {
  await access(cli).catch(() => {
    throw new Error(`${cli} is missing: run cargo build --release -p tastebud-cli`);
  });
  dir = await mkdtemp(join(tmpdir(), 'tastebud-shop-data-'));
  const site = join(dir, 'site');
  await cp(join(root, 'dist'), site, { recursive: true });
  await rm(join(site, 'data'), { recursive: true, force: true });
  await mkdir(join(site, 'data'));
  const model = join(site, 'data', 'model.tbm');
  const catalogPath = join(site, 'data', 'catalog.json');
  // Few factors, more regularization: a small shop (64 shoppers, 21 products).
  tastebud('train', '--format', 'ga4', '--interactions', events, '--feed', 'merchant-feed', feed,
    '--factors', '4', '--regularization', '0.5', '--out', model);
  tastebud('catalog', '--from', 'merchant-feed', feed, '--searches', events, '--out', catalogPath);
  // Exits 2 (and execFileSync throws) if a model item is missing from the catalog.
  const check = tastebud('catalog', '--check', catalogPath, '--model', model);
  assert.match(check, /factors without items: 0/);
  catalog = JSON.parse(await readFile(catalogPath, 'utf8'));
  server = await serve(site);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const inCategory = (category) => catalog.items.filter((i) => i.category === category).map((i) => i.id);

async function likeAndGoHome(page, category, ids) {
  await page.goto(`${server.url}#/category/${category}`);
  const list = cards(page, 'category-items');
  await list.first().waitFor();
  for (const id of ids) {
    await page.locator(`[data-testid="category-items"] [data-item-id="${id}"]`).getByTestId('like').click();
  }
  await page.goto(`${server.url}#/`);
  await cards(page, 'recommendations').first().waitFor();
  return cards(page, 'recommendations').evaluateAll((els) =>
    els.map((e) => ({ id: e.getAttribute('data-item-id'), category: e.getAttribute('data-category') })));
}

test('the storefront shows the catalog built from the Merchant feed, with no image host', async () => {
  const { context, page, outside, errors } = await openShop(browser, server);
  assert.match(await page.locator('header.top').innerText(), /Northfold Outfitters/);
  const offered = await page.getByTestId('interest-option').evaluateAll((els) => els.map((e) => e.getAttribute('data-category')));
  assert.deepEqual(offered.sort(), catalog.categories.filter((c) => c.niche).map((c) => c.id).sort());

  await page.goto(`${server.url}#/category/outdoors-tents`);
  await cards(page, 'category-items').first().waitFor();
  const shown = await cards(page, 'category-items').evaluateAll((els) => els.map((e) => e.getAttribute('data-item-id')));
  assert.deepEqual(shown.sort(), inCategory('outdoors-tents').sort());
  // Variants arrive folded: one "Ridge 2-person tent", not its colours.
  assert.ok(shown.includes('TENT-2P') && !shown.includes('TENT-2P-GRN'), shown.join(' '));
  await screenshot(page, 'shop-data-category');

  assert.deepEqual(outside, []);
  assert.ok(!server.requests.some((u) => u.includes('cdn.')), server.requests.join(' '));
  assert.deepEqual(errors, []);
  await context.close();
});

test('liking products from the feed brings their kind to For you, from the GA4-trained model', async () => {
  const tents = inCategory('outdoors-tents');
  const mugs = inCategory('outdoors-camping-mugs');
  assert.ok(tents.length >= 4 && mugs.length >= 4);

  const a = await openShop(browser, server);
  const afterTents = await likeAndGoHome(a.page, 'outdoors-tents', ['TENT-1P', 'TENT-3P']);
  assert.match(await a.page.getByTestId('recommendations').getByTestId('why').first().innerText(),
    /Ridge solo tent|Dome family tent/);
  await screenshot(a.page, 'shop-data-for-you');
  assert.deepEqual(a.errors, []);
  await a.context.close();

  const b = await openShop(browser, server);
  const afterMugs = await likeAndGoHome(b.page, 'outdoors-camping-mugs', ['MUG-TRAIL', 'MUG-TI']);
  await b.context.close();

  for (const rec of [...afterTents, ...afterMugs]) {
    assert.ok(catalog.items.some((i) => i.id === rec.id), `${rec.id} is not in the feed's catalog`);
  }
  assert.ok(!afterTents.some((r) => ['TENT-1P', 'TENT-3P'].includes(r.id)), 'liked items are not recommended again');
  // The top of the list, which discovery re-ranking reorders but does not empty of the liked
  // kind (the whole list can hold every product of a small shop).
  const top = (recs, ids) => recs.slice(0, 3).filter((r) => ids.includes(r.id)).length;
  const summary = JSON.stringify({ afterTents, afterMugs });
  assert.ok(top(afterTents, tents) >= 2 && top(afterMugs, mugs) >= 2, summary);
  assert.ok(top(afterTents, tents) > top(afterMugs, tents), summary);
  assert.ok(top(afterMugs, mugs) > top(afterTents, mugs), summary);
});

test('GA4 search terms are the shop\'s trending searches', async () => {
  const { context, page } = await openShop(browser, server);
  await page.getByTestId('onboarding-skip').click();
  const trending = page.getByTestId('trending');
  await trending.locator('a').first().waitFor();
  const terms = await trending.locator('a').allInnerTexts();
  assert.deepEqual(terms.sort(), Object.keys(catalog.shop_data.searches).sort());
  await context.close();
});
