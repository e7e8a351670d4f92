//! A catalog and model published for a static host in shards, so that a visitor downloads a
//! small head and the few shards their own history points to instead of the whole catalog
//! (`docs/published-format.md`).
//!
//! The files, each named with the start of its SHA-256 so a CDN can cache it forever:
//! - `manifest.json` (the one file with a fixed name): the counts, the head, fold-in and centroid
//!   files, the shard and directory tables, and the strict set: a few kilobytes whatever the
//!   catalog's size;
//! - `head.<hash>.json`: the catalog without its items (shop, areas, categories, the shop's
//!   lists) and the catalog items the model has no factors for;
//! - `fold.<hash>.tbm`: a model file of one row (the catalog's mean item) carrying the fold-in
//!   settings, `Y^T Y` and the discovery calibration of the whole catalog;
//! - `centroids.<hash>.tbm`: a model file whose items are the shards' centroids, for tools that
//!   probe shards by score bound (visitors do not read it);
//! - `shards-<t>.<hash>.json`: [`TABLE_ENTRIES`] shards' files, sizes and radii
//!   ([`ShardFiles`]), from shard `t * TABLE_ENTRIES` on;
//! - `dirs-<t>.<hash>.json`: [`TABLE_ENTRIES`] directory buckets' files, from bucket
//!   `t * TABLE_ENTRIES` on;
//! - `rank-<s>.<hash>.tbm`: shard `s`'s items as a model file (ids, factors, popularity);
//! - `cols-<s>.<hash>.json`: shard `s`'s other ranking columns ([`Columns`]): each item's
//!   category, so the discovery re-ranking and the interests need no display record, and the
//!   shard's display pages;
//! - `page-<s>-<p>.<hash>.json`: display records of shard `s`'s items, [`PAGE_ITEMS`] at a time,
//!   in the shard's order;
//! - `dir-<b>.<hash>.json`: which shard each item is in, for the ids whose FNV-1a hash falls in
//!   bucket `b`.
//!
//! Shards are an IVF partition of the item factors ([`Partition`]): similar items share a shard,
//! so the shards of a visitor's own items hold most of what to recommend to them.
//!
//! [`Reading`] plans and checks the reads without doing any (sans-IO): the browser fetches what
//! it asks for in parallel, and [`Loader`] reads the same files in the same order natively. What
//! the host can learn from them depends on the [`Privacy`] mode, and is written down in
//! `docs/privacy.md`.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::catalog::{Catalog, CatalogItem};
use crate::error::{Error, Result};
use crate::model::Model;
use crate::partition::Partition;

/// The manifest's `format`.
pub const PUBLISHED_FORMAT: &str = "tastebud-published";
/// The manifest version this build writes and reads.
pub const PUBLISHED_VERSION: u32 = 4;
/// Display records per page file.
pub const PAGE_ITEMS: usize = 64;
/// Items per shard `publish` aims for by default.
pub const DEFAULT_SHARD_ITEMS: usize = 1024;
/// Ids per directory bucket `publish` aims for.
pub const DIRECTORY_IDS: usize = 1024;
/// Items the strict set holds at most by default.
pub const DEFAULT_STRICT_ITEMS: usize = 4096;
/// Shards, or directory buckets, per table file.
pub const TABLE_ENTRIES: usize = 64;

/// One published file. Its name carries the first 16 hex digits of its SHA-256
/// ([`hash`](Self::hash)), which a reader checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileRef {
    /// Its name, beside the manifest: `<kind>.<hash>.<ext>`.
    pub file: String,
    /// Its size.
    pub bytes: u64,
}

impl FileRef {
    /// The first 16 hex digits of the file's SHA-256, from its name (empty for a name without
    /// one).
    pub fn hash(&self) -> &str {
        let mut parts = self.file.split('.');
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some(_), Some(hash), Some(_), None) => hash,
            _ => "",
        }
    }
}

/// One shard's entry in its table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShardFiles {
    /// Items in the shard.
    pub items: u32,
    /// No member is further from the shard's centroid as the centroid file stores it (see
    /// [`Partition::radius`]).
    pub radius: f32,
    /// The ranking file: a model file of the shard's items.
    pub ranking: FileRef,
    /// The shard's other ranking columns and its display pages, [`Columns`] as JSON.
    pub columns: FileRef,
}

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// [`PUBLISHED_FORMAT`].
    pub format: String,
    /// [`PUBLISHED_VERSION`].
    pub version: u32,
    /// Items with factors, over all shards.
    pub items: u64,
    /// Factors per item.
    pub factors: u32,
    /// Shards, in partition order.
    pub shards: u32,
    /// Directory buckets (item id to shard), by [`bucket_of`].
    pub buckets: u32,
    /// The head: [`Head`] as JSON.
    pub head: FileRef,
    /// The fold-in model: the whole catalog's fold-in settings, `Y^T Y` and calibration.
    pub fold: FileRef,
    /// The centroid model (the shards as items), which visitors do not read.
    pub centroids: FileRef,
    /// The shard tables: each a JSON array of [`TABLE_ENTRIES`] [`ShardFiles`] (fewer in the
    /// last).
    pub shard_tables: Vec<FileRef>,
    /// The directory tables: each a JSON array of [`TABLE_ENTRIES`] buckets' [`FileRef`]s
    /// (fewer in the last).
    pub directory_tables: Vec<FileRef>,
    /// The shards every visitor reads, in the order read: the same for everyone.
    pub strict: Vec<u32>,
}

/// The head file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Head {
    /// The catalog without its items, except the items the model has no factors for.
    pub catalog: Catalog,
}

/// A shard's ranking columns besides its model file, in the ranking file's item order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Columns {
    /// Each item's category, as its index in the head catalog's `categories`.
    pub categories: Vec<u32>,
    /// The shard's display pages, [`PAGE_ITEMS`] records each, in the ranking file's order:
    /// listed here rather than in the manifest, which then stays small for a big catalog.
    pub pages: Vec<FileRef>,
}

/// Every shard's and directory bucket's files, from all the tables (for tools; a visitor reads
/// only the tables it needs).
#[derive(Debug, Clone, PartialEq)]
pub struct Index {
    /// Each shard's files.
    pub shards: Vec<ShardFiles>,
    /// Each directory bucket's file.
    pub buckets: Vec<FileRef>,
}

/// What `publish` is asked for.
#[derive(Debug, Clone)]
pub struct PublishOptions {
    /// Shards (default: one per [`DEFAULT_SHARD_ITEMS`] items).
    pub shards: Option<usize>,
    /// A shard per item computed elsewhere (the Spark job), instead of k-means here.
    pub assignment: Option<Vec<u32>>,
    /// Items the strict set holds at most. A catalog with more items is split: this many of its
    /// most popular items get shards of their own, which are the strict set. Otherwise the strict
    /// set is the shards in decreasing order of interactions, each added if the set then still
    /// holds at most this many items (the first always).
    pub strict_items: usize,
    /// Seed of the k-means partition.
    pub seed: u64,
    /// Ids per directory bucket, about (default [`DIRECTORY_IDS`]).
    pub directory_ids: usize,
}

impl Default for PublishOptions {
    fn default() -> Self {
        PublishOptions {
            shards: None,
            assignment: None,
            strict_items: DEFAULT_STRICT_ITEMS,
            seed: 42,
            directory_ids: DIRECTORY_IDS,
        }
    }
}

/// A publication: its manifest and every file to write beside it.
#[derive(Debug, Clone)]
pub struct Published {
    /// The manifest.
    pub manifest: Manifest,
    /// Every file of the publication but the manifest, with its bytes.
    pub files: Vec<(String, Vec<u8>)>,
    /// The partition the shards follow.
    pub partition: Partition,
}

/// The directory bucket of an item id: FNV-1a (64-bit) of its UTF-8 bytes, modulo `buckets`.
pub fn bucket_of(id: &str, buckets: usize) -> usize {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in id.as_bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (h % buckets.max(1) as u64) as usize
}

/// Publishes `catalog` and `model` in memory: [`publish_into`] collecting every file.
///
/// # Errors
/// As [`publish_into`].
#[cfg(not(target_arch = "wasm32"))]
pub fn publish(catalog: &Catalog, model: &Model, options: &PublishOptions) -> Result<Published> {
    let mut files = Vec::new();
    let (manifest, partition) = publish_into(catalog, model, options, &mut |name, bytes| {
        files.push((name.to_owned(), bytes));
        Ok(())
    })?;
    Ok(Published {
        manifest,
        files,
        partition,
    })
}

/// Publishes `catalog` and `model` (which must match: [`Catalog::check_model`]) in shards,
/// handing each file to `write` (its name and bytes) as soon as it is made, so a catalog of
/// millions of items is never held in memory twice; returns the manifest (which the caller
/// writes last, as `manifest.json`) and the partition. The same inputs and options always give
/// the same files. The model's item-item part is not published (visitors rank with the factors
/// only).
///
/// # Errors
/// If the catalog and model do not match, options are out of range, the assignment does not
/// fit the model, or `write` fails.
#[cfg(not(target_arch = "wasm32"))]
pub fn publish_into(
    catalog: &Catalog,
    model: &Model,
    options: &PublishOptions,
    write: &mut dyn FnMut(&str, Vec<u8>) -> Result<()>,
) -> Result<(Manifest, Partition)> {
    use crate::error::invalid;
    use crate::model::Provenance;
    use ndarray::Array2;

    catalog
        .check_model(model)
        .map_err(|e| Error::Published(e.to_string()))?;
    let n = model.n_items();
    let k = model.n_factors();
    let factors = model.item_factors();
    // The head's shards lead the partition when the catalog is split (`head_and_tail`).
    let (partition, head_shards) = match &options.assignment {
        Some(a) => {
            let shards = a.iter().map(|&s| s as usize + 1).max().unwrap_or(1);
            if shards > n || options.shards.is_some_and(|s| s > n) {
                return Err(invalid(
                    "shards",
                    "at most one per item",
                    shards.max(options.shards.unwrap_or(0)),
                ));
            }
            if let Some(want) = options.shards {
                if want < shards {
                    return Err(invalid("shards", "above every assigned shard", want));
                }
            }
            (
                Partition::from_assignment(
                    factors.view(),
                    a.clone(),
                    options.shards.unwrap_or(shards),
                )?,
                0,
            )
        }
        None => {
            let shards = options
                .shards
                .unwrap_or_else(|| n.div_ceil(DEFAULT_SHARD_ITEMS))
                .clamp(1, n);
            head_and_tail(
                factors.view(),
                model.popularity(),
                shards,
                options.strict_items,
                options.seed,
            )?
        }
    };
    let s_count = partition.n_shards();
    let mut add = |name: String, ext: &str, bytes: Vec<u8>| -> Result<FileRef> {
        let sha = sha256_hex(&bytes);
        let file = format!("{name}.{}.{ext}", &sha[..16]);
        let r = FileRef {
            file: file.clone(),
            bytes: bytes.len() as u64,
        };
        write(&file, bytes)?;
        Ok(r)
    };

    let by_id: HashMap<&str, &CatalogItem> =
        catalog.items.iter().map(|i| (i.id.as_str(), i)).collect();
    let category_index: HashMap<&str, u32> = catalog
        .categories
        .iter()
        .enumerate()
        .map(|(c, k)| (k.id.as_str(), c as u32))
        .collect();
    let provenance = |what: String| Provenance {
        source: what,
        ..model.provenance().clone()
    };

    // The centroid model, in the model's own precision; each radius is measured from the
    // centroid as stored: the partition's, plus the distance the precision moved the centroid
    // (rounded up), so the score bound still holds.
    let mut centroid_rows = Array2::<f32>::zeros((s_count, k));
    for s in 0..s_count {
        centroid_rows
            .row_mut(s)
            .assign(&ndarray::ArrayView1::from(partition.centroid(s)));
    }
    let centroids = Model::new(
        (0..s_count).map(|s| format!("shard-{s}")).collect(),
        centroid_rows,
        *model.fold_in_params(),
        (0..s_count)
            .map(|s| partition.members(s).len() as u32)
            .collect(),
        model.precision(),
        provenance("tastebud publish: centroids".into()),
    )?;
    let radii: Vec<f32> = (0..s_count)
        .map(|s| {
            let moved = partition
                .centroid(s)
                .iter()
                .zip(centroids.item_row(s))
                .map(|(&a, b)| (a as f64 - b as f64).powi(2))
                .sum::<f64>()
                .sqrt();
            ((partition.radius(s) as f64 + moved) * (1.0 + 1e-6)) as f32
        })
        .collect();
    let centroids = add("centroids".into(), "tbm", centroids.to_bytes())?;

    // Shards: ranking files, columns and display pages, then their tables.
    let mut shards = Vec::with_capacity(s_count);
    for (s, &radius) in radii.iter().enumerate() {
        let members = partition.members(s);
        let mut shard_factors = Array2::<f32>::zeros((members.len(), k));
        for (row, &i) in members.iter().enumerate() {
            shard_factors.row_mut(row).assign(&factors.row(i as usize));
        }
        let ids: Vec<String> = members
            .iter()
            .map(|&i| model.item_ids()[i as usize].clone())
            .collect();
        let popularity: Vec<u32> = members
            .iter()
            .map(|&i| model.popularity()[i as usize])
            .collect();
        let ranking = if members.is_empty() {
            Vec::new()
        } else {
            let mut shard = Model::new(
                ids.clone(),
                shard_factors,
                *model.fold_in_params(),
                popularity,
                model.precision(),
                provenance(format!("tastebud publish: shard {s}")),
            )?;
            // Fold-in uses the whole catalog's Y^T Y, from the fold-in file.
            shard.set_gram_elsewhere(true);
            shard.to_bytes()
        };
        let ranking = add(format!("rank-{s}"), "tbm", ranking)?;
        let mut pages = Vec::new();
        for (p, chunk) in ids.chunks(PAGE_ITEMS).enumerate() {
            let records: Vec<&CatalogItem> = chunk.iter().map(|id| by_id[id.as_str()]).collect();
            let json = serde_json::to_vec(&records).expect("catalog items serialize");
            pages.push(add(format!("page-{s}-{p}"), "json", json)?);
        }
        let columns = Columns {
            categories: ids
                .iter()
                .map(|id| {
                    let c = by_id[id.as_str()].category.as_str();
                    category_index.get(c).copied().unwrap_or(u32::MAX)
                })
                .collect(),
            pages,
        };
        let columns = add(
            format!("cols-{s}"),
            "json",
            serde_json::to_vec(&columns).expect("columns serialize"),
        )?;
        shards.push(ShardFiles {
            items: members.len() as u32,
            radius,
            ranking,
            columns,
        });
    }
    let shard_tables = tables(&shards, "shards", &mut add)?;

    // The fold-in model: one row, the catalog's mean item, with the whole catalog's fold-in
    // settings, Y^T Y and the discovery calibration, so the presets mean what they meant.
    let mean = factors
        .mean_axis(ndarray::Axis(0))
        .expect("a model has items");
    let mut fold = Model::new(
        vec!["catalog".into()],
        mean.insert_axis(ndarray::Axis(0)),
        *model.fold_in_params(),
        vec![model
            .popularity()
            .iter()
            .map(|&p| p as u64)
            .sum::<u64>()
            .min(u32::MAX as u64) as u32],
        model.precision(),
        provenance("tastebud publish: fold-in".into()),
    )?
    .with_gram(model.gram().to_vec())?;
    fold.set_calibration(model.calibration().cloned())?;
    let fold = add("fold".into(), "tbm", fold.to_bytes())?;

    // The head: the catalog less the items with factors.
    let head_catalog = Catalog {
        version: catalog.version,
        shop: catalog.shop.clone(),
        currency: catalog.currency.clone(),
        areas: catalog.areas.clone(),
        categories: catalog.categories.clone(),
        items: catalog
            .items
            .iter()
            .filter(|i| model.item_index(&i.id).is_none())
            .cloned()
            .collect(),
        shop_data: catalog.shop_data.clone(),
        // The ranked lists are small; the bought-with rows grow with the catalog, so a
        // publication leaves them out.
        trending: catalog.trending.clone(),
        members: catalog.members.clone(),
        bought_with: Vec::new(),
        search_brands: catalog.search_brands.clone(),
    };
    // Through a `Value`, whose maps are sorted: the catalog's lists are hash maps, and the
    // same inputs must give the same bytes.
    let head = serde_json::to_value(Head {
        catalog: head_catalog,
    })
    .expect("the head serializes");
    let head = add(
        "head".into(),
        "json",
        serde_json::to_vec(&head).expect("the head serializes"),
    )?;

    // The directory, and its tables.
    let buckets = n.div_ceil(options.directory_ids.max(1)).max(1);
    let mut dir: Vec<std::collections::BTreeMap<&str, u32>> = vec![Default::default(); buckets];
    for (i, id) in model.item_ids().iter().enumerate() {
        dir[bucket_of(id, buckets)].insert(id, partition.assignment()[i]);
    }
    let directory: Vec<FileRef> = dir
        .iter()
        .enumerate()
        .map(|(b, entries)| {
            let json = serde_json::to_vec(entries).expect("the directory serializes");
            add(format!("dir-{b}"), "json", json)
        })
        .collect::<Result<_>>()?;
    drop(dir);
    let directory_tables = tables(&directory, "dirs", &mut add)?;

    // The strict set: the head's shards when the catalog was split (see `head_and_tail`), else
    // the shards with the most interactions, up to the item cap.
    let mut strict: Vec<u32> = if head_shards > 0 {
        (0..head_shards as u32).collect()
    } else {
        strict_by_mass(&partition, model.popularity(), options.strict_items)
    };
    strict.sort_unstable();

    let manifest = Manifest {
        format: PUBLISHED_FORMAT.into(),
        version: PUBLISHED_VERSION,
        items: n as u64,
        factors: k as u32,
        shards: s_count as u32,
        buckets: buckets as u32,
        head,
        fold,
        centroids,
        shard_tables,
        directory_tables,
        strict,
    };
    Ok((manifest, partition))
}

/// `entries` as table files of [`TABLE_ENTRIES`] each, `<kind>-<t>`, through `add`.
#[cfg(not(target_arch = "wasm32"))]
fn tables<T: Serialize>(
    entries: &[T],
    kind: &str,
    add: &mut impl FnMut(String, &str, Vec<u8>) -> Result<FileRef>,
) -> Result<Vec<FileRef>> {
    entries
        .chunks(TABLE_ENTRIES)
        .enumerate()
        .map(|(t, chunk)| {
            let json = serde_json::to_vec(chunk).expect("tables serialize");
            add(format!("{kind}-{t}"), "json", json)
        })
        .collect()
}

/// The partition of a catalog bigger than its strict set: its `strict_items` most popular items
/// (the head) in shards of their own, and the rest (the tail) in the others, each part by
/// spherical k-means, with shards shared in proportion to items (the head's first). Returns the
/// partition and the number of head shards, 0 when the catalog is not split (a strict set of 0
/// items, or one that holds every item, or a single shard).
///
/// Popular items have the longest factor vectors, so they top the plain scores of visitors of
/// every taste: in the head, which every visitor reads, they are found whatever the visitor's
/// history, and the tail's shards group the niches a visitor's own items point to.
#[cfg(not(target_arch = "wasm32"))]
fn head_and_tail(
    factors: ndarray::ArrayView2<f32>,
    popularity: &[u32],
    shards: usize,
    strict_items: usize,
    seed: u64,
) -> Result<(Partition, usize)> {
    let n = factors.nrows();
    let head_shards = (shards as f64 * strict_items as f64 / n as f64)
        .round()
        .max(1.0) as usize;
    if strict_items == 0 || strict_items >= n || head_shards >= shards {
        return Ok((Partition::fit(factors, shards, seed)?, 0));
    }
    let mut order: Vec<u32> = (0..n as u32).collect();
    // Most popular first; the lower index breaks ties, so the split is deterministic.
    order.sort_by(|&a, &b| {
        popularity[b as usize]
            .cmp(&popularity[a as usize])
            .then(a.cmp(&b))
    });
    let (head, tail) = order.split_at(strict_items);
    let mut assignment = vec![0u32; n];
    for (part, offset, count) in [
        (head, 0, head_shards),
        (tail, head_shards, shards - head_shards),
    ] {
        let rows = factors.select(
            ndarray::Axis(0),
            &part.iter().map(|&i| i as usize).collect::<Vec<_>>(),
        );
        let fitted = Partition::fit(rows.view(), count.min(part.len()), seed)?;
        for (&item, &shard) in part.iter().zip(fitted.assignment()) {
            assignment[item as usize] = offset as u32 + shard;
        }
    }
    Ok((
        Partition::from_assignment(factors, assignment, shards)?,
        head_shards,
    ))
}

/// The strict set of a partition that is not split: the shards in decreasing order of
/// interactions, each added if the set then still holds at most `strict_items` items (the first
/// always), ascending.
#[cfg(not(target_arch = "wasm32"))]
fn strict_by_mass(partition: &Partition, popularity: &[u32], strict_items: usize) -> Vec<u32> {
    let mut by_mass: Vec<(u64, usize)> = (0..partition.n_shards())
        .filter(|&s| !partition.members(s).is_empty())
        .map(|s| {
            let mass = partition
                .members(s)
                .iter()
                .map(|&i| popularity[i as usize] as u64)
                .sum();
            (mass, s)
        })
        .collect();
    by_mass.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut strict = Vec::new();
    let mut held = 0;
    for (_, s) in by_mass {
        let size = partition.members(s).len();
        if !strict.is_empty() && held + size > strict_items {
            continue;
        }
        strict.push(s as u32);
        held += size;
    }
    strict
}

/// SHA-256 of `bytes`, lower-case hex.
#[cfg(not(target_arch = "wasm32"))]
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What the host may learn from the files a visitor reads (`docs/privacy.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Privacy {
    /// Every visitor reads the same files in the same order: the head, the centroids and the
    /// strict set's shards. Items outside the strict set are neither folded in nor shown.
    Strict,
    /// Besides the strict reads, the directory buckets and shards of the visitor's own history
    /// items, each once: the buckets ascending, then the strict shards in the manifest's order,
    /// then the history's other shards ascending. The host learns which buckets and shards hold
    /// items the visitor has.
    History,
}

impl Manifest {
    /// Parses and checks `manifest.json`.
    ///
    /// # Errors
    /// If it is not a manifest of this format and version, or its parts disagree.
    pub fn from_json(text: &str) -> Result<Manifest> {
        let m: Manifest = serde_json::from_str(text).map_err(|e| {
            Error::Published(format!("manifest.json is not a Tastebud manifest: {e}"))
        })?;
        m.check()?;
        Ok(m)
    }

    /// Checks what [`from_json`](Self::from_json) checks, for a manifest built another way:
    /// the format and version, counts, one table per [`TABLE_ENTRIES`] shards and buckets, safe
    /// and distinct file names, and a strict set of distinct shards in range.
    ///
    /// # Errors
    /// If any of those fails.
    pub fn check(&self) -> Result<()> {
        let m = self;
        if m.format != PUBLISHED_FORMAT {
            return Err(Error::Published(format!(
                "manifest.json has format {:?}, expected {PUBLISHED_FORMAT:?}",
                m.format
            )));
        }
        if m.version != PUBLISHED_VERSION {
            return Err(Error::Published(format!(
                "manifest.json is version {}, this build reads version {PUBLISHED_VERSION}; publish again or update Tastebud",
                m.version
            )));
        }
        let names_safe = m.files().all(|f| safe_name(&f.file));
        let mut names: Vec<&str> = m.files().map(|f| f.file.as_str()).collect();
        names.sort_unstable();
        let names_distinct = names.windows(2).all(|w| w[0] != w[1]);
        let mut strict = m.strict.clone();
        strict.sort_unstable();
        let strict_distinct = strict.windows(2).all(|w| w[0] != w[1]);
        if m.items == 0
            || m.shards == 0
            || m.shards as u64 > m.items
            || m.buckets == 0
            || m.shard_tables.len() != (m.shards as usize).div_ceil(TABLE_ENTRIES)
            || m.directory_tables.len() != (m.buckets as usize).div_ceil(TABLE_ENTRIES)
            || !names_safe
            || !names_distinct
            || !strict_distinct
            || m.strict.iter().any(|&s| s >= m.shards)
        {
            return Err(Error::Published(
                "manifest.json is inconsistent (counts, file names or the strict set); publish again".into(),
            ));
        }
        Ok(())
    }

    /// Every file the manifest itself names (not the tables' entries).
    pub fn files(&self) -> impl Iterator<Item = &FileRef> {
        [&self.head, &self.fold, &self.centroids]
            .into_iter()
            .chain(&self.shard_tables)
            .chain(&self.directory_tables)
    }

    /// Entries in table `t` of a list of `count` entries.
    fn table_len(count: u32, t: usize) -> usize {
        (count as usize)
            .saturating_sub(t * TABLE_ENTRIES)
            .min(TABLE_ENTRIES)
    }

    /// Parses and checks shard table `t`.
    ///
    /// # Errors
    /// If it is corrupt or from another publication.
    pub fn shard_table(&self, t: usize, bytes: &[u8]) -> Result<Vec<ShardFiles>> {
        let f = &self.shard_tables[t];
        let table: Vec<ShardFiles> = parse(&f.file, "a shard table", bytes)?;
        let sane = table.len() == Self::table_len(self.shards, t)
            && table.iter().all(|s| {
                safe_name(&s.ranking.file)
                    && safe_name(&s.columns.file)
                    && s.items as u64 <= self.items
                    && s.radius >= 0.0
            });
        if !sane {
            return Err(mismatch(&f.file));
        }
        Ok(table)
    }

    /// Parses and checks directory table `t`.
    ///
    /// # Errors
    /// If it is corrupt or from another publication.
    pub fn directory_table(&self, t: usize, bytes: &[u8]) -> Result<Vec<FileRef>> {
        let f = &self.directory_tables[t];
        let table: Vec<FileRef> = parse(&f.file, "a directory table", bytes)?;
        if table.len() != Self::table_len(self.buckets, t)
            || !table.iter().all(|b| safe_name(&b.file))
        {
            return Err(mismatch(&f.file));
        }
        Ok(table)
    }

    /// Every shard's and bucket's files, reading every table through `read` (which checks the
    /// size and hash), with the item counts checked against the manifest's.
    ///
    /// # Errors
    /// If a table cannot be read, is corrupt or is from another publication.
    pub fn index(&self, read: &mut dyn FnMut(&FileRef) -> Result<Vec<u8>>) -> Result<Index> {
        let mut shards = Vec::with_capacity(self.shards as usize);
        for (t, f) in self.shard_tables.iter().enumerate() {
            shards.extend(self.shard_table(t, &read(f)?)?);
        }
        let mut buckets = Vec::with_capacity(self.buckets as usize);
        for (t, f) in self.directory_tables.iter().enumerate() {
            buckets.extend(self.directory_table(t, &read(f)?)?);
        }
        if shards.iter().map(|s| s.items as u64).sum::<u64>() != self.items {
            return Err(Error::Published(
                "the shard tables' item counts do not add up to the manifest's: the files come from different publications; publish again and upload every file".into(),
            ));
        }
        Ok(Index { shards, buckets })
    }
}

/// What a visitor has loaded: the items of the shards read, as one model that folds in against
/// the whole catalog, and the head.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The items of the shards read (in shard order), with the catalog's fold-in and `Y^T Y`.
    pub model: Model,
    /// The head.
    pub head: Head,
    /// The shards read, ascending.
    pub shards: Vec<u32>,
    /// Each loaded item's shard and position in it.
    pub places: Vec<(u32, u32)>,
    /// Each loaded item's category, an index into the head catalog's `categories`.
    pub categories: Vec<u32>,
    /// Each loaded shard's display pages (from its column file), in the order of `shards`.
    pub pages: Vec<Vec<FileRef>>,
}

impl Loaded {
    /// The display pages holding `items` (indices into [`model`](Self::model)), each once, in
    /// the order to read them.
    pub fn pages_for(&self, items: &[u32]) -> Vec<&FileRef> {
        let mut pages: Vec<(u32, usize)> = items
            .iter()
            .filter_map(|&i| self.places.get(i as usize))
            .map(|&(s, p)| (s, p as usize / PAGE_ITEMS))
            .collect();
        pages.sort_unstable();
        pages.dedup();
        pages
            .into_iter()
            .filter_map(|(s, p)| {
                let at = self.shards.binary_search(&s).ok()?;
                self.pages[at].get(p)
            })
            .collect()
    }

    /// The display records of the items on one page, checked against the ranking files: each
    /// with its index in [`model`](Self::model).
    ///
    /// # Errors
    /// If the page is not one of the loaded shards' or does not hold the items it should.
    pub fn page_records(&self, page: &FileRef, bytes: &[u8]) -> Result<Vec<(u32, CatalogItem)>> {
        let place = self.shards.iter().zip(&self.pages).find_map(|(&s, pages)| {
            pages
                .iter()
                .position(|p| p.file == page.file)
                .map(|p| (s, p))
        });
        let Some((s, p)) = place else {
            return Err(Error::Published(format!(
                "{} is not a page of the shards this visitor loaded",
                page.file
            )));
        };
        check_size(page, bytes)?;
        let records: Vec<CatalogItem> = parse(&page.file, "a display page", bytes)?;
        // The loaded items of this shard start where its first item sits.
        let first = self
            .places
            .iter()
            .position(|&(t, _)| t == s)
            .expect("a loaded shard with pages has items");
        let from = p * PAGE_ITEMS;
        let in_shard = self.places.iter().filter(|&&(t, _)| t == s).count();
        let count = in_shard.saturating_sub(from);
        if records.len() != count.min(PAGE_ITEMS) {
            return Err(mismatch(&page.file));
        }
        records
            .into_iter()
            .enumerate()
            .map(|(k, r)| {
                let i = first + from + k;
                if self.model.item_ids()[i] != r.id {
                    return Err(mismatch(&page.file));
                }
                Ok((i as u32, r))
            })
            .collect()
    }
}

/// Parses a published JSON file. Through `from_str`, as the catalog is parsed elsewhere in the
/// browser builds: one copy of each parser in the wasm, not one per input kind.
fn parse<T: serde::de::DeserializeOwned>(file: &str, what: &str, bytes: &[u8]) -> Result<T> {
    std::str::from_utf8(bytes)
        .map_err(|e| e.to_string())
        .and_then(|text| serde_json::from_str(text).map_err(|e| e.to_string()))
        .map_err(|e| Error::Published(format!("{file} is not {what}: {e}")))
}

/// A published file name: letters, digits, `-`, `_` and `.`, not starting with `.`, so it
/// stays beside the manifest.
fn safe_name(file: &str) -> bool {
    !file.is_empty()
        && file
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        && !file.starts_with('.')
}

fn check_size(f: &FileRef, bytes: &[u8]) -> Result<()> {
    if bytes.len() as u64 != f.bytes {
        return Err(Error::Published(format!(
            "{} has {} bytes, the manifest says {}: the files come from different publications; publish again and upload every file",
            f.file,
            bytes.len(),
            f.bytes
        )));
    }
    Ok(())
}

/// One visitor's reading of a publication, without doing any reads itself: [`wants`](Self::wants)
/// names the files to read next (fetch them in parallel), [`give`](Self::give) takes each one
/// that arrived, and [`finish`](Self::finish) assembles them once nothing more is wanted.
///
/// The reads come in rounds, each named as soon as what it depends on has arrived: first the
/// head, the fold-in model, the strict set's shard table and (in history mode) the directory
/// tables of the visitor's items; then the strict shards' ranking and column files and the
/// directory buckets; then the shard tables of the history's other shards, and their files. The
/// shards read are the strict set in the manifest's order, then the history's other shards
/// ascending.
#[derive(Debug, Clone)]
pub struct Reading {
    manifest: Manifest,
    /// The history items whose shards may be read: none in strict mode.
    history: Vec<String>,
    /// The head, fold-in, ranking and column files that arrived.
    got: HashMap<String, Vec<u8>>,
    shard_tables: HashMap<usize, Vec<ShardFiles>>,
    directory_tables: HashMap<usize, Vec<FileRef>>,
    /// The directory buckets that arrived: the shards of the history's items in them.
    buckets: HashMap<usize, Vec<u32>>,
}

impl Reading {
    /// Starts reading `manifest` for a visitor with `history` (item ids) under `privacy`.
    ///
    /// # Errors
    /// If the manifest is inconsistent ([`Manifest::check`]).
    pub fn new(manifest: Manifest, privacy: Privacy, history: &[String]) -> Result<Reading> {
        manifest.check()?;
        let history = if privacy == Privacy::History {
            history.to_vec()
        } else {
            Vec::new()
        };
        Ok(Reading {
            manifest,
            history,
            got: HashMap::new(),
            shard_tables: HashMap::new(),
            directory_tables: HashMap::new(),
            buckets: HashMap::new(),
        })
    }

    /// The directory buckets of the history's items, ascending.
    fn bucket_ids(&self) -> Vec<usize> {
        let n = self.manifest.buckets as usize;
        let mut b: Vec<usize> = self.history.iter().map(|id| bucket_of(id, n)).collect();
        b.sort_unstable();
        b.dedup();
        b
    }

    /// The shards read, in the order read, once every directory bucket the history needs has
    /// arrived: the strict set in the manifest's order, then the history's other shards
    /// ascending.
    pub fn planned(&self) -> Option<Vec<u32>> {
        let m = &self.manifest;
        let mut wanted: Vec<u32> = Vec::new();
        for b in self.bucket_ids() {
            wanted.extend(self.buckets.get(&b)?);
        }
        wanted.sort_unstable();
        wanted.dedup();
        Some(
            m.strict
                .iter()
                .copied()
                .chain(wanted.into_iter().filter(|s| !m.strict.contains(s)))
                .collect(),
        )
    }

    /// The files to read next that have not been given yet, in the documented order; empty
    /// when [`finish`](Self::finish) can run. Every file that can be read now is named at once,
    /// so they can be fetched in parallel.
    pub fn wants(&self) -> Vec<FileRef> {
        let m = &self.manifest;
        let mut out: Vec<FileRef> = Vec::new();
        let mut named: HashSet<String> = HashSet::new();
        let mut want = |f: &FileRef, out: &mut Vec<FileRef>| {
            if !self.got.contains_key(&f.file) && named.insert(f.file.clone()) {
                out.push(f.clone());
            }
        };
        want(&m.head, &mut out);
        want(&m.fold, &mut out);
        for b in self.bucket_ids() {
            let t = b / TABLE_ENTRIES;
            match self.directory_tables.get(&t) {
                None => want(&m.directory_tables[t], &mut out),
                Some(table) if !self.buckets.contains_key(&b) => {
                    want(&table[b % TABLE_ENTRIES], &mut out)
                }
                Some(_) => {}
            }
        }
        let shards = self.planned().unwrap_or_else(|| m.strict.clone());
        for s in shards {
            let t = s as usize / TABLE_ENTRIES;
            match self.shard_tables.get(&t) {
                None => want(&m.shard_tables[t], &mut out),
                Some(table) => {
                    let shard = &table[s as usize % TABLE_ENTRIES];
                    if shard.items > 0 {
                        want(&shard.ranking, &mut out);
                        want(&shard.columns, &mut out);
                    }
                }
            }
        }
        out
    }

    /// Takes a file that arrived. A file this reading does not want now is refused, so a caller
    /// cannot mix publications; the size is checked here, the SHA-256 its name carries by the
    /// caller that fetched it (the CLI's reader, the widget's Web Crypto). Tables and directory
    /// buckets are parsed on arrival.
    ///
    /// # Errors
    /// If the file is not one this reading wants, its size is not the one listed, or a table or
    /// bucket is corrupt or from another publication.
    pub fn give(&mut self, file: &str, bytes: Vec<u8>) -> Result<()> {
        let Some(f) = self.wants().into_iter().find(|f| f.file == file) else {
            return Err(Error::Published(format!(
                "{file} is not a file of this publication that this visitor reads now"
            )));
        };
        check_size(&f, &bytes)?;
        let m = &self.manifest;
        if let Some(t) = m.shard_tables.iter().position(|r| r.file == file) {
            let table = m.shard_table(t, &bytes)?;
            self.shard_tables.insert(t, table);
        } else if let Some(t) = m.directory_tables.iter().position(|r| r.file == file) {
            let table = m.directory_table(t, &bytes)?;
            self.directory_tables.insert(t, table);
        } else if let Some(b) = self.bucket_ids().into_iter().find(|&b| {
            self.directory_tables
                .get(&(b / TABLE_ENTRIES))
                .is_some_and(|t| t[b % TABLE_ENTRIES].file == file)
        }) {
            let dir: HashMap<String, u32> = parse(file, "a directory bucket", &bytes)?;
            let mut shards = Vec::new();
            for id in &self.history {
                if let Some(&s) = dir.get(id) {
                    if s >= m.shards {
                        return Err(mismatch(file));
                    }
                    shards.push(s);
                }
            }
            self.buckets.insert(b, shards);
        } else {
            self.got.insert(file.to_owned(), bytes);
        }
        Ok(())
    }

    /// Assembles what arrived.
    ///
    /// # Errors
    /// If files are still wanted, or one that arrived is corrupt or from another publication.
    pub fn finish(self) -> Result<Loaded> {
        if let Some(f) = self.wants().first() {
            return Err(Error::Published(format!(
                "{} has not been read yet",
                f.file
            )));
        }
        let order = self.planned().expect("every bucket has arrived");
        let m = &self.manifest;
        let head: Head = parse(&m.head.file, "a published head", &self.got[&m.head.file])?;
        let fold = Model::from_bytes(&self.got[&m.fold.file])
            .map_err(|e| Error::Published(format!("{}: {e}", m.fold.file)))?;
        if fold.n_factors() != m.factors as usize {
            return Err(mismatch(&m.fold.file));
        }
        let mut parts = Vec::with_capacity(order.len());
        for &s in &order {
            let shard =
                &self.shard_tables[&(s as usize / TABLE_ENTRIES)][s as usize % TABLE_ENTRIES];
            if shard.items == 0 {
                continue;
            }
            let model = Model::from_bytes(&self.got[&shard.ranking.file])
                .map_err(|e| Error::Published(format!("{}: {e}", shard.ranking.file)))?;
            if model.n_items() != shard.items as usize
                || model.n_factors() != m.factors as usize
                || model.fold_in_params() != fold.fold_in_params()
            {
                return Err(mismatch(&shard.ranking.file));
            }
            let columns: Columns = parse(
                &shard.columns.file,
                "a columns file",
                &self.got[&shard.columns.file],
            )?;
            let categories = head.catalog.categories.len() as u32;
            if columns.categories.len() != shard.items as usize
                || columns.categories.iter().any(|&c| c >= categories)
                || columns.pages.len() != (shard.items as usize).div_ceil(PAGE_ITEMS)
                || !columns.pages.iter().all(|p| safe_name(&p.file))
            {
                return Err(mismatch(&shard.columns.file));
            }
            parts.push((s, model, columns, shard.ranking.file.clone()));
        }
        parts.sort_unstable_by_key(|(s, ..)| *s);
        let shards: Vec<u32> = parts.iter().map(|(s, ..)| *s).collect();
        let files: Vec<String> = parts.iter().map(|(.., f)| f.clone()).collect();
        let mut places = Vec::new();
        let mut categories = Vec::new();
        let mut pages = Vec::with_capacity(parts.len());
        let mut models = Vec::with_capacity(parts.len());
        for (s, part, columns, _) in parts {
            places.extend((0..part.n_items() as u32).map(|p| (s, p)));
            categories.extend(columns.categories);
            pages.push(columns.pages);
            models.push(part);
        }
        if models.is_empty() {
            return Err(Error::Published(
                "no shard was read, so there is nothing to rank".into(),
            ));
        }
        // An id in two shards, or a shard's model unlike the fold-in model's, is another
        // publication's.
        let model = Model::concat(models, &fold).map_err(|_| {
            Error::Published(format!(
                "the shards read ({}) do not fit together: the files come from different publications; publish again and upload every file",
                files.join(", ")
            ))
        })?;
        Ok(Loaded {
            model,
            head,
            shards,
            places,
            categories,
            pages,
        })
    }
}

/// Reads a publication for one visitor through `read` (a file read natively), in the order
/// [`Reading`] asks for, one file at a time.
pub struct Loader<'a> {
    manifest: &'a Manifest,
    read: &'a mut dyn FnMut(&FileRef) -> Result<Vec<u8>>,
    /// The files read, in order.
    pub requests: Vec<String>,
}

impl<'a> Loader<'a> {
    /// A loader over `manifest`, reading files with `read`.
    pub fn new(
        manifest: &'a Manifest,
        read: &'a mut dyn FnMut(&FileRef) -> Result<Vec<u8>>,
    ) -> Self {
        Loader {
            manifest,
            read,
            requests: Vec::new(),
        }
    }

    fn get(&mut self, f: &FileRef) -> Result<Vec<u8>> {
        self.requests.push(f.file.clone());
        let bytes = (self.read)(f)?;
        check_size(f, &bytes)?;
        Ok(bytes)
    }

    /// Reads every round of a [`Reading`] until nothing more is wanted, or (`plan_only`) until
    /// the shards to read are known, without reading them.
    fn drive(&mut self, reading: &mut Reading, plan_only: bool) -> Result<()> {
        loop {
            if plan_only && reading.planned().is_some() {
                return Ok(());
            }
            let mut wants = reading.wants();
            if plan_only {
                wants.retain(|f| !f.file.starts_with("rank-") && !f.file.starts_with("cols-"));
            }
            if wants.is_empty() {
                return Ok(());
            }
            for f in wants {
                let bytes = self.get(&f)?;
                reading.give(&f.file, bytes)?;
            }
        }
    }

    /// The shards a visitor with `history` (item ids) reads under `privacy`, in the order read:
    /// the strict set in the manifest's order, then (in history mode) the shards of the
    /// history's items, ascending. Reads the head, the fold-in model, the tables and the
    /// directory buckets it needs, not the shards.
    ///
    /// # Errors
    /// If a table or directory bucket cannot be read, or is corrupt or from another
    /// publication.
    pub fn shards_for(&mut self, privacy: Privacy, history: &[String]) -> Result<Vec<u32>> {
        let mut reading = Reading::new(self.manifest.clone(), privacy, history)?;
        self.drive(&mut reading, true)?;
        Ok(reading.planned().expect("driven until planned"))
    }

    /// Loads what a visitor with `history` (item ids) may read under `privacy`.
    ///
    /// # Errors
    /// If a file cannot be read, or is corrupt or from another publication.
    pub fn load(&mut self, privacy: Privacy, history: &[String]) -> Result<Loaded> {
        let mut reading = Reading::new(self.manifest.clone(), privacy, history)?;
        self.drive(&mut reading, false)?;
        reading.finish()
    }

    /// The display records of `items` (indices into `loaded.model`), reading each page once.
    ///
    /// # Errors
    /// If a page cannot be read or does not hold the items the ranking file says.
    pub fn records(&mut self, loaded: &Loaded, items: &[u32]) -> Result<Vec<CatalogItem>> {
        let m = self.manifest;
        m.check()?;
        let mut by_index: HashMap<u32, CatalogItem> = HashMap::new();
        for f in loaded.pages_for(items) {
            let bytes = self.get(f)?;
            by_index.extend(loaded.page_records(f, &bytes)?);
        }
        items
            .iter()
            .map(|i| {
                by_index.get(i).cloned().ok_or_else(|| {
                    Error::Published(format!("item {i} is not one of the loaded shards'"))
                })
            })
            .collect()
    }
}

fn mismatch(file: &str) -> Error {
    Error::Published(format!(
        "{file} does not match the manifest: the files come from different publications; publish again and upload every file"
    ))
}
