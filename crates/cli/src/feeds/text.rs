//! Feed text made safe and plain: HTML reduced to text, the language rule, ids from names.

use quick_xml::escape::resolve_html5_entity;
use tastebud_core::Localized;

/// Longest text kept in a catalog field, in bytes (the catalog accepts up to 4096).
pub const MAX_TEXT: usize = 4000;

/// Longest tag kept, in bytes (the catalog accepts up to 64).
pub const MAX_TAG: usize = 64;

/// HTML reduced to one line of plain text: tags dropped (with `script` and `style` contents),
/// entities decoded, whitespace collapsed. Text that is not HTML comes back trimmed and with its
/// entities decoded, so feeds that escape `&` twice read right too.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find('<') {
        out.push_str(&decode_entities(&rest[..at]));
        let tag = &rest[at + 1..];
        // `<` starts a tag only before a name, `/`, `!` or `?`; "size <10" stays text.
        if !tag.starts_with(|c: char| c.is_ascii_alphabetic() || matches!(c, '/' | '!' | '?')) {
            out.push('<');
            rest = tag;
            continue;
        }
        let Some(end) = tag_end(tag) else {
            // An unterminated tag: drop it, keep nothing after it.
            rest = "";
            break;
        };
        let name = tag_name(tag);
        rest = &tag[end + 1..];
        if matches!(name.as_str(), "script" | "style") {
            let close = format!("</{name}");
            rest = match rest.to_ascii_lowercase().find(&close) {
                Some(c) => rest[c..].find('>').map_or("", |g| &rest[c + g + 1..]),
                None => "",
            };
        }
        // Tags separate words ("a<br>b", "</p><p>"), except inline ones inside a word.
        if !matches!(
            name.as_str(),
            "b" | "i" | "em" | "strong" | "span" | "a" | "u" | "small" | "sup" | "sub"
        ) {
            out.push(' ');
        }
    }
    out.push_str(&decode_entities(rest));
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Where a tag that starts at `tag` (just after its `<`) ends, skipping `>` inside quotes and
/// treating a comment as one tag.
fn tag_end(tag: &str) -> Option<usize> {
    if let Some(comment) = tag.strip_prefix("!--") {
        return comment.find("-->").map(|e| e + 3 + 2);
    }
    let mut quote = None;
    for (i, c) in tag.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '>') => return Some(i),
            _ => {}
        }
    }
    None
}

fn tag_name(tag: &str) -> String {
    tag.trim_start_matches('/')
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase()
}

/// Decodes `&amp;`, `&eacute;`, `&#233;` and `&#xE9;`; anything else (a lone `&`, an unknown
/// name) stays as written.
pub fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let decoded = after
            .find(';')
            .filter(|&end| end > 0 && end <= 32)
            .and_then(|end| entity(&after[..end]).map(|s| (s, end)));
        match decoded {
            Some((s, end)) => {
                out.push_str(&s);
                rest = &after[end + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn entity(name: &str) -> Option<String> {
    if let Some(number) = name.strip_prefix('#') {
        let code = match number.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => number.parse().ok()?,
        };
        return char::from_u32(code)
            .filter(|c| *c != '\0')
            .map(String::from);
    }
    resolve_html5_entity(name).map(str::to_owned)
}

/// Whether `text` has Chinese (CJK ideograph) characters.
pub fn has_cjk(text: &str) -> bool {
    text.chars().any(|c| {
        matches!(c as u32,
            0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
    })
}

/// The language rule: feed text is the English text (the storefront's fallback for every
/// language), and also the Chinese text when it has Chinese characters.
pub fn localized(text: &str) -> Localized {
    Localized {
        en: text.to_owned(),
        zh: if has_cjk(text) {
            text.to_owned()
        } else {
            String::new()
        },
    }
}

/// `text` cut to at most `max` bytes at a character boundary, with "…" when cut.
pub fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max - '…'.len_utf8();
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", text[..end].trim_end())
}

/// A stable 32-bit hash (FNV-1a), the same on every platform and Rust version.
pub fn stable_hash(text: &str) -> u32 {
    text.bytes().fold(0x811c_9dc5, |h: u32, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

/// An id for a name: lowercase ASCII words joined by `-` ("Tents & Tarps" -> `tents-tarps`).
/// Names with other letters (Chinese, accents) get their hash appended, so "茶" and "咖啡" differ
/// and "Café" does not take "Caf"'s id.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for word in name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if out.len() + word.len() >= 48 {
            break;
        }
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(&word.to_ascii_lowercase());
    }
    if name.chars().any(|c| c.is_alphanumeric() && !c.is_ascii()) || out.is_empty() {
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(&format!("{:08x}", stable_hash(name.trim())));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_becomes_one_line_of_text() {
        assert_eq!(
            html_to_text("<p>Light &amp; <b>warm</b>.</p><ul><li>2 kg</li><li>&lt;3 &#x4E2D;&#25991;</li></ul>"),
            "Light & warm. 2 kg <3 中文"
        );
        assert_eq!(
            html_to_text("a<br/>b<script>alert('<p>')</script> c<style>p{}</style>"),
            "a b c"
        );
        assert_eq!(
            html_to_text("<a href=\"x>y\" title='1>0'>link</a> <!-- a <b> comment -->done"),
            "link done"
        );
        assert_eq!(
            html_to_text("size <10 & AT&T caf&eacute;"),
            "size <10 & AT&T café"
        );
        assert_eq!(html_to_text("cut <p unterminated"), "cut");
        assert_eq!(html_to_text("&bogus; &#0; &;"), "&bogus; &#0; &;");
    }

    #[test]
    fn chinese_text_goes_to_both_languages() {
        let l = localized("户外 Trail Mug");
        assert_eq!(
            (l.en.as_str(), l.zh.as_str()),
            ("户外 Trail Mug", "户外 Trail Mug")
        );
        let l = localized("Trail Mug");
        assert_eq!((l.en.as_str(), l.zh.as_str()), ("Trail Mug", ""));
        assert!(!has_cjk("café ñ"));
    }

    #[test]
    fn truncation_respects_characters() {
        assert_eq!(truncate("abc", 3), "abc");
        assert_eq!(truncate("中文中文", 8), "中…");
        assert!(truncate(&"x".repeat(5000), MAX_TEXT).len() <= MAX_TEXT);
    }

    #[test]
    fn slugs_are_stable_and_tell_non_ascii_names_apart() {
        assert_eq!(slug("Tents & Tarps"), "tents-tarps");
        assert_eq!(slug("  Camping  "), "camping");
        assert_ne!(slug("茶"), slug("咖啡"));
        assert_eq!(slug("茶"), slug("茶"));
        assert!(
            slug("茶").chars().all(|c| c.is_ascii_hexdigit()),
            "{}",
            slug("茶")
        );
        assert!(slug("Café").starts_with("caf-"));
        assert_eq!(stable_hash(""), 0x811c_9dc5);
        assert_eq!(stable_hash("a"), 0xe40c_292c);
    }
}
