//! Reading item categories for `evaluate --categories`: a TSV `item<TAB>category` file, or
//! Amazon's `item2names_reconstructed.json`, told apart by content.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{anyhow, bail, Result};
use serde::Deserialize;
use serde_json::Value;
use tastebud_core::ItemCategories;

use crate::input::{lines, read_file};

/// The level of an `item2names` list used by default: index 3, the sub-category ("Camping &
/// Hiking", "Hunting", "Skiing"), below the department at index 2.
pub const DEFAULT_LEVEL: usize = 3;

/// The broadest level an `item2names` list falls back to (index 0 is the brand, 1 is unused).
const BROADEST_LEVEL: usize = 2;

/// Item id to category name, as read from a file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CategoryFile {
    pub of_item: HashMap<String, String>,
    /// What the file was read as, for messages and reports ("tsv", "amazon item2names, level 3").
    pub kind: String,
}

impl CategoryFile {
    /// The categories of `item_ids` (a model's items, in order); items the file does not mention
    /// have none.
    pub fn for_items(&self, item_ids: &[String]) -> ItemCategories {
        ItemCategories::from_names(item_ids.iter().map(|id| self.of_item.get(id)))
    }
}

/// Reads `path` as Amazon `item2names` JSON when it is a JSON object with an `item2names` key,
/// as TSV otherwise. `level` picks the `item2names` list index (default [`DEFAULT_LEVEL`]); it
/// is an error for a TSV file.
pub fn read(path: &Path, level: Option<usize>) -> Result<CategoryFile> {
    let bytes = read_file(path)?;
    let looks_json = bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'{');
    if looks_json {
        return amazon_item2names(path, &bytes, level.unwrap_or(DEFAULT_LEVEL));
    }
    if let Some(level) = level {
        bail!(
            "--category-level {level} applies to Amazon item2names JSON, but {} is an `item<TAB>category` file; drop --category-level",
            path.display()
        );
    }
    tsv(path, &bytes)
}

/// `item<TAB>category` per line; blank lines and lines starting with `#` are skipped. An item
/// listed twice must have the same category both times.
fn tsv(path: &Path, bytes: &[u8]) -> Result<CategoryFile> {
    let mut of_item: HashMap<String, (String, usize)> = HashMap::new();
    for line in lines(path, bytes) {
        let (n, line) = line?;
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').map(str::trim).collect();
        let [item, category] = fields[..] else {
            bail!(
                "{}:{n}: found {} tab-separated fields; a categories file has `item<TAB>category` per line",
                path.display(),
                fields.len()
            );
        };
        if item.is_empty() || category.is_empty() {
            bail!(
                "{}:{n}: the {} is empty",
                path.display(),
                if item.is_empty() { "item" } else { "category" }
            );
        }
        if let Some((before, at)) = of_item.get(item) {
            if before != category {
                bail!(
                    "{}:{n}: item {item:?} is in {category:?} here but in {before:?} on line {at}; give each item one category",
                    path.display()
                );
            }
            continue;
        }
        of_item.insert(item.to_owned(), (category.to_owned(), n));
    }
    if of_item.is_empty() {
        bail!("{} has no `item<TAB>category` lines", path.display());
    }
    Ok(CategoryFile {
        of_item: of_item.into_iter().map(|(i, (c, _))| (i, c)).collect(),
        kind: "tsv".into(),
    })
}

#[derive(Deserialize)]
struct Item2Names {
    item2names: HashMap<String, Vec<Value>>,
}

/// `{"item2names": {"<item id>": [brand, null, category, sub-category, ...]}}`: each item's name
/// at `level`, or at the nearest broader level (down to index 2) where that one is missing, null
/// or empty.
fn amazon_item2names(path: &Path, bytes: &[u8], level: usize) -> Result<CategoryFile> {
    let parsed: Item2Names = serde_json::from_slice(bytes).map_err(|e| {
        if e.is_data() {
            anyhow!(
                "{} is JSON but not Amazon item2names ({e}); give {{\"item2names\": {{\"<item id>\": [brand, null, category, sub-category, ...]}}}} or an `item<TAB>category` file",
                path.display()
            )
        } else {
            anyhow!("{}: not valid JSON ({e})", path.display())
        }
    })?;
    let of_item: HashMap<String, String> = parsed
        .item2names
        .into_iter()
        .filter_map(|(item, names)| {
            let name = (level.min(BROADEST_LEVEL)..=level).rev().find_map(|l| {
                names
                    .get(l)
                    .and_then(Value::as_str)
                    .map(str::trim)
                    .filter(|n| !n.is_empty())
            });
            name.map(|n| (item, n.to_owned()))
        })
        .collect();
    if of_item.is_empty() {
        bail!(
            "{}: no item has a name at level {level} or broader; try another --category-level",
            path.display()
        );
    }
    Ok(CategoryFile {
        of_item,
        kind: format!("amazon item2names, level {level}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(level: usize, text: &str) -> Result<CategoryFile> {
        amazon_item2names(Path::new("x.json"), text.as_bytes(), level)
    }

    #[test]
    fn item2names_takes_the_level_and_falls_back_to_broader_ones() {
        let text = r#"{"id2name": {}, "item2names": {
            "1": ["Ghost", null, "Hunting & Fishing", "Hunting", "Gun Maintenance"],
            "2": ["", null, "Cycling", null],
            "3": ["", null, "Golf", ""],
            "4": ["", null, "Skiing"],
            "5": ["Brand", null]
        }}"#;
        let c = json(3, text).unwrap();
        let of = |i: &str| c.of_item.get(i).map(String::as_str);
        assert_eq!(of("1"), Some("Hunting"));
        assert_eq!(of("2"), Some("Cycling"));
        assert_eq!(of("3"), Some("Golf"));
        assert_eq!(of("4"), Some("Skiing"));
        assert_eq!(of("5"), None);
        let c = json(4, text).unwrap();
        assert_eq!(c.of_item["1"], "Gun Maintenance");
        assert_eq!(c.of_item["4"], "Skiing");
        // Level 0 is the brand, with no fallback: empty brands have no category.
        let c = json(0, text).unwrap();
        assert_eq!(c.of_item.len(), 2);
        assert_eq!(c.of_item["5"], "Brand");
    }

    #[test]
    fn other_json_is_an_error_that_names_the_format() {
        let e = json(3, r#"{"items": {}}"#).unwrap_err().to_string();
        assert!(
            e.starts_with("x.json is JSON but not Amazon item2names"),
            "{e}"
        );
        let e = json(3, r#"{"item2names": {"#).unwrap_err().to_string();
        assert!(e.starts_with("x.json: not valid JSON"), "{e}");
    }

    #[test]
    fn tsv_lines_and_their_errors() {
        let read = |text: &str| tsv(Path::new("c.tsv"), text.as_bytes());
        let c = read("# item\tcategory\na\tTents\n\nb\tStoves\r\na\tTents\n").unwrap();
        assert_eq!(c.of_item.len(), 2);
        assert_eq!(c.of_item["b"], "Stoves");
        let cats = c.for_items(&["b".into(), "z".into(), "a".into()]);
        assert_eq!(cats.of(0), cats.find("Stoves"));
        assert_eq!(cats.of(1), None);
        assert_eq!(
            read("a\tTents\na\tStoves\n").unwrap_err().to_string(),
            "c.tsv:2: item \"a\" is in \"Stoves\" here but in \"Tents\" on line 1; give each item one category"
        );
        assert_eq!(
            read("a Tents\n").unwrap_err().to_string(),
            "c.tsv:1: found 1 tab-separated fields; a categories file has `item<TAB>category` per line"
        );
        assert_eq!(
            read("a\t\n").unwrap_err().to_string(),
            "c.tsv:1: the category is empty"
        );
        assert!(read("\n# nothing\n").is_err());
    }
}
