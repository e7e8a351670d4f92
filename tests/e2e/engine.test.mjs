// The app page runs the engine in WebAssembly and requests nothing from outside its origin.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, screenshot } from './support.mjs';

let server;
let browser;

before(async () => {
  server = await serve();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.close();
});

test('the page trains, folds in and explains in wasm, with no outside requests', async () => {
  const page = await browser.newPage();
  const outside = [];
  const errors = [];
  page.on('request', (r) => {
    if (!r.url().startsWith(server.origin) && !r.url().startsWith('data:')) outside.push(r.url());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(server.url);
  const items = page.locator('[data-testid="recommendations"] li');
  await items.first().waitFor({ timeout: 15000 });
  assert.equal(await items.count(), 3);
  const first = await items.first().getAttribute('data-item-id');
  assert.ok(['trekking-poles', 'headlamp'].includes(first), `top recommendation was ${first}`);
  assert.match(await items.first().innerText(), /because you liked (titanium-mug|ultralight-tent)/);
  await screenshot(page, 'engine-check');
  assert.deepEqual(outside, []);
  assert.deepEqual(errors, []);
  // The server saw only the page's own files, all under the sub-path, and no /favicon.ico.
  assert.ok(server.requests.every((u) => u.startsWith('/shop/')), server.requests.join(' '));
  await page.close();
});
