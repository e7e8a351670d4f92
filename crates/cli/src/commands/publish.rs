//! `tastebud publish`: a catalog and model as sharded files for a static host.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use clap::Args;
use serde_json::json;
use tastebud_core::{
    publish_into, Catalog, Columns, FileRef, Manifest, Privacy, PublishOptions, ShardFiles,
    DEFAULT_STRICT_ITEMS, PAGE_ITEMS, TABLE_ENTRIES,
};

use crate::commands::{load_model, write_atomically};
use crate::input::read_file;
use crate::output;

/// Publish a catalog and model as sharded files for a static host (docs/published-format.md):
/// a small head, shards of similar items fetched on demand, display pages, and a manifest with
/// every file's size and SHA-256. File names carry their hash, so a CDN can cache them forever;
/// only manifest.json keeps its name.
#[derive(Debug, Args)]
pub struct PublishArgs {
    /// The catalog (catalog.json).
    #[arg(long, value_name = "FILE")]
    catalog: PathBuf,
    /// The model (model.tbm).
    #[arg(long, value_name = "FILE")]
    model: PathBuf,
    /// The folder to write into (created if missing). Once the new manifest is written, the
    /// files of older publications there are removed, except those of the one it replaces
    /// (visitors may still hold its manifest); other files are left alone.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Shards [default: one per 1024 items].
    #[arg(long, value_name = "N")]
    shards: Option<usize>,
    /// Each item's shard, computed elsewhere (for a catalog too big for one machine, by Spark
    /// MLlib's KMeans on the item factors): `item<TAB>shard` lines, every model item once;
    /// replaces the k-means here.
    #[arg(long, value_name = "FILE.tsv")]
    assignment: Option<PathBuf>,
    /// Items the strict set (the shards every visitor reads) holds at most. A bigger catalog's
    /// N most popular items get shards of their own, which are the strict set.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_STRICT_ITEMS)]
    strict_items: usize,
    /// Seed of the k-means partition.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

pub fn run(args: PublishArgs) -> Result<()> {
    let catalog = {
        let bytes = read_file(&args.catalog)?;
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| anyhow!("{}: not UTF-8 text", args.catalog.display()))?;
        Catalog::from_json(text).map_err(|e| anyhow!("{}: {e}", args.catalog.display()))?
    };
    let model = load_model(&args.model)?;
    if let Some(s) = args.shards {
        if !(1..=model.n_items()).contains(&s) {
            bail!(
                "--shards must be between 1 and the model's {} items, got {s}",
                model.n_items()
            );
        }
    }
    let assignment = args
        .assignment
        .as_deref()
        .map(|path| read_assignment(path, &model))
        .transpose()?;
    let options = PublishOptions {
        shards: args.shards,
        assignment,
        strict_items: args.strict_items,
        seed: args.seed,
        ..PublishOptions::default()
    };
    fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create the folder {}", args.out.display()))?;
    // Each file is written as soon as it is made, so a big catalog's files are never all in
    // memory.
    let mut written = 0usize;
    let mut write = |name: &str, bytes: Vec<u8>| -> tastebud_core::Result<()> {
        written += 1;
        let path = args.out.join(name);
        // Content-named: an existing file of that name already holds these bytes.
        if fs::metadata(&path)
            .map(|m| m.len() == bytes.len() as u64)
            .unwrap_or(false)
            && fs::read(&path).map(|b| b == bytes).unwrap_or(false)
        {
            return Ok(());
        }
        write_atomically(&path, &bytes)
            .map_err(|e| tastebud_core::Error::Published(format!("{e:#}")))
    };
    let (manifest, _) =
        publish_into(&catalog, &model, &options, &mut write).with_context(|| {
            format!(
                "cannot publish {} with {}",
                args.catalog.display(),
                args.model.display()
            )
        })?;
    drop((catalog, model));
    let published_manifest = manifest;
    let manifest = serde_json::to_string(&published_manifest)?;
    // Checked as a reader checks it, so a writer bug never ships.
    Manifest::from_json(&manifest).context("the written manifest does not validate (a bug)")?;
    // The publication this one replaces: its files stay, for visitors who already hold its
    // manifest (a session in progress, a CDN edge that has not revalidated yet).
    let manifest_path = args.out.join("manifest.json");
    let previous = fs::read_to_string(&manifest_path)
        .ok()
        .and_then(|text| Manifest::from_json(&text).ok());
    write_atomically(&manifest_path, manifest.as_bytes())?;
    let removed = remove_stale(&args.out, &published_manifest, previous.as_ref())?;
    let m = &published_manifest;
    let listing = Listing::read(&args.out, m);
    let sum = Summary::of(m, &listing);
    let (smallest, largest) = (sum.smallest_nonempty, sum.largest);
    if smallest < SMALL_SHARD {
        eprintln!(
            "tastebud: warning: the smallest shard holds {smallest} items; in history mode a visitor's request for it narrows their items down to those {smallest} (docs/privacy.md); publish fewer shards for more privacy"
        );
    }
    if args.json {
        return Ok(output::emit_json(&json!({
            "out": args.out.display().to_string(),
            "items": m.items,
            "shards": m.shards,
            "shard_items": {"min": sum.smallest, "median": sum.median, "max": largest},
            "head_bytes": sum.first_bytes,
            "strict_shards": m.strict.len(),
            "strict_bytes": sum.strict_bytes,
            "ranking_bytes": sum.ranking_bytes,
            "page_bytes": sum.page_bytes,
            "directory_buckets": m.buckets,
            "files": written + 1,
            "removed": removed,
        }))?);
    }
    let mut text = String::new();
    writeln!(
        text,
        "published {} items in {} shards ({} to {} items, median {}) to {}",
        m.items,
        m.shards,
        sum.smallest,
        largest,
        sum.median,
        args.out.display()
    )?;
    writeln!(
        text,
        "every visitor reads {} first (head and fold-in model), then the strict set: {} shard{}, {}",
        kb(sum.first_bytes),
        m.strict.len(),
        if m.strict.len() == 1 { "" } else { "s" },
        kb(sum.strict_bytes)
    )?;
    writeln!(
        text,
        "all ranking shards {}, display pages {} ({PAGE_ITEMS} items each), {} directory buckets; {} files{}",
        kb(sum.ranking_bytes),
        kb(sum.page_bytes),
        m.buckets,
        written + 1,
        if removed > 0 {
            format!(", {removed} stale ones removed")
        } else {
            String::new()
        }
    )?;
    Ok(output::emit(&text)?)
}

/// Below this many items, a shard's request says a lot about which items a visitor has: `publish`
/// warns.
const SMALL_SHARD: usize = 32;

fn kb(bytes: u64) -> String {
    if bytes >= 10 << 20 {
        format!("{:.0} MB", bytes as f64 / (1u64 << 20) as f64)
    } else {
        format!("{:.0} KB", (bytes as f64 / 1024.0).ceil())
    }
}

/// A publication's sizes, as `publish` and `inspect` report them.
pub struct Summary {
    /// Items in the smallest, the median and the largest shard.
    pub smallest: usize,
    pub median: usize,
    pub largest: usize,
    /// Items in the smallest shard that has any.
    pub smallest_nonempty: usize,
    /// What every visitor reads first: the head and the centroids.
    pub first_bytes: u64,
    /// The strict set's items and ranking bytes (model and column files).
    pub strict_items: u64,
    pub strict_bytes: u64,
    /// Every ranking file (model and columns), every display page, and every file the manifest names.
    pub ranking_bytes: u64,
    pub page_bytes: u64,
    pub total_bytes: u64,
}

impl Summary {
    /// The sizes of a publication.
    pub fn of(m: &Manifest, listing: &Listing) -> Summary {
        let mut sizes: Vec<usize> = listing.shards.iter().map(|s| s.items as usize).collect();
        sizes.sort_unstable();
        let strict: Vec<&ShardFiles> = m
            .strict
            .iter()
            .filter_map(|&s| listing.shards.get(s as usize))
            .collect();
        let mut strict_tables: Vec<u32> =
            m.strict.iter().map(|&s| s / TABLE_ENTRIES as u32).collect();
        strict_tables.sort_unstable();
        strict_tables.dedup();
        Summary {
            smallest: sizes.first().copied().unwrap_or(0),
            median: sizes.get(sizes.len() / 2).copied().unwrap_or(0),
            largest: sizes.last().copied().unwrap_or(0),
            smallest_nonempty: sizes.iter().copied().find(|&n| n > 0).unwrap_or(0),
            first_bytes: m.head.bytes + m.fold.bytes,
            strict_items: strict.iter().map(|s| s.items as u64).sum(),
            strict_bytes: strict
                .iter()
                .map(|s| s.ranking.bytes + s.columns.bytes)
                .sum::<u64>()
                + strict_tables
                    .iter()
                    .map(|&t| m.shard_tables[t as usize].bytes)
                    .sum::<u64>(),
            ranking_bytes: listing
                .shards
                .iter()
                .map(|s| s.ranking.bytes + s.columns.bytes)
                .sum(),
            page_bytes: listing.pages.iter().map(|f| f.bytes).sum(),
            total_bytes: listing.files(m).map(|f| f.bytes).sum(),
        }
    }
}

/// What a publication in a folder holds, from the files that can be read: the shards and
/// buckets its tables list, and the display pages its column files list (a missing or damaged
/// table or column file lists none).
pub struct Listing {
    pub shards: Vec<ShardFiles>,
    pub buckets: Vec<FileRef>,
    pub pages: Vec<FileRef>,
}

impl Listing {
    pub fn read(dir: &Path, m: &Manifest) -> Listing {
        let read = |f: &FileRef| fs::read(dir.join(&f.file)).ok();
        let shards: Vec<ShardFiles> = m
            .shard_tables
            .iter()
            .enumerate()
            .filter_map(|(t, f)| m.shard_table(t, &read(f)?).ok())
            .flatten()
            .collect();
        let buckets = m
            .directory_tables
            .iter()
            .enumerate()
            .filter_map(|(t, f)| m.directory_table(t, &read(f)?).ok())
            .flatten()
            .collect();
        let pages = shards
            .iter()
            .filter_map(|s| read(&s.columns))
            .filter_map(|bytes| serde_json::from_slice::<Columns>(&bytes).ok())
            .flat_map(|c| c.pages)
            .collect();
        Listing {
            shards,
            buckets,
            pages,
        }
    }

    /// Every file listed, the manifest's own first (not `manifest.json` itself).
    pub fn files<'a>(&'a self, m: &'a Manifest) -> impl Iterator<Item = &'a FileRef> {
        m.files()
            .chain(self.shards.iter().flat_map(|s| [&s.ranking, &s.columns]))
            .chain(&self.buckets)
            .chain(&self.pages)
    }
}

/// Removes the files of earlier publications from `dir`: names of the published kinds
/// (`head.`, `fold.`, `centroids.`, `shards-`, `dirs-`, `rank-`, `cols-`, `page-`, `dir-` with
/// a 16-hex-digit hash) that neither the new manifest nor the `previous` one (the publication
/// it replaces) lists. Other files are left alone.
fn remove_stale(dir: &Path, manifest: &Manifest, previous: Option<&Manifest>) -> Result<usize> {
    let listings: Vec<(&Manifest, Listing)> = std::iter::once(manifest)
        .chain(previous)
        .map(|m| (m, Listing::read(dir, m)))
        .collect();
    let keep: HashSet<&str> = listings
        .iter()
        .flat_map(|(m, l)| l.files(m))
        .map(|f| f.file.as_str())
        .collect();
    let mut removed = 0;
    let entries = fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))?;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if keep.contains(name) || !is_published_name(name) {
            continue;
        }
        if entry.file_type().map(|t| t.is_file()).unwrap_or(false) {
            fs::remove_file(entry.path())
                .with_context(|| format!("cannot remove the stale file {name}"))?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// `kind.<16 hex>.ext` or `kind-<numbers>.<16 hex>.ext`, as `publish` names files.
fn is_published_name(name: &str) -> bool {
    let parts: Vec<&str> = name.split('.').collect();
    let [stem, hash, ext] = parts[..] else {
        return false;
    };
    let kind_ok = ["head", "fold", "centroids"].contains(&stem)
        || ["rank-", "cols-", "page-", "dir-", "dirs-", "shards-"]
            .iter()
            .any(|p| {
                stem.strip_prefix(p).is_some_and(|rest| {
                    !rest.is_empty()
                        && rest
                            .split('-')
                            .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                })
            });
    kind_ok
        && hash.len() == 16
        && hash.bytes().all(|b| b.is_ascii_hexdigit())
        && (ext == "json" || ext == "tbm")
}

/// Reads `item<TAB>shard` lines into one shard per model item.
fn read_assignment(path: &Path, model: &tastebud_core::Model) -> Result<Vec<u32>> {
    let bytes = read_file(path)?;
    let text =
        std::str::from_utf8(&bytes).map_err(|_| anyhow!("{}: not UTF-8 text", path.display()))?;
    let mut out: Vec<Option<u32>> = vec![None; model.n_items()];
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = || format!("{}:{}", path.display(), n + 1);
        let (id, shard) = line
            .split_once('\t')
            .ok_or_else(|| anyhow!("{}: expected `item<TAB>shard`, got {line:?}", at()))?;
        let shard: u32 = shard.trim().parse().map_err(|_| {
            anyhow!(
                "{}: the shard must be a whole number, got {:?}",
                at(),
                shard.trim()
            )
        })?;
        if shard as usize >= model.n_items() {
            bail!(
                "{}: shard {shard} is past the model's {} items; number the shards from 0, at most one per item",
                at(),
                model.n_items()
            );
        }
        let i = model
            .item_index(id)
            .ok_or_else(|| anyhow!("{}: item {id:?} is not in the model", at()))?;
        if out[i as usize].replace(shard).is_some() {
            bail!("{}: item {id:?} is assigned twice", at());
        }
    }
    let missing = out.iter().filter(|s| s.is_none()).count();
    if missing > 0 {
        let first = out
            .iter()
            .position(|s| s.is_none())
            .expect("one is missing");
        bail!(
            "{}: {missing} model items have no shard, the first {:?}; assign every item",
            path.display(),
            model.item_ids()[first]
        );
    }
    Ok(out.into_iter().map(|s| s.expect("checked")).collect())
}

/// `--privacy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PrivacyArg {
    /// The same files for every visitor: the head and the strict set's shards.
    Strict,
    /// Also the directory buckets and shards of the visitor's own items.
    History,
}

impl PrivacyArg {
    pub fn mode(self) -> Privacy {
        match self {
            PrivacyArg::Strict => Privacy::Strict,
            PrivacyArg::History => Privacy::History,
        }
    }
}
