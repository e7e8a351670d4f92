// Shared end-to-end plumbing: a static server over dist/ that logs every request, and Debian's
// Chromium driven by playwright-core (installed by scripts/setup.sh under .tools/node).
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { readFile, mkdir } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';

const root = resolve(new URL('../..', import.meta.url).pathname);
const tools = process.env.TASTEBUD_TOOLS ?? join(root, '.tools');
const require = createRequire(join(tools, 'node', 'package.json'));
const { chromium } = require('playwright-core');

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.tbm': 'application/octet-stream',
};

/** Serves `dir` under `prefix` (a sub-path, to prove relative URLs work), adding `headers`
 * (e.g. CORS, for the widget served from another origin than the page) to every file. Files
 * whose path matches `slow.match` are sent in `slow.chunk`-byte pieces `slow.delayMs` apart, as
 * a big model arrives over a real network. Requests whose path matches `hang` are never
 * answered; those matching `huge` announce a 2 GiB body, send 1 KB and then nothing. */
export async function serve(dir = join(root, 'dist'), prefix = '/shop/', { headers = {}, slow, hang, huge } = {}) {
  const requests = [];
  const held = new Set();
  const server = createServer(async (req, res) => {
    requests.push(req.url);
    const url = new URL(req.url, 'http://localhost');
    if (hang?.test(url.pathname)) {
      held.add(res);
      return;
    }
    if (huge?.test(url.pathname)) {
      res.writeHead(200, { ...headers, 'content-type': 'application/octet-stream', 'content-length': 2 ** 31 });
      res.write(Buffer.alloc(1024));
      held.add(res);
      return;
    }
    if (!url.pathname.startsWith(prefix)) {
      res.writeHead(404).end('not found');
      return;
    }
    let rel = decodeURIComponent(url.pathname.slice(prefix.length)) || 'index.html';
    const file = normalize(join(dir, rel));
    if (!file.startsWith(dir)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, {
        ...headers,
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        'content-length': body.length,
      });
      if (!slow?.match.test(file)) {
        res.end(body);
        return;
      }
      for (let at = 0; at < body.length; at += slow.chunk) {
        res.write(body.subarray(at, at + slow.chunk));
        await new Promise((ok) => setTimeout(ok, slow.delayMs));
      }
      res.end();
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const origin = `http://127.0.0.1:${server.address().port}`;
  const close = () => {
    for (const res of held) res.destroy();
    server.closeAllConnections?.();
    server.close();
  };
  return { origin, url: origin + prefix, requests, close };
}

/** Launches headless Chromium with the flags this machine needs (no background networking), plus
 * `extraArgs`. */
export async function launch(extraArgs = []) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...extraArgs,
    ],
  });
}

/** Saves a screenshot under tests/e2e/screenshots/ and returns its path. */
export async function screenshot(page, name) {
  const dir = join(root, 'tests', 'e2e', 'screenshots');
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** The demo catalog the build ships (dist/data/catalog.json). */
export async function demoCatalog() {
  return JSON.parse(await readFile(join(root, 'dist', 'data', 'catalog.json'), 'utf8'));
}

/** A page on the shop that records every request leaving the origin and every page error. */
export async function openShop(browser, server, { viewport, locale = 'en-US', init } = {}) {
  const context = await browser.newContext({ viewport: viewport ?? { width: 1280, height: 900 }, locale });
  if (init) await context.addInitScript(init);
  const page = await context.newPage();
  const outside = [];
  const errors = [];
  page.on('request', (r) => {
    const url = r.url();
    if (!url.startsWith(server.origin) && !url.startsWith('data:') && !url.startsWith('blob:')) outside.push(url);
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(server.url);
  await page.locator('header.top, [data-testid=load-error]').first().waitFor({ timeout: 20000 });
  return { context, page, outside, errors };
}

export const cards = (page, list) => page.locator(`[data-testid="${list}"] [data-testid="item-card"]`);
