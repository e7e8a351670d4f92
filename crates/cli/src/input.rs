//! Reading files: interaction logs in every supported format, event weights, and the plain
//! error messages for files that cannot be read.
//!
//! GA4 exports are read by [`crate::ga4`]; this module turns their events into a dataset like
//! any other log's.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io::{self, Read};
use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use clap::ValueEnum;
use serde::Deserialize;
use tastebud_core::{
    Dataset, DatasetBuilder, EventKind, EventWeights, Interaction, MAX_MODEL_BYTES,
};

use crate::ga4;

/// The layout of an interaction log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// `user<TAB>item[<TAB>weight]`, no header.
    Tsv,
    /// `user,item[,weight]`, no header.
    Csv,
    /// One JSON object per line: {"user", "item", "kind", "value", "ts"}; kinds may be GA4 names.
    Jsonl,
    /// GA4 e-commerce events, one BigQuery export row per line (see --ga4-map).
    Ga4,
    /// MovieLens ratings (ml-1m `u::i::r::t` or ml-100k u.data), each row an implicit 1.
    Movielens,
    /// `user item1 item2 ...`, each distinct item an implicit 1.
    Sequences,
}

impl Format {
    /// What a line looks like, for error messages.
    fn description(self) -> &'static str {
        match self {
            Format::Tsv => "tsv: `user<TAB>item[<TAB>weight]` per line, no header",
            Format::Csv => "csv: `user,item[,weight]` per line, no header",
            Format::Jsonl => {
                "jsonl: one object per line such as \
                 {\"user\": \"u1\", \"item\": \"i9\", \"kind\": \"like\", \"ts\": 1700000000}"
            }
            Format::Ga4 => ga4::DESCRIPTION,
            Format::Movielens => {
                "movielens: `user::item::rating::timestamp` (ml-1m) or \
                 `user<TAB>item<TAB>rating<TAB>timestamp` (ml-100k u.data)"
            }
            Format::Sequences => "sequences: `user item1 item2 ...` separated by spaces",
        }
    }

    /// Formats that say in what order a user's events came: sequences, time-stamped rows and
    /// GA4 exports. A `tsv` or `csv` log has no such field, and its lines are often sorted by
    /// something else.
    pub fn is_ordered(self) -> bool {
        !matches!(self, Format::Tsv | Format::Csv)
    }

    /// Formats whose rows are implicit 1s, so a repeated (user, item) pair counts once.
    fn is_binary(self) -> bool {
        matches!(self, Format::Movielens | Format::Sequences)
    }
}

/// Reads a whole file, with a message that says what to check.
pub fn read_file(path: &Path) -> Result<Vec<u8>> {
    read_capped(path, None)
}

/// Reads a model file: one larger than [`MAX_MODEL_BYTES`] is refused once that many bytes
/// have been read, and one that does not start with the model magic is not read past its first
/// 4 KiB (so `inspect /dev/zero` is an error at once, not a machine out of memory).
pub fn read_model_file(path: &Path) -> Result<Vec<u8>> {
    read_capped(path, Some(MAX_MODEL_BYTES))
}

fn read_capped(path: &Path, model_cap: Option<u64>) -> Result<Vec<u8>> {
    let failed = |e: io::Error| {
        let hint = match e.kind() {
            io::ErrorKind::NotFound => "check the path",
            io::ErrorKind::PermissionDenied => "check its permissions",
            io::ErrorKind::IsADirectory => "give a file, not a directory",
            _ => "check the file",
        };
        anyhow!("cannot read {}: {}; {hint}", path.display(), io_reason(&e))
    };
    let file = std::fs::File::open(path).map_err(failed)?;
    let meta = file.metadata().map_err(failed)?;
    if meta.is_dir() {
        bail!(
            "cannot read {}: it is a directory; give a file, not a directory",
            path.display()
        );
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let kind = meta.file_type();
        if kind.is_char_device() || kind.is_block_device() {
            bail!(
                "cannot read {}: it is a device, not a file; give a file (or a pipe)",
                path.display()
            );
        }
    }
    let mut bytes = Vec::with_capacity(meta.len().min(1 << 30) as usize);
    let mut reader = io::BufReader::new(file);
    let Some(cap) = model_cap else {
        reader.read_to_end(&mut bytes).map_err(failed)?;
        return Ok(bytes);
    };
    (&mut reader)
        .take(4096)
        .read_to_end(&mut bytes)
        .map_err(failed)?;
    if bytes.len() < 8 || bytes[..8] != tastebud_core::MAGIC {
        // Not a model: the parser says so, from these bytes alone.
        return Ok(bytes);
    }
    reader
        .take(cap + 1 - bytes.len() as u64)
        .read_to_end(&mut bytes)
        .map_err(failed)?;
    if bytes.len() as u64 > cap {
        bail!(
            "{}: larger than the largest model Tastebud reads ({} GiB)",
            path.display(),
            cap >> 30
        );
    }
    Ok(bytes)
}

/// An I/O error's description without Rust's " (os error N)" suffix.
pub fn io_reason(e: &io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

/// The lines of a text file, numbered from 1, without line endings.
pub fn lines<'a, 'p>(
    path: &'p Path,
    bytes: &'a [u8],
) -> impl Iterator<Item = Result<(usize, &'a str)>> + use<'a, 'p> {
    bytes
        .split(|&b| b == b'\n')
        .enumerate()
        .map(move |(i, raw)| {
            let line = std::str::from_utf8(raw)
                .map_err(|_| anyhow!("{}:{}: not UTF-8 text", path.display(), i + 1))?;
            // A byte order mark, as spreadsheet tools and some exporters write, is not text.
            let line = if i == 0 {
                line.strip_prefix('\u{feff}').unwrap_or(line)
            } else {
                line
            };
            Ok((i + 1, line.trim_end_matches('\r')))
        })
}

/// How a log becomes preferences: its layout, the event weights, the GA4 event mapping, and item
/// ids to count under another id (a product's variants under the product).
#[derive(Debug, Clone)]
pub struct Reading {
    pub format: Format,
    pub weights: EventWeights,
    pub ga4: ga4::Mapping,
    /// Item id -> the id to count it under.
    pub items: HashMap<String, String>,
}

impl Reading {
    /// The settings from `--format`, `--weights FILE` and `--ga4-map FILE`.
    pub fn load(format: Format, weights: Option<&Path>, ga4_map: Option<&Path>) -> Result<Reading> {
        let ga4 = match ga4_map {
            Some(_) if format != Format::Ga4 => {
                bail!("--ga4-map applies to --format ga4 only; drop it or pass --format ga4")
            }
            Some(path) => ga4::Mapping::load(path)?,
            None => ga4::Mapping::default(),
        };
        let weights = match (&ga4.weights, weights) {
            (Some(_), Some(_)) => bail!(
                "event weights are given both in --weights and in the --ga4-map file; keep one"
            ),
            (Some(w), None) => w.clone(),
            (None, path) => load_weights(path)?,
        };
        Ok(Reading {
            format,
            weights,
            ga4,
            items: HashMap::new(),
        })
    }
}

/// A log read into a dataset, with what the GA4 reader found.
pub struct Loaded {
    pub dataset: Dataset,
    /// Set for `--format ga4`.
    pub ga4: Option<ga4::Report>,
    /// Events counted under another item id (see [`Reading::items`]).
    pub remapped: usize,
}

/// Event weights from `--weights FILE.json`, or the defaults.
pub fn load_weights(path: Option<&Path>) -> Result<EventWeights> {
    let Some(path) = path else {
        return Ok(EventWeights::default());
    };
    let bytes = read_file(path)?;
    let weights: EventWeights = serde_json::from_slice(&bytes)
        .with_context(|| format!("{}: invalid event weights", path.display()))?;
    weights
        .validate()
        .with_context(|| format!("{}: invalid event weights", path.display()))?;
    Ok(weights)
}

/// Reads an interaction log and aggregates it with the reading's weights.
///
/// Events are applied in file order (GA4 exports: in timestamp order), so a log should list each
/// user's events oldest first. With time decay, ages are measured from the log's latest
/// timestamp, so the same log always gives the same preferences.
pub fn read_dataset(path: &Path, reading: &Reading) -> Result<Dataset> {
    Ok(read_log(path, reading)?.dataset)
}

/// [`read_dataset`], with what was found on the way.
pub fn read_log(path: &Path, reading: &Reading) -> Result<Loaded> {
    if reading.format == Format::Ga4 {
        return read_ga4(path, reading);
    }
    let format = reading.format;
    let bytes = read_file(path)?;
    let mut log = Log::new(format, &reading.items);
    for line in lines(path, &bytes) {
        let (number, line) = line?;
        if line.trim().is_empty() {
            continue;
        }
        log.line(line).map_err(|problem| {
            anyhow!(
                "{}:{number}: {problem}; expected {}",
                path.display(),
                format.description()
            )
        })?;
    }
    let (latest, remapped) = (log.latest, log.remapped);
    let dataset = log.builder.build(&reading.weights, latest);
    if dataset.matrix.nnz() == 0 {
        bail!(
            "{}: no interactions found (read as {}); check the file or pass the right --format",
            path.display(),
            format.description()
        );
    }
    Ok(Loaded {
        dataset,
        ga4: None,
        remapped,
    })
}

fn read_ga4(path: &Path, reading: &Reading) -> Result<Loaded> {
    let log = ga4::read(path, &reading.ga4)?;
    if log.report.rows == 0 {
        bail!(
            "{}: the file has no rows; expected {}",
            path.display(),
            ga4::DESCRIPTION
        );
    }
    let mut builder = DatasetBuilder::new();
    let (mut latest, mut remapped) = (None::<f64>, 0);
    for event in &log.events {
        let item = match reading.items.get(&event.item) {
            Some(product) => {
                remapped += 1;
                product
            }
            None => &event.item,
        };
        if let Some(t) = event.interaction.timestamp {
            latest = Some(latest.map_or(t, |l| l.max(t)));
        }
        builder.push(&event.user, item, event.interaction);
    }
    let dataset = builder.build(&reading.weights, latest);
    if dataset.matrix.nnz() == 0 {
        bail!(
            "{}: no interactions found in {} GA4 rows{}; check the file, or map its events with --ga4-map",
            path.display(),
            log.report.rows,
            log.report.why_unused()
        );
    }
    Ok(Loaded {
        dataset,
        ga4: Some(log.report),
        remapped,
    })
}

/// The state of one log being read.
struct Log<'a> {
    format: Format,
    /// Item ids to count under another id.
    items: &'a HashMap<String, String>,
    remapped: usize,
    builder: DatasetBuilder,
    /// (user, item) pairs already added, for binary formats, as indices into `ids`.
    seen: HashSet<(u32, u32)>,
    /// Every user and item id seen so far (one namespace is enough to tell pairs apart).
    ids: HashMap<String, u32>,
    /// The MovieLens field separator, fixed by the file's first line.
    movielens_separator: Option<&'static str>,
    latest: Option<f64>,
}

impl<'a> Log<'a> {
    fn new(format: Format, items: &'a HashMap<String, String>) -> Self {
        Log {
            format,
            items,
            remapped: 0,
            builder: DatasetBuilder::new(),
            seen: HashSet::new(),
            ids: HashMap::new(),
            movielens_separator: None,
            latest: None,
        }
    }

    fn push(&mut self, user: &str, item: &str, event: Interaction) {
        let item = match self.items.get(item) {
            Some(product) => {
                self.remapped += 1;
                product
            }
            None => item,
        };
        if self.format.is_binary() {
            let pair = (self.intern(user), self.intern(item));
            if !self.seen.insert(pair) {
                return;
            }
        }
        if let Some(t) = event.timestamp {
            self.latest = Some(self.latest.map_or(t, |l| l.max(t)));
        }
        self.builder.push(user, item, event);
    }

    fn intern(&mut self, id: &str) -> u32 {
        if let Some(&i) = self.ids.get(id) {
            return i;
        }
        let i = self.ids.len() as u32;
        self.ids.insert(id.to_owned(), i);
        i
    }

    /// Parses one non-empty line; the error is the problem alone, without file or line.
    fn line(&mut self, line: &str) -> Result<(), String> {
        match self.format {
            Format::Tsv => self.weighted(line, '\t'),
            Format::Csv => self.weighted(line, ','),
            Format::Jsonl => self.json(line),
            Format::Ga4 => unreachable!("GA4 exports are read by crate::ga4"),
            Format::Movielens => self.movielens(line),
            Format::Sequences => self.sequence(line),
        }
    }

    fn weighted(&mut self, line: &str, separator: char) -> Result<(), String> {
        let fields: Vec<&str> = line.split(separator).map(str::trim).collect();
        let (user, item, weight) = match fields[..] {
            [user, item] => (user, item, 1.0),
            [user, item, weight] => (user, item, parse_weight(weight)?),
            _ => return Err(format!("found {} fields", fields.len())),
        };
        let (user, item) = (id("user", user)?, id("item", item)?);
        self.push(user, item, Interaction::weight(weight));
        Ok(())
    }

    fn movielens(&mut self, line: &str) -> Result<(), String> {
        let separator = *self
            .movielens_separator
            .get_or_insert(if line.contains("::") { "::" } else { "\t" });
        let fields: Vec<&str> = line.split(separator).map(str::trim).collect();
        let [user, item, rating, ts] = fields[..] else {
            return Err(format!(
                "found {} fields separated by {:?}",
                fields.len(),
                separator
            ));
        };
        let (user, item) = (id("user", user)?, id("item", item)?);
        rating
            .parse::<f32>()
            .ok()
            .filter(|r| r.is_finite())
            .ok_or_else(|| format!("rating {rating:?} is not a number"))?;
        let ts = parse_timestamp(ts)?;
        self.push(user, item, Interaction::weight(1.0).at(ts));
        Ok(())
    }

    fn sequence(&mut self, line: &str) -> Result<(), String> {
        let mut fields = line.split_whitespace();
        let user = fields.next().expect("the line is not blank");
        let mut any = false;
        for item in fields {
            self.push(user, item, Interaction::weight(1.0));
            any = true;
        }
        if !any {
            return Err(format!("user {user:?} has no items"));
        }
        Ok(())
    }

    fn json(&mut self, line: &str) -> Result<(), String> {
        let event: JsonEvent = serde_json::from_str(line).map_err(|e| {
            // serde's "at line 1 column 7" is about this one line; the caller names the file's.
            let text = e.to_string();
            let text = text.split(" at line ").next().unwrap_or(&text).to_owned();
            let hint = if line.contains("\"event_name\"") {
                "; this looks like a GA4 export row: use --format ga4"
            } else {
                ""
            };
            format!("not a valid JSON event ({text}{hint})")
        })?;
        let kind = EventKind::from_any_name(&event.kind).ok_or_else(|| {
            let known: Vec<&str> = EventKind::ALL.iter().map(|k| k.name()).collect();
            let ga4: Vec<&str> = EventKind::GA4.iter().map(|(name, _)| *name).collect();
            format!(
                "unknown kind {:?} (kinds: {}; or GA4 events: {})",
                event.kind,
                known.join(", "),
                ga4.join(", ")
            )
        })?;
        let mut interaction = Interaction::new(kind);
        if let Some(v) = event.value {
            if !v.is_finite() {
                return Err(format!("value {v} is not finite"));
            }
            interaction.value = Some(v);
        } else if matches!(kind, EventKind::Rate | EventKind::Weight) {
            return Err(format!("kind {:?} needs a numeric \"value\"", kind.name()));
        }
        if let Some(ts) = event.ts {
            if !ts.is_finite() {
                return Err(format!("ts {ts} is not finite"));
            }
            interaction = interaction.at(ts);
        }
        let (user, item) = (event.user.to_string(), event.item.to_string());
        let (user, item) = (id("user", &user)?, id("item", &item)?);
        self.push(user, item, interaction);
        Ok(())
    }
}

/// One line of a JSON Lines log.
#[derive(Deserialize)]
struct JsonEvent {
    user: JsonId,
    item: JsonId,
    kind: String,
    #[serde(default)]
    value: Option<f32>,
    #[serde(default)]
    ts: Option<f64>,
}

/// Ids may be written as strings or as numbers.
#[derive(Deserialize)]
#[serde(untagged)]
enum JsonId {
    Text(String),
    Number(serde_json::Number),
}

impl fmt::Display for JsonId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JsonId::Text(s) => f.write_str(s),
            JsonId::Number(n) => write!(f, "{n}"),
        }
    }
}

fn id<'a>(what: &str, value: &'a str) -> Result<&'a str, String> {
    if value.is_empty() {
        return Err(format!("the {what} id is empty"));
    }
    Ok(value)
}

fn parse_weight(text: &str) -> Result<f32, String> {
    let w: f32 = text
        .parse()
        .map_err(|_| format!("weight {text:?} is not a number"))?;
    if !(w.is_finite() && w >= 0.0) {
        return Err(format!("weight {text} must be finite and >= 0"));
    }
    Ok(w)
}

fn parse_timestamp(text: &str) -> Result<f64, String> {
    text.parse::<f64>()
        .ok()
        .filter(|t| t.is_finite())
        .ok_or_else(|| format!("timestamp {text:?} is not a number"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(format: Format, lines: &[&str]) -> Result<Dataset, String> {
        let none = HashMap::new();
        let mut log = Log::new(format, &none);
        for l in lines {
            log.line(l)?;
        }
        Ok(log.builder.build(&EventWeights::default(), log.latest))
    }

    fn cells(d: &Dataset) -> Vec<(String, String, f32)> {
        let mut out = Vec::new();
        for (u, user) in d.users.iter().enumerate() {
            for (i, r) in d.matrix.row_pairs(u) {
                out.push((user.clone(), d.items[i as usize].clone(), r));
            }
        }
        out
    }

    fn cell(u: &str, i: &str, r: f32) -> (String, String, f32) {
        (u.into(), i.into(), r)
    }

    #[test]
    fn tsv_and_csv_weights_default_to_one_and_add_up() {
        let d = parse(Format::Tsv, &["u1\ta\t2.5", "u1\tb", "u1\ta\t1"]).unwrap();
        assert_eq!(cells(&d), [cell("u1", "a", 3.5), cell("u1", "b", 1.0)]);
        let d = parse(Format::Csv, &["u1, a ,2", "u2,a"]).unwrap();
        assert_eq!(cells(&d), [cell("u1", "a", 2.0), cell("u2", "a", 1.0)]);
    }

    #[test]
    fn bad_weights_and_field_counts_are_errors() {
        assert_eq!(
            parse(Format::Tsv, &["u\ti\tmany"]).unwrap_err(),
            "weight \"many\" is not a number"
        );
        assert_eq!(
            parse(Format::Csv, &["u,i,-1"]).unwrap_err(),
            "weight -1 must be finite and >= 0"
        );
        assert_eq!(parse(Format::Csv, &["u"]).unwrap_err(), "found 1 fields");
        assert_eq!(
            parse(Format::Csv, &[",i"]).unwrap_err(),
            "the user id is empty"
        );
    }

    #[test]
    fn movielens_detects_the_separator_and_counts_each_pair_once() {
        let d = parse(
            Format::Movielens,
            &["1::10::5::978300760", "1::10::3::978300761"],
        )
        .unwrap();
        assert_eq!(cells(&d), [cell("1", "10", 1.0)]);
        let d = parse(Format::Movielens, &["196\t242\t3\t881250949"]).unwrap();
        assert_eq!(cells(&d), [cell("196", "242", 1.0)]);
        let e = parse(Format::Movielens, &["1::10::5::978300760", "1\t2\t3\t4"]).unwrap_err();
        assert_eq!(e, "found 1 fields separated by \"::\"");
    }

    #[test]
    fn sequences_are_binary() {
        let d = parse(Format::Sequences, &["u1 a b a", "u2  c", "u1 b"]).unwrap();
        assert_eq!(
            cells(&d),
            [
                cell("u1", "a", 1.0),
                cell("u1", "b", 1.0),
                cell("u2", "c", 1.0)
            ]
        );
        assert_eq!(
            parse(Format::Sequences, &["lonely"]).unwrap_err(),
            "user \"lonely\" has no items"
        );
    }

    #[test]
    fn jsonl_uses_event_kinds_and_accepts_numeric_ids() {
        let d = parse(
            Format::Jsonl,
            &[
                r#"{"user": "u1", "item": "i9", "kind": "like", "ts": 1700000000}"#,
                r#"{"user": 7, "item": 3, "kind": "rate", "value": 5}"#,
                r#"{"user": "u1", "item": "i8", "kind": "dismiss"}"#,
            ],
        )
        .unwrap();
        assert_eq!(cells(&d), [cell("u1", "i9", 4.0), cell("7", "3", 8.0)]);
        assert_eq!(d.dismissed, 1);
        let e = parse(
            Format::Jsonl,
            &[r#"{"user": "u", "item": "i", "kind": "hug"}"#],
        );
        assert!(e
            .unwrap_err()
            .starts_with("unknown kind \"hug\" (kinds: view, click,"));
        let e = parse(Format::Jsonl, &[r#"{"user": "u", "item": "i"}"#]);
        assert_eq!(
            e.unwrap_err(),
            "not a valid JSON event (missing field `kind`)"
        );
        let e = parse(
            Format::Jsonl,
            &[r#"{"user": "u", "item": "i", "kind": "rate"}"#],
        );
        assert_eq!(e.unwrap_err(), "kind \"rate\" needs a numeric \"value\"");
    }

    #[test]
    fn jsonl_accepts_ga4_event_names() {
        let d = parse(
            Format::Jsonl,
            &[
                r#"{"user": "u1", "item": "i9", "kind": "add_to_wishlist"}"#,
                r#"{"user": "u1", "item": "i8", "kind": "begin_checkout"}"#,
                r#"{"user": "u1", "item": "i7", "kind": "view_item"}"#,
            ],
        )
        .unwrap();
        // like 4, add_to_cart 4, view 1.
        assert_eq!(
            cells(&d),
            [
                cell("u1", "i9", 4.0),
                cell("u1", "i8", 4.0),
                cell("u1", "i7", 1.0)
            ]
        );
        let e = parse(
            Format::Jsonl,
            &[r#"{"event_name": "view_item", "user_pseudo_id": "1.2", "items": []}"#],
        );
        assert_eq!(
            e.unwrap_err(),
            "not a valid JSON event (missing field `user`; this looks like a GA4 export row: use --format ga4)"
        );
    }

    #[test]
    fn io_reasons_lose_the_os_error_number() {
        let e = io::Error::from_raw_os_error(2);
        assert_eq!(io_reason(&e), "No such file or directory");
    }
}
