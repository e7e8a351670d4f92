// One (items, precision) configuration of the browser benchmark, measured on one page: Tastebud's
// wasm engine, TensorFlow.js (wasm and cpu backends) and a plain Float32Array loop score the same
// factors for the same visitor vector and select the top 10. The result lands in
// `window.benchResult` (or `window.benchError`) for bench/browser/run.mjs.
import init, { BenchEngine } from './pkg/tastebud_widget.js';

const K = 10;
const SAMPLES = 60;
const VISITOR = 30;
const params = new URLSearchParams(location.search);
const items = Number(params.get('items'));
const precision = params.get('precision');
const now = () => performance.now();
const pause = () => new Promise((ok) => setTimeout(ok, 0));

function percentile(xs, p) {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function fetchBytes(url) {
  const res = await fetch(url, { cache: 'no-store' });
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  return res.arrayBuffer();
}

/** p50 and p95 over SAMPLES samples of one query each, or of `reps` queries when one query is
 * too short for the timer to resolve well (under 1 ms); a macrotask break between samples, as a
 * page would have between visitor actions. */
async function timeQueries(query) {
  for (let i = 0; i < 5; i++) {
    await pause();
    query(1);
  }
  await pause();
  const t0 = now();
  query(1);
  const one = Math.max(now() - t0, 0.001);
  const reps = Math.min(100, Math.max(1, Math.ceil(1 / one)));
  const samples = [];
  for (let s = 0; s < SAMPLES; s++) {
    await pause();
    const start = now();
    query(reps);
    samples.push((now() - start) / reps);
  }
  return { p50_ms: percentile(samples, 50), p95_ms: percentile(samples, 95), reps, samples: SAMPLES };
}

// Main-thread tasks over 50 ms, to tell which phases would stall a page.
const longTasks = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) longTasks.push({ start: e.startTime, end: e.startTime + e.duration });
}).observe({ type: 'longtask', buffered: true });
function longTasksIn(from, to) {
  const hits = longTasks.filter((t) => t.end > from && t.start < to).map((t) => t.end - t.start);
  return { count: hits.length, max_ms: hits.length ? Math.max(...hits) : 0 };
}

/** `timeQueries` for a query that answers asynchronously (a round trip to a worker). */
async function timeQueriesAsync(query) {
  for (let i = 0; i < 5; i++) await query(1);
  const t0 = now();
  await query(1);
  const one = Math.max(now() - t0, 0.001);
  const reps = Math.min(100, Math.max(1, Math.ceil(1 / one)));
  const samples = [];
  for (let s = 0; s < SAMPLES; s++) {
    const start = now();
    await query(reps);
    samples.push((now() - start) / reps);
  }
  return { p50_ms: percentile(samples, 50), p95_ms: percentile(samples, 95), reps, samples: SAMPLES };
}

/** A worker's next message, or its error. */
function reply(worker) {
  return new Promise((ok, fail) => {
    worker.onmessage = ({ data }) => (data.type === 'error' ? fail(new Error(data.error)) : ok(data));
    worker.onerror = (e) => fail(new Error(e.message));
  });
}

const sameTop = (a, b) => a.length === b.length && a.every((v, i) => v === Number(b[i]));
const heap = () => performance.memory?.usedJSHeapSize ?? null;

async function run() {
  const results = [];
  const stem = `models/${items}-${precision}`;
  // A visitor who liked 30 items spread over the catalog.
  const visitor = Uint32Array.from({ length: VISITOR }, (_, i) => (i * Math.floor(items / VISITOR) + 7) % items);

  // Tastebud.
  const wasm = await init({ module_or_path: './pkg/tastebud_widget_bg.wasm' });
  let t = now();
  const bytes = new Uint8Array(await fetchBytes(`${stem}.tbm`));
  const fetched = now();
  const engine = new BenchEngine(bytes);
  const parsed = now();
  const foldTimes = [];
  let user;
  for (let i = 0; i < 20; i++) {
    const s = now();
    user = engine.foldIn(visitor);
    foldTimes.push(now() - s);
  }
  let top = [];
  await pause();
  const queriesFrom = now();
  const tb = await timeQueries((reps) => { top = Array.from(engine.query(K, reps)); });
  const queriesTo = now();
  const reference = top;
  // Long-task entries arrive asynchronously.
  await new Promise((ok) => setTimeout(ok, 200));
  results.push({
    engine: 'tastebud', backend: 'wasm-simd128', items, precision, ...tb,
    parse_ms: parsed - t, fetch_ms: fetched - t, fold_in_ms: percentile(foldTimes, 50),
    model_bytes: bytes.byteLength, wasm_memory_bytes: wasm.memory.buffer.byteLength,
    js_heap_bytes: heap(), top,
    long_tasks_load: longTasksIn(t, parsed + 1), long_tasks_queries: longTasksIn(queriesFrom, queriesTo),
  });
  engine.free();

  // Tastebud in a Web Worker: load, parse and every query off the main thread; each query is
  // timed from the page, message round trip included.
  {
    const worker = new Worker('worker.mjs', { type: 'module' });
    const from = now();
    worker.postMessage({ type: 'load', url: `${stem}.tbm`, visitor });
    const loaded = await reply(worker);
    const loadedAt = now();
    let wtop = [];
    const queriesFrom = now();
    const m = await timeQueriesAsync(async (reps) => {
      worker.postMessage({ type: 'query', n: K, reps });
      wtop = (await reply(worker)).top;
    });
    const queriesTo = now();
    await new Promise((ok) => setTimeout(ok, 200));
    results.push({
      engine: 'tastebud-worker', backend: 'wasm-simd128 in a Web Worker', items, precision, ...m,
      parse_ms: loaded.parse_ms, load_ms: loadedAt - from, fold_in_ms: null,
      wasm_memory_bytes: loaded.wasm_memory_bytes, top: wtop, same_top10: sameTop(reference, wtop),
      long_tasks_load: longTasksIn(from, loadedAt), long_tasks_queries: longTasksIn(queriesFrom, queriesTo),
    });
    worker.terminate();
  }

  // A plain JavaScript loop over the same (dequantized) factors, with a simple top-10.
  t = now();
  const factors = new Float32Array(await fetchBytes(`${stem}.f32`));
  const jsParse = now() - t;
  const k = user.length;
  const scores = new Float32Array(items);
  const topIdx = new Int32Array(K);
  const topVal = new Float32Array(K);
  const jsQuery = (reps) => {
    for (let r = 0; r < reps; r++) {
      for (let i = 0, o = 0; i < items; i++, o += k) {
        let s = 0;
        for (let f = 0; f < k; f++) s += factors[o + f] * user[f];
        scores[i] = s;
      }
      topVal.fill(-Infinity);
      topIdx.fill(-1);
      for (let i = 0; i < items; i++) {
        const s = scores[i];
        if (s <= topVal[K - 1]) continue;
        let j = K - 1;
        while (j > 0 && topVal[j - 1] < s) { topVal[j] = topVal[j - 1]; topIdx[j] = topIdx[j - 1]; j--; }
        topVal[j] = s;
        topIdx[j] = i;
      }
    }
  };
  const js = await timeQueries(jsQuery);
  results.push({
    engine: 'js-loop', backend: 'Float32Array', items, precision, ...js,
    parse_ms: jsParse, fold_in_ms: null, js_heap_bytes: heap(),
    top: Array.from(topIdx), same_top10: sameTop(reference, topIdx),
  });

  // TensorFlow.js: matMul then topk, on each backend it offers here without a GPU.
  tf.wasm.setWasmPaths(new URL('tfjs-wasm/', location.href).href);
  // Every core: the backend's default is half of them.
  tf.wasm.setThreadsCount?.(navigator.hardwareConcurrency);
  for (const backend of ['wasm', 'cpu']) {
    if (!(await tf.setBackend(backend))) continue;
    await tf.ready();
    t = now();
    const raw = new Float32Array(await fetchBytes(`${stem}.f32`));
    const Y = tf.tensor2d(raw, [items, k]);
    const tfParse = now() - t;
    const u = tf.tensor2d(user, [k, 1]);
    let idx;
    const tfQuery = (reps) => {
      for (let r = 0; r < reps; r++) {
        const indices = tf.tidy(() => tf.topk(tf.matMul(Y, u).reshape([items]), K).indices);
        idx = indices.dataSync();
        indices.dispose();
      }
    };
    const m = await timeQueries(tfQuery);
    results.push({
      engine: 'tfjs', backend: `${backend}${backend === 'wasm' ? ` (${tf.wasm.getThreadsCount?.() ?? '?'} threads)` : ''}`,
      items, precision, ...m, parse_ms: tfParse, fold_in_ms: null,
      tf_bytes: tf.memory().numBytes, js_heap_bytes: heap(),
      top: Array.from(idx), same_top10: sameTop(reference, idx),
    });
    Y.dispose();
    u.dispose();
  }
  return { crossOriginIsolated, results };
}

run().then(
  (r) => { window.benchResult = r; document.getElementById('out').textContent = 'done'; },
  (e) => { window.benchError = String(e?.stack ?? e); document.getElementById('out').textContent = String(e); },
);
