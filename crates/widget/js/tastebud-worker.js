// The engine in a module Web Worker, for big catalogs (README, "Big catalogs"): the page
// downloads the catalog and model and transfers them here, so parsing them and every ranking run
// off the page's main thread. The page reads the visitor's log (localStorage, which a worker
// cannot reach) and sends it with each request.
import init, { Recommender } from './tastebud_widget.js';

let recommender;

self.onmessage = ({ data }) => {
  const { id } = data;
  try {
    if (data.type === 'load') {
      const text = new TextDecoder('utf-8', { fatal: true });
      let catalog;
      try {
        catalog = text.decode(data.catalog);
      } catch {
        throw new Error('the catalog is not UTF-8 text');
      }
      recommender?.free();
      recommender = new Recommender(catalog, new Uint8Array(data.model));
      self.postMessage({ id, ok: true, warnings: recommender.warnings() });
    } else if (data.type === 'recommend') {
      if (!recommender) throw new Error('no catalog and model are loaded');
      const json = recommender.recommendFor(data.log, data.prefs, data.mode, data.limit, data.lang, data.item, data.rules);
      self.postMessage({ id, ok: true, json });
    }
  } catch (e) {
    self.postMessage({ id, ok: false, message: String(e?.message ?? e) });
  }
};

init({ module_or_path: new URL('./tastebud_widget_bg.wasm', import.meta.url) }).then(
  () => self.postMessage({ type: 'ready' }),
  (e) => self.postMessage({ type: 'failed', message: String(e?.message ?? e) }),
);
