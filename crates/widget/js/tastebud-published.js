// Reading a publication in shards for <tastebud-recs published="manifest.json">
// (docs/published-format.md): loaded by tastebud-widget.js only on pages that use one, with the
// engine build that reads publications (tastebud_published.js). Every file is checked against
// its listed size and the SHA-256 its name carries before the engine sees it.

/** SHA-256 of `bytes`, hex, or null where the page has no Web Crypto (a plain-http page on
 * another host than localhost): the size check then stands alone. */
async function sha256(bytes) {
  if (!globalThis.crypto?.subtle) return null;
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Runs `run(signal, dog)` under one abort signal and stall watchdog: a failure of one request
 * cancels the others. */
async function watched(io, run) {
  const abort = new AbortController();
  const dog = io.watchdog(abort);
  try {
    return await run(abort.signal, dog);
  } catch (e) {
    abort.abort();
    throw e;
  } finally {
    dog.stop();
  }
}

/** Fetches published files (`{ file, bytes }` from the manifest or a column file, named relative
 * to the manifest) all at once, each checked against its size and the SHA-256 its name carries:
 * `[[ref, bytes]]`. `onChunk(n)` after each chunk. */
function fetchPublished(io, refs, manifest, onChunk) {
  return watched(io, (signal, dog) => Promise.all(refs.map(async (ref) => {
    const url = new URL(ref.file, manifest).href;
    const response = await io.fetched(url, 'published file', signal, dog);
    const bytes = await io.readBody(response, url, 'published file', ref.bytes, onChunk, dog);
    const hash = await sha256(bytes);
    if (bytes.length !== ref.bytes || (hash && hash.slice(0, 16) !== ref.file.split('.')[1])) {
      throw new Error(`${ref.file} is not the file ${manifest} names: the files come from different publications; publish again and upload every file`);
    }
    return [ref, bytes];
  })));
}

/** `manifest.json`, the one published file whose size and hash are not known ahead. */
function fetchManifest(io, url, onChunk) {
  return watched(io, async (signal, dog) => {
    const response = await io.fetched(url, 'manifest', signal, dog);
    return io.readBody(response, url, 'manifest', 0, onChunk, dog);
  });
}

/** A publication's engine, on the page's main thread (a visitor's reads are small by design):
 * the manifest, then the head, the fold-in model and the tables, then the directory buckets and
 * shards, each round fetched in parallel (docs/published-format.md); display pages when a list first shows their
 * items. The files the visitor reads depend on `privacy` (docs/privacy.md). */
export class PublishedEngine {
  where = 'page';
  #recommender;
  #manifest;
  #io;
  /** Display pages fetched or on their way, by file name. */
  #pages = new Map();

  /** Reads `manifest` for the visitor: `io` is the widget's engine module and its download
   * helpers. */
  static async load(manifest, privacy, onProgress, io) {
    let loaded = 0;
    const onChunk = (n) => onProgress((loaded += n), 0);
    const bytes = await fetchManifest(io, manifest, onChunk);
    const reading = new io.engine.Publication(new TextDecoder().decode(bytes), privacy);
    try {
      for (let refs = JSON.parse(reading.wants()); refs.length; refs = JSON.parse(reading.wants())) {
        const total = refs.reduce((sum, r) => sum + r.bytes, loaded);
        const files = await fetchPublished(io, refs, manifest, (n) => onProgress((loaded += n), total));
        for (const [ref, data] of files) reading.give(ref.file, data);
      }
      return new PublishedEngine(reading.finish(), manifest, io);
    } finally {
      reading.free();
    }
  }

  constructor(recommender, manifest, io) {
    this.#recommender = recommender;
    this.#manifest = manifest;
    this.#io = io;
  }

  async recommend(mode, limit, lang, item, rules) {
    // The list is made right after `needs` finds every record it shows here, with no await
    // between them, so a like recorded meanwhile cannot slip in a card without its record. A
    // record with a problem leaves its item out, which can bring another into the list: a few
    // rounds at most.
    for (let round = 0; round < 6; round++) {
      if (!this.#recommender) throw new Error('this engine was released');
      const needs = JSON.parse(this.#recommender.needs(mode, limit, lang, item, rules));
      if (!needs.length) {
        const [log, prefs] = this.#io.engine.visitorSnapshot();
        return JSON.parse(this.#recommender.recommendFor(log, prefs, mode, limit, lang, item, rules));
      }
      await Promise.all(needs.map((ref) => this.#page(ref)));
    }
    throw new Error('the display pages of this list kept changing while they were fetched; try again');
  }

  /** Fetches and hands over one display page, once however many lists ask for it. */
  #page(ref) {
    if (!this.#pages.has(ref.file)) {
      const arriving = fetchPublished(this.#io, [ref], this.#manifest, () => {}).then(([[, bytes]]) => {
        this.#recommender?.fill(ref.file, bytes);
      });
      arriving.catch(() => this.#pages.delete(ref.file));
      this.#pages.set(ref.file, arriving);
    }
    return this.#pages.get(ref.file);
  }

  close() {
    this.#recommender?.free();
    this.#recommender = null;
  }
}
