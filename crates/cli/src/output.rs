//! Everything that reaches the terminal: stdout text and JSON, progress on stderr, and the
//! small formatting helpers the commands share.

use std::io::{self, IsTerminal, Write};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{json, Value};
use tastebud_core::Metrics;

/// Writes `text` to stdout, with [terminal controls escaped](escape_controls). Errors (a closed
/// pipe above all) are returned, not panicked on.
pub fn emit(text: &str) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(escape_controls(text).as_bytes())?;
    out.flush()
}

/// Writes one JSON value on one line. serde_json escapes C0 controls; C1 controls and bidi
/// overrides get JSON's `\u` escapes here, so the line is still the same JSON.
pub fn emit_json(value: &Value) -> io::Result<()> {
    emit(&format!("{value}\n"))
}

/// Whether a character can drive a terminal or reorder the text around it: C0 and C1 controls
/// other than newline and tab (ESC starts the codes that move the cursor, retitle the window or
/// write links), and the Unicode bidi embeddings, overrides and isolates.
fn is_hazard(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every [hazardous](is_hazard) character written as a `\uXXXX` escape, so model
/// ids, provenance or file contents cannot send escape codes to the terminal. Both text and
/// JSON output read the same (inside a JSON string the escape is JSON's own).
pub fn escape_controls(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(is_hazard) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if is_hazard(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out.into()
}

fn visible(quiet: bool) -> bool {
    !quiet && io::stderr().is_terminal()
}

/// A bar of `len` steps on stderr; hidden with `quiet` (JSON output) or when stderr is not a
/// terminal, so logs and pipes stay clean.
pub fn bar(len: u64, what: &str, quiet: bool) -> ProgressBar {
    if !visible(quiet) {
        return ProgressBar::hidden();
    }
    let style = ProgressStyle::with_template(&format!(
        "{{spinner}} [{{bar:30}}] {{pos}}/{{len}} {what} {{msg}}"
    ))
    .expect("valid template")
    .progress_chars("=> ");
    ProgressBar::new(len).with_style(style)
}

/// A spinner with a message, for work that reports no steps.
pub fn spinner(message: &str, quiet: bool) -> ProgressBar {
    if !visible(quiet) {
        return ProgressBar::hidden();
    }
    let s = ProgressBar::new_spinner().with_message(message.to_owned());
    s.enable_steady_tick(Duration::from_millis(100));
    s
}

/// An f32 as the shortest decimal that reads back as the same f32 (`0.05`, not the
/// `0.05000000074505806` a plain widening to f64 prints).
pub fn short(x: f32) -> f64 {
    x.to_string().parse().unwrap_or(f64::NAN)
}

/// `1.2 MB`, `340 KB`, `12 bytes`.
pub fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{:.1} MB", b as f64 / (1 << 20) as f64),
        b if b >= 1 << 10 => format!("{:.1} KB", b as f64 / (1 << 10) as f64),
        b => format!("{b} bytes"),
    }
}

/// `1 row`, `2 rows`.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The ranking metrics every table shows first, in column order: P@k, R@k, nDCG@k, MAP@k,
/// coverage and tail share.
pub fn ranking_columns(m: &Metrics) -> [f64; 6] {
    [
        m.precision,
        m.recall,
        m.ndcg,
        m.map,
        m.coverage,
        m.tail_share,
    ]
}

/// The metrics every evaluation reports, as JSON fields.
pub fn metrics_json(m: &Metrics) -> serde_json::Map<String, Value> {
    let v = json!({
        "k": m.k,
        "users": m.users,
        "precision": m.precision,
        "recall": m.recall,
        "ndcg": m.ndcg,
        "map": m.map,
        "coverage": m.coverage,
        "tail_share": m.tail_share,
        "novelty": m.novelty,
        // null without item categories.
        "intra_list_diversity": m.intra_list_diversity,
        "category_coverage": m.category_coverage,
    });
    match v {
        Value::Object(map) => map,
        _ => unreachable!("json! of an object literal"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f32s_print_short() {
        assert_eq!(json!(short(0.05)).to_string(), "0.05");
        assert_eq!(short(1e-7), 1e-7);
    }

    #[test]
    fn terminal_controls_are_escaped_and_json_stays_json() {
        assert_eq!(escape_controls("a\tb\nc"), "a\tb\nc");
        assert_eq!(
            escape_controls("id\u{1b}]0;owned\u{7}\u{9b}2J\u{202e}x"),
            "id\\u001b]0;owned\\u0007\\u009b2J\\u202ex"
        );
        let value = json!({"id": "a\u{1b}[31m\u{9b}\u{202e}b"});
        let text = escape_controls(&value.to_string()).into_owned();
        assert!(!text.chars().any(is_hazard), "{text}");
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), value);
    }

    #[test]
    fn sizes() {
        assert_eq!(size(12), "12 bytes");
        assert_eq!(size(2048), "2.0 KB");
        assert_eq!(size(3 << 20), "3.0 MB");
    }
}
