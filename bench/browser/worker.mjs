// Tastebud's engine in a module Web Worker, for the benchmark page: it loads and parses the model,
// folds in the visitor and answers queries, so the page's main thread only posts messages.
import init, { BenchEngine } from './pkg/tastebud_widget.js';

let engine;
self.onmessage = async ({ data }) => {
  try {
    if (data.type === 'load') {
      const wasm = await init({ module_or_path: './pkg/tastebud_widget_bg.wasm' });
      const t0 = performance.now();
      const res = await fetch(data.url, { cache: 'no-store' });
      if (!res.ok) throw new Error(`${data.url}: ${res.status}`);
      engine = new BenchEngine(new Uint8Array(await res.arrayBuffer()));
      const parsed = performance.now();
      engine.foldIn(data.visitor);
      self.postMessage({ type: 'loaded', parse_ms: parsed - t0, wasm_memory_bytes: wasm.memory.buffer.byteLength });
    } else if (data.type === 'query') {
      self.postMessage({ type: 'top', top: Array.from(engine.query(data.n, data.reps)) });
    }
  } catch (e) {
    self.postMessage({ type: 'error', error: String(e?.stack ?? e) });
  }
};
