//! Downloads that report their progress as the bytes stream in, so a big model shows a progress
//! bar rather than a page that seems stuck.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo::timers::callback::Timeout;
use js_sys::{Promise, Reflect, Uint8Array};
use tastebud_core::MAX_MODEL_BYTES;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, ReadableStreamDefaultReader, RequestInit, Response};

/// How long a download may go without a byte (no answer, or a body that stops) before it is
/// abandoned with an error.
pub const STALL_SECONDS: u32 = 20;

/// Most bytes reserved up front from a `Content-Length`: past this, the buffer grows with the
/// bytes that actually arrive, so a server announcing gigabytes cannot claim the memory at once.
const RESERVE_MAX: u64 = 64 << 20;

/// Aborts every request of a download once it has gone [`STALL_SECONDS`] without progress.
struct Watchdog {
    controller: AbortController,
    timer: RefCell<Option<Timeout>>,
    fired: Rc<Cell<bool>>,
}

impl Watchdog {
    fn new() -> Result<Watchdog, String> {
        let controller = AbortController::new()
            .map_err(|e| format!("cannot start a download ({})", reason(&e)))?;
        let dog = Watchdog {
            controller,
            timer: RefCell::new(None),
            fired: Rc::new(Cell::new(false)),
        };
        dog.progress();
        Ok(dog)
    }

    /// Something arrived: the wait starts again.
    fn progress(&self) {
        let controller = self.controller.clone();
        let fired = self.fired.clone();
        // Replacing the old timer drops it, which cancels it.
        *self.timer.borrow_mut() = Some(Timeout::new(STALL_SECONDS * 1000, move || {
            fired.set(true);
            controller.abort();
        }));
    }

    /// The error for a failed request: the stall, if that is what stopped it.
    fn explain(&self, url: &str, failure: String) -> String {
        if self.fired.get() {
            format!(
                "{url} sent nothing for {STALL_SECONDS} s; the server may be down or overloaded"
            )
        } else {
            failure
        }
    }
}

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
fn request(url: &str, dog: &Watchdog) -> Result<Promise, String> {
    let window = web_sys::window().ok_or("no window to fetch from")?;
    let init = RequestInit::new();
    init.set_signal(Some(&dog.controller.signal()));
    Ok(window.fetch_with_str_and_init(url, &init))
}

async fn response(url: &str, pending: Promise, dog: &Watchdog) -> Result<Response, String> {
    let response: Response = JsFuture::from(pending)
        .await
        .and_then(JsCast::dyn_into)
        .map_err(|e| dog.explain(url, format!("{url} could not be fetched ({})", reason(&e))))?;
    dog.progress();
    if !response.ok() {
        return Err(format!("{url} answered HTTP {}", response.status()));
    }
    Ok(response)
}

/// Reads `response`'s body to the end, calling `on_chunk` with each chunk's length. A body
/// larger than [`MAX_MODEL_BYTES`] is refused as soon as that many bytes have come.
async fn read_body(
    url: &str,
    response: Response,
    expected: Option<u64>,
    dog: &Watchdog,
    on_chunk: &mut impl FnMut(u64),
) -> Result<Vec<u8>, String> {
    let broken = |e: JsValue| dog.explain(url, format!("{url} could not be read ({})", reason(&e)));
    let too_big = || {
        format!(
            "{url} is larger than {} MB, the most Tastebud loads",
            MAX_MODEL_BYTES >> 20
        )
    };
    if expected.is_some_and(|n| n > MAX_MODEL_BYTES) {
        return Err(too_big());
    }
    let Some(body) = response.body() else {
        let buffer = JsFuture::from(response.array_buffer().map_err(broken)?)
            .await
            .map_err(broken)?;
        let bytes = Uint8Array::new(&buffer).to_vec();
        on_chunk(bytes.len() as u64);
        return Ok(bytes);
    };
    let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
    let mut bytes = Vec::with_capacity(expected.unwrap_or(0).min(RESERVE_MAX) as usize);
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
        dog.progress();
        let at = bytes.len();
        if (at + value.length() as usize) as u64 > MAX_MODEL_BYTES {
            return Err(too_big());
        }
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
    let dog = Watchdog::new()?;
    let pending = urls
        .iter()
        .map(|url| request(url, &dog))
        .collect::<Result<Vec<_>, _>>()?;
    let mut responses = Vec::with_capacity(urls.len());
    for (url, pending) in urls.iter().zip(pending) {
        match response(url, pending, &dog).await {
            Ok(r) => responses.push(r),
            Err(e) => {
                // The other requests stop too.
                dog.controller.abort();
                return Err(e);
            }
        }
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
        match read_body(url, response, expected, &dog, &mut on_chunk).await {
            Ok(bytes) => files.push(bytes),
            Err(e) => {
                dog.controller.abort();
                return Err(e);
            }
        }
    }
    Ok(files)
}
