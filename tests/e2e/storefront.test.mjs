// The storefront as a visitor meets it: the release build with the demo catalog and model,
// served under a sub-path, in Debian's Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, launch, screenshot, demoCatalog, openShop, cards } from './support.mjs';

let server;
let browser;
let catalog;
let niche;

before(async () => {
  server = await serve();
  browser = await launch();
  catalog = await demoCatalog();
  niche = catalog.categories.find((c) => c.id.includes('pour-over')) ?? catalog.categories.find((c) => c.niche);
});

after(async () => {
  await browser?.close();
  server?.close();
});

async function likeThree(page, category) {
  await page.goto(`${server.url}#/category/${category}`);
  const list = cards(page, 'category-items');
  await list.first().waitFor();
  for (let n = 0; n < 3; n++) {
    await list.nth(n).getByTestId('like').click();
  }
  await page.goto(`${server.url}#/`);
  await cards(page, 'recommendations').first().waitFor();
}

async function categoriesOf(locator) {
  return locator.evaluateAll((els) => els.map((e) => e.getAttribute('data-category')));
}

test('a first visit shows onboarding, and picked interests seed recommendations', async () => {
  const { context, page, outside, errors } = await openShop(browser, server);
  const onboarding = page.getByTestId('onboarding');
  await onboarding.waitFor();
  // Nothing to go on yet: For you is the shop's popular items, each labelled as such.
  await cards(page, 'recommendations').first().waitFor();
  const whys = await page.getByTestId('recommendations').getByTestId('why').allInnerTexts();
  assert.ok(whys.length >= 4, whys.join(' | '));
  assert.ok(whys.every((w) => w === 'Popular in this shop'), whys.join(' | '));
  await screenshot(page, 'first-visit');
  await onboarding.locator(`[data-category="${niche.id}"]`).click();
  await page.getByTestId('onboarding-start').click();
  await page.getByTestId('recommendations').getByTestId('why')
    .filter({ hasText: niche.name.en }).first().waitFor();
  const cats = await categoriesOf(cards(page, 'recommendations'));
  assert.ok(cats.filter((c) => c === niche.id).length >= cats.length / 2, cats.join(' '));
  assert.match(await page.getByTestId('recommendations').getByTestId('why').first().innerText(), new RegExp(niche.name.en));
  assert.equal(await onboarding.count(), 0);
  assert.deepEqual(outside, []);
  assert.deepEqual(errors, []);
  await context.close();
});

test('liking three items of a niche brings it to For you and Interests, and reload keeps it', async () => {
  const { context, page, outside, errors } = await openShop(browser, server);
  await likeThree(page, niche.id);
  const recs = await categoriesOf(cards(page, 'recommendations'));
  assert.ok(recs.filter((c) => c === niche.id).length >= recs.length / 2, recs.join(' '));
  const interest = await page.locator('[data-testid="interests"] [data-category]').first().getAttribute('data-category');
  const area = (id) => catalog.categories.find((c) => c.id === id).area;
  assert.equal(area(interest), niche.area, `interest ${interest} is not near ${niche.id}`);
  // An adjacent niche the visitor has not touched (for pour-over: home espresso, tea, roasting).
  const offered = await categoriesOf(page.locator('[data-testid="interests"] [data-testid="interest"]'));
  const adjacent = offered.filter((c) => c !== niche.id && area(c) === niche.area);
  assert.ok(adjacent.length >= 1, `no adjacent niche among ${offered.join(' ')}`);
  assert.match(await page.getByTestId('recommendations').getByTestId('why').first().innerText(), /Because you liked/);
  await screenshot(page, 'for-you');

  await page.reload();
  await cards(page, 'recommendations').first().waitFor();
  assert.deepEqual(await categoriesOf(cards(page, 'recommendations')), recs);
  assert.equal(await page.getByTestId('onboarding').count(), 0);
  assert.deepEqual(outside, []);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a dismissed item disappears and stays gone', async () => {
  const { context, page } = await openShop(browser, server);
  await likeThree(page, niche.id);
  const first = cards(page, 'recommendations').first();
  const id = await first.getAttribute('data-item-id');
  await first.getByTestId('dismiss').click();
  await page.waitForFunction(
    (gone) => !document.querySelector(`[data-testid="recommendations"] [data-item-id="${gone}"]`), id);
  await page.reload();
  await cards(page, 'recommendations').first().waitFor();
  assert.equal(await page.locator(`[data-testid="recommendations"] [data-item-id="${id}"]`).count(), 0);
  assert.equal(await page.locator(`[data-testid="interests"] [data-item-id="${id}"]`).count(), 0);
  await context.close();
});

test('erase clears everything, and export offers the stored data', async () => {
  const { context, page } = await openShop(browser, server);
  await likeThree(page, niche.id);
  await page.getByTestId('privacy-open').click();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-data').click()]);
  const exported = JSON.parse(await (await download.createReadStream()).toArray().then((c) => Buffer.concat(c).toString()));
  assert.equal(exported.interactions.filter((e) => e.kind === 'like').length, 3);
  await page.getByTestId('erase-data').click();
  await page.getByTestId('onboarding').waitFor();
  // Forgotten: For you is back to the shop's popular items.
  const whys = await page.getByTestId('recommendations').getByTestId('why').allInnerTexts();
  assert.ok(whys.length > 0 && whys.every((w) => w === 'Popular in this shop'), whys.join(' | '));
  assert.equal(await page.evaluate(() => localStorage.length), 0);
  await page.reload();
  await page.getByTestId('onboarding').waitFor();
  assert.equal(await page.evaluate(() => localStorage.length), 0);
  await context.close();
});

test('two tabs keep each other\'s likes, and an erase in one stays erased in the other', async () => {
  const { context, page: a, errors } = await openShop(browser, server);
  const b = await context.newPage();
  b.on('pageerror', (e) => errors.push(String(e)));
  await b.goto(`${server.url}#/category/${niche.id}`);
  await a.goto(`${server.url}#/category/${niche.id}`);
  const [listA, listB] = [cards(a, 'category-items'), cards(b, 'category-items')];
  await listA.first().waitFor();
  await listB.first().waitFor();
  const stored = (page) => page.evaluate(() =>
    (localStorage.getItem('tastebud:v1:log') ?? '').split('\n').filter((l) => l.trim() !== ''));
  const liked = async (page) => (await stored(page)).filter((l) => l.includes('"like"')).map((l) => JSON.parse(l).item);
  // Interleaved: A, B, A, B, each tab with a copy of the log it read before the other wrote.
  const ids = [];
  for (const [page, list, n] of [[a, listA, 0], [b, listB, 1], [a, listA, 2], [b, listB, 3]]) {
    ids.push(await list.nth(n).getAttribute('data-item-id'));
    await list.nth(n).getByTestId('like').click();
  }
  assert.deepEqual((await liked(a)).sort(), [...ids].sort());
  await a.reload();
  await a.getByTestId('category-items').waitFor();
  assert.deepEqual((await liked(a)).sort(), [...ids].sort());

  // A erases everything; B, which still showed the old likes, likes one more: only that is kept.
  await a.getByTestId('privacy-open').click();
  await a.getByTestId('erase-data').click();
  await a.waitForFunction(() => localStorage.length === 0);
  const fresh = await listB.nth(5).getAttribute('data-item-id');
  await listB.nth(5).getByTestId('like').click();
  assert.deepEqual(await liked(b), [fresh]);
  assert.equal((await stored(b)).length, 1);
  await b.reload();
  await b.getByTestId('category-items').waitFor();
  assert.deepEqual(await liked(b), [fresh]);
  assert.deepEqual(errors, []);
  await context.close();
});

test('the Chinese toggle translates the interface and is remembered; zh browsers start in Chinese', async () => {
  const { context, page } = await openShop(browser, server);
  await page.getByTestId('lang-toggle').click();
  await page.getByText('为你推荐').waitFor();
  assert.equal(await page.locator('html').getAttribute('lang'), 'zh-CN');
  const title = catalog.items[0].title['zh-CN'];
  await page.getByTestId('search').fill(title);
  await page.getByTestId('search').press('Enter');
  await cards(page, 'search-results').first().waitFor();
  assert.equal(await cards(page, 'search-results').first().getAttribute('data-item-id'), catalog.items[0].id);
  await screenshot(page, 'chinese-search');
  await page.reload();
  await page.getByTestId('search-results').waitFor();
  assert.equal(await page.locator('html').getAttribute('lang'), 'zh-CN');
  assert.equal(await page.getByTestId('lang-toggle').innerText(), 'English');
  await context.close();

  const zh = await openShop(browser, server, { locale: 'zh-CN' });
  await zh.page.getByText('你对什么感兴趣？').waitFor();
  await zh.context.close();
});

test('a corrupted storage value is recovered: the rest is kept and the visitor is told', async () => {
  const { context, page } = await openShop(browser, server);
  await likeThree(page, niche.id);
  const before = await categoriesOf(cards(page, 'recommendations'));
  await page.evaluate(() => {
    const log = localStorage.getItem('tastebud:v1:log');
    localStorage.setItem('tastebud:v1:log', log + '{"item": "broken", "kind": \n<script>alert(1)</script>\n');
  });
  await page.reload();
  await page.getByTestId('notice').first().waitFor();
  assert.match(await page.getByTestId('notices').innerText(), /2 entries could not be read/);
  assert.deepEqual(await categoriesOf(cards(page, 'recommendations')), before);
  const aside = await page.evaluate(() => localStorage.getItem('tastebud:v1:set-aside'));
  assert.ok(aside.includes('<script>'), aside);
  await context.close();
});

test('a damaged entry that a full storage cannot set aside stays where it was, and the visitor is told so', async () => {
  const { context, page } = await openShop(browser, server);
  await likeThree(page, niche.id);
  // A 3 MB damaged line, and storage filled so that no second copy of it fits.
  const filled = await page.evaluate(() => {
    const log = localStorage.getItem('tastebud:v1:log');
    localStorage.setItem('tastebud:v1:log', `${log}{"damaged": "${'x'.repeat(3_000_000)}\n`);
    let chunk = 'f'.repeat(256 * 1024);
    let n = 0;
    for (;;) {
      try {
        localStorage.setItem(`filler:${n}`, chunk);
        n += 1;
      } catch {
        if (chunk.length <= 1024) break;
        chunk = chunk.slice(0, chunk.length / 2);
      }
    }
    return n;
  });
  assert.ok(filled > 0);
  await page.reload();
  await page.getByTestId('notice').first().waitFor();
  const notices = await page.getByTestId('notices').innerText();
  assert.match(notices, /1 entries could not be read\. Storage is full, so they could not be set aside; they are left where they were/);
  assert.doesNotMatch(notices, /set aside\. Everything else was kept/);
  // Liking something now keeps the damaged line in the stored log (or keeps the log as it was).
  await cards(page, 'recommendations').first().getByTestId('like').click();
  const stored = await page.evaluate(() => ({
    log: localStorage.getItem('tastebud:v1:log'),
    aside: localStorage.getItem('tastebud:v1:set-aside'),
  }));
  assert.ok(stored.log.includes('"damaged": "xxx'), 'the damaged line is still stored');
  assert.equal(stored.aside, null);
  await context.close();
});

test('with storage disabled the shop works in memory and says so', async () => {
  const init = () => {
    Object.defineProperty(window, 'localStorage', { get() { throw new DOMException('denied', 'SecurityError'); } });
  };
  const { context, page, errors } = await openShop(browser, server, { init });
  await page.getByTestId('notice').first().waitFor();
  assert.match(await page.getByTestId('notices').innerText(), /storage is unavailable/);
  await likeThree(page, niche.id);
  assert.ok(await cards(page, 'recommendations').count() > 0);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a model that fails to load shows a clear message, not a blank page', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.route('**/data/model.tbm', (route) => route.fulfill({ status: 200, body: 'not a model' }));
  await page.goto(server.url);
  const error = page.getByTestId('load-error');
  await error.waitFor();
  assert.match(await error.innerText(), /not a Tastebud model file|too short/);
  await context.close();
});

test('at 360 px and by keyboard alone, a visitor can like an item', async () => {
  const { context, page, errors } = await openShop(browser, server, { viewport: { width: 360, height: 780 } });
  await page.getByTestId('onboarding-skip').click();
  await page.goto(`${server.url}#/category/${niche.id}`);
  await cards(page, 'category-items').first().waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `page is ${overflow}px wider than the viewport`);
  const like = cards(page, 'category-items').first().getByTestId('like');
  await like.focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction(() =>
    document.querySelector('[data-testid="category-items"] [data-testid="like"]').getAttribute('aria-pressed') === 'true');
  const outline = await like.evaluate((el) => getComputedStyle(el).outlineStyle);
  assert.notEqual(outline, 'none', 'the focused button shows a focus ring');
  await screenshot(page, 'narrow-360');
  assert.deepEqual(errors, []);
  await context.close();
});

test('no request ever leaves the page origin, and there is no /favicon.ico request', async () => {
  const { context, page, outside } = await openShop(browser, server);
  await likeThree(page, niche.id);
  await page.getByTestId('search').fill('tent');
  await page.getByTestId('search').press('Enter');
  await cards(page, 'search-results').first().waitFor();
  await cards(page, 'search-results').first().locator('a').first().click();
  await page.getByTestId('item-page').waitFor();
  assert.deepEqual(outside, []);
  assert.ok(server.requests.every((u) => u.startsWith('/shop/')), server.requests.filter((u) => !u.startsWith('/shop/')).join(' '));
  assert.ok(!server.requests.some((u) => u.includes('favicon.ico')));
  await context.close();
});

test('the privacy dialog keeps focus inside and returns it to its opener; a dismissed item says so', async () => {
  const { context, page } = await openShop(browser, server);
  await page.getByTestId('onboarding-skip').click();
  await page.getByTestId('privacy-open').click();
  await page.getByTestId('privacy-panel').waitFor();
  for (let n = 0; n < 8; n++) {
    await page.keyboard.press('Tab');
    const inside = await page.evaluate(() => !!document.activeElement.closest('[data-testid="privacy-panel"]'));
    assert.ok(inside, `Tab ${n + 1} left the dialog`);
  }
  await page.keyboard.press('Escape');
  await page.getByTestId('privacy-panel').waitFor({ state: 'detached' });
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('data-testid')), 'privacy-open');

  const item = catalog.items.find((i) => i.category === niche.id);
  await page.goto(`${server.url}#/item/${item.id}`);
  await page.getByTestId('item-page').getByTestId('dismiss').first().click();
  await page.getByTestId('dismissed-note').waitFor();
  await page.getByTestId('item-page').getByTestId('like').first().click();
  await page.getByTestId('dismissed-note').waitFor({ state: 'detached' });
  // The next item page lists the one just seen under "Recently viewed", and not itself.
  const other = catalog.items.find((i) => i.category === niche.id && i.id !== item.id);
  await page.goto(`${server.url}#/item/${other.id}`);
  const recent = page.getByTestId('recently-viewed').getByTestId('item-card');
  await recent.first().waitFor();
  assert.deepEqual(await recent.evaluateAll((els) => els.map((e) => e.dataset.itemId)), [item.id]);
  await context.close();
});

test('while the shop\'s files download slowly, a progress bar shows how far along they are', async () => {
  const slow = await serve(undefined, '/shop/', { slow: { match: /\/data\//, chunk: 65536, delayMs: 60 } });
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(slow.url);
    const bar = page.getByTestId('load-progress');
    await page.waitForFunction(() => {
      const v = Number(document.querySelector('[data-testid="load-progress"]')?.getAttribute('value'));
      return v > 0 && v < 100;
    });
    assert.equal(await bar.getAttribute('aria-label'), 'Loading the shop…');
    assert.match(await page.locator('.loading-box .hint').innerText(), /^\d+% · \d+\.\d \/ \d+\.\d MB$/);
    await screenshot(page, 'loading-progress');
    await page.locator('header.top').waitFor({ timeout: 20000 });
    assert.equal(await bar.count(), 0);
    assert.deepEqual(errors, []);
    await context.close();
  } finally {
    slow.close();
  }
});

test('a server that never sends the model, or announces 2 GiB, ends in a clear message, not endless loading', async () => {
  for (const [options, expected] of [
    [{ huge: /\/data\/model\.tbm$/ }, /model\.tbm is larger than 1024 MB, the most Tastebud loads/],
    [{ hang: /\/data\/model\.tbm$/ }, /model\.tbm sent nothing for 20 s/],
  ]) {
    const trap = await serve(undefined, '/shop/', options);
    try {
      const context = await browser.newContext({ locale: 'en-US' });
      const page = await context.newPage();
      const errors = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(trap.url);
      const error = page.getByTestId('load-error');
      await error.waitFor({ timeout: 40000 });
      assert.match(await error.innerText(), expected);
      assert.deepEqual(errors, []);
      await context.close();
    } finally {
      trap.close();
    }
  }
});

test('with <meta name="tastebud-consent" content="required">, nothing is stored until the visitor agrees, and withdrawing erases it', async () => {
  const dist = new URL('../../dist/', import.meta.url).pathname;
  const dir = await mkdtemp(join(tmpdir(), 'tastebud-consent-'));
  for (const entry of await readdir(dist)) {
    if (entry !== 'index.html') await symlink(join(dist, entry), join(dir, entry));
  }
  const index = await readFile(join(dist, 'index.html'), 'utf8');
  await writeFile(join(dir, 'index.html'), index.replace('<head>', '<head><meta name="tastebud-consent" content="required">'));
  const shop = await serve(dir, '/shop/');
  try {
    const { context, page, errors } = await openShop(browser, shop);
    const keys = () => page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('tastebud:')));
    const prompt = page.getByTestId('consent-prompt');
    await prompt.waitFor();
    await screenshot(page, 'consent-prompt');
    await page.goto(`${shop.url}#/category/${niche.id}`);
    const list = cards(page, 'category-items');
    await list.first().waitFor();
    for (let n = 0; n < 3; n++) await list.nth(n).getByTestId('like').click();
    await page.goto(`${shop.url}#/`);
    await cards(page, 'recommendations').first().waitFor();
    assert.deepEqual(await keys(), [], 'nothing stored before consent');
    assert.ok(await cards(page, 'recommendations').count() > 0, 'recommendations work within the visit');
    await page.getByTestId('consent-yes').click();
    await prompt.waitFor({ state: 'detached' });
    const log = await page.evaluate(() => localStorage.getItem('tastebud:v1:log'));
    assert.equal(log.trim().split('\n').length, 3, 'the three likes are stored with consent');
    // A reload finds the consent: no question, the likes still there.
    await page.reload();
    await cards(page, 'recommendations').first().waitFor();
    assert.equal(await prompt.count(), 0);
    await page.getByTestId('privacy-open').click();
    await page.getByTestId('consent-withdraw').click();
    assert.deepEqual(await keys(), [], 'withdrawing erases everything');
    assert.match(await page.getByTestId('consent-state').innerText(), /Nothing is stored/);
    assert.deepEqual(errors, []);
    await context.close();
  } finally {
    shop.close();
    await rm(dir, { recursive: true, force: true });
  }
});
