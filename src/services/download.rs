//! Downloads that report their progress as the bytes stream in, so a big model shows a progress
//! bar rather than a page that seems stuck.

use js_sys::{Promise, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{ReadableStreamDefaultReader, Response};

/// Bytes received so far, and the total when every server said how much it would send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Bytes received, over every file.
    pub loaded: u64,
    /// Bytes expected, over every file, if known.
    pub total: Option<u64>,
}

impl Progress {
    /// Whole percent done, if the total is known.
    pub fn percent(&self) -> Option<u8> {
        let total = self.total.filter(|&t| t > 0)?;
        Some((self.loaded.min(total) * 100 / total) as u8)
    }
}

/// The length the body will have, from `Content-Length`, unless the response is compressed (its
/// length is then not that of the bytes it decodes to).
fn body_length(response: &Response) -> Option<u64> {
    let headers = response.headers();
    if headers.get("content-encoding").ok().flatten().is_some() {
        return None;
    }
    headers.get("content-length").ok()??.trim().parse().ok()
}

/// What a JavaScript error says, for a message.
fn reason(e: &JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "unknown error".into())
}

/// Sends the request now (fetch starts eagerly); the response is awaited later.
fn request(url: &str) -> Result<Promise, String> {
    let window = web_sys::window().ok_or("no window to fetch from")?;
    Ok(window.fetch_with_str(url))
}

async fn response(url: &str, pending: Promise) -> Result<Response, String> {
    let response: Response = JsFuture::from(pending)
        .await
        .and_then(JsCast::dyn_into)
        .map_err(|e| format!("{url} could not be fetched ({})", reason(&e)))?;
    if !response.ok() {
        return Err(format!("{url} answered HTTP {}", response.status()));
    }
    Ok(response)
}

/// Reads `response`'s body to the end, calling `on_chunk` with each chunk's length.
async fn read_body(
    url: &str,
    response: Response,
    expected: Option<u64>,
    on_chunk: &mut impl FnMut(u64),
) -> Result<Vec<u8>, String> {
    let broken = |e: JsValue| format!("{url} could not be read ({})", reason(&e));
    let Some(body) = response.body() else {
        let buffer = JsFuture::from(response.array_buffer().map_err(broken)?)
            .await
            .map_err(broken)?;
        let bytes = Uint8Array::new(&buffer).to_vec();
        on_chunk(bytes.len() as u64);
        return Ok(bytes);
    };
    let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
    let mut bytes = Vec::with_capacity(expected.unwrap_or(0).min(1 << 30) as usize);
    loop {
        let chunk = JsFuture::from(reader.read()).await.map_err(broken)?;
        if Reflect::get(&chunk, &"done".into())
            .map_err(broken)?
            .is_truthy()
        {
            return Ok(bytes);
        }
        let value: Uint8Array = Reflect::get(&chunk, &"value".into())
            .map_err(broken)?
            .dyn_into()
            .map_err(broken)?;
        let at = bytes.len();
        bytes.resize(at + value.length() as usize, 0);
        value.copy_to(&mut bytes[at..]);
        on_chunk(u64::from(value.length()));
    }
}

/// Downloads every url, all requests sent at once, reporting progress over all of them.
pub async fn fetch_all(
    urls: &[&str],
    mut on_progress: impl FnMut(Progress),
) -> Result<Vec<Vec<u8>>, String> {
    let pending = urls
        .iter()
        .map(|url| request(url))
        .collect::<Result<Vec<_>, _>>()?;
    let mut responses = Vec::with_capacity(urls.len());
    for (url, pending) in urls.iter().zip(pending) {
        responses.push(response(url, pending).await?);
    }
    let lengths: Vec<Option<u64>> = responses.iter().map(body_length).collect();
    let total = lengths.iter().copied().sum::<Option<u64>>();
    let mut loaded = 0u64;
    let mut files = Vec::with_capacity(urls.len());
    for ((url, response), expected) in urls.iter().zip(responses).zip(lengths) {
        let mut on_chunk = |n: u64| {
            loaded += n;
            // A server that sends more than it announced makes the total unknown, not negative.
            let total = total.filter(|&t| loaded <= t);
            on_progress(Progress { loaded, total });
        };
        files.push(read_body(url, response, expected, &mut on_chunk).await?);
    }
    Ok(files)
}
