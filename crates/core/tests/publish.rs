//! Publication in shards: the files and manifest `publish` writes, what a visitor reads in each
//! privacy mode, and corrupt or mismatched files.

#[path = "../../browser/tests/common/mod.rs"]
mod shop;

use std::collections::HashMap;

use tastebud_core::{
    bucket_of, publish, sha256_hex, Columns, Error, FileRef, Filter, Index, Loader, Manifest,
    Privacy, PublishOptions, Published, Reading, TABLE_ENTRIES,
};

fn published(shards: usize, strict_items: usize) -> Published {
    published_with(PublishOptions {
        shards: Some(shards),
        strict_items,
        ..PublishOptions::default()
    })
}

fn published_with(options: PublishOptions) -> Published {
    publish(&shop::catalog(), &shop::model(), &options).unwrap()
}

/// Six shards, an empty strict set and several directory buckets: reads that depend on the
/// history.
fn six_shards_no_strict_set() -> Published {
    published_with(PublishOptions {
        shards: Some(6),
        strict_items: 0,
        directory_ids: 8,
        ..PublishOptions::default()
    })
}

/// The files by name, as a static host serves them.
fn host(p: &Published) -> HashMap<String, Vec<u8>> {
    p.files.iter().cloned().collect()
}

/// Every shard's and bucket's files, from all the tables.
fn index(p: &Published) -> Index {
    let files = host(p);
    p.manifest
        .index(&mut |f| Ok(files[&f.file].clone()))
        .unwrap()
}

fn load(
    manifest: &Manifest,
    files: &HashMap<String, Vec<u8>>,
    privacy: Privacy,
    history: &[String],
) -> (tastebud_core::Result<tastebud_core::Loaded>, Vec<String>) {
    let mut read = |f: &FileRef| -> tastebud_core::Result<Vec<u8>> {
        files
            .get(&f.file)
            .cloned()
            .ok_or_else(|| Error::Published(format!("{} is missing", f.file)))
    };
    let mut loader = Loader::new(manifest, &mut read);
    let loaded = loader.load(privacy, history);
    (loaded, loader.requests)
}

fn ids(category: usize, n: std::ops::Range<usize>) -> Vec<String> {
    n.map(|i| shop::item_id(category, i)).collect()
}

#[test]
fn every_file_is_named_by_its_hash_and_the_manifest_round_trips() {
    let p = published(4, 0);
    let m = &p.manifest;
    assert_eq!(m.shards, 4);
    assert_eq!(m.items as usize, shop::model().n_items());
    let files = host(&p);
    let idx = index(&p);
    // The manifest names the head, fold-in, centroid and table files; the tables the ranking,
    // column and directory files; each column file its shard's pages.
    let pages: Vec<FileRef> = idx
        .shards
        .iter()
        .flat_map(|s| {
            let columns: Columns = serde_json::from_slice(&files[&s.columns.file]).unwrap();
            assert_eq!(columns.pages.len(), (s.items as usize).div_ceil(64));
            columns.pages
        })
        .collect();
    let listed: Vec<&FileRef> = m
        .files()
        .chain(idx.shards.iter().flat_map(|s| [&s.ranking, &s.columns]))
        .chain(&idx.buckets)
        .chain(&pages)
        .collect();
    for f in &listed {
        let bytes = &files[&f.file];
        assert_eq!(bytes.len() as u64, f.bytes);
        assert_eq!(f.hash(), &sha256_hex(bytes)[..16], "{}", f.file);
    }
    assert_eq!(files.len(), listed.len());
    let text = serde_json::to_string(m).unwrap();
    assert_eq!(&Manifest::from_json(&text).unwrap(), m);
    // The same inputs give the same bytes.
    let again = published(4, 0);
    assert_eq!(again.files, p.files);
    // Each item is in exactly one shard.
    let total: u32 = idx.shards.iter().map(|s| s.items).sum();
    assert_eq!(total as u64, m.items);
    assert_eq!(idx.buckets.len(), m.buckets as usize);
}

#[test]
fn reading_every_shard_recommends_exactly_what_the_whole_model_does() {
    let p = published(4, usize::MAX);
    assert_eq!(
        p.manifest.strict.len(),
        4,
        "the strict set holds every shard"
    );
    let files = host(&p);
    let whole = shop::model();
    let history = ids(1, 0..3);
    let (loaded, _) = load(&p.manifest, &files, Privacy::Strict, &history);
    let loaded = loaded.unwrap();
    assert_eq!(loaded.model.n_items(), whole.n_items());
    let pairs = |model: &tastebud_core::Model| -> Vec<(u32, f32)> {
        history
            .iter()
            .map(|id| (model.item_index(id).unwrap(), 1.0))
            .collect()
    };
    let top = |model: &tastebud_core::Model| -> Vec<String> {
        model
            .recommend_for(&pairs(model), 10, Filter::new())
            .unwrap()
            .iter()
            .map(|s| model.item_ids()[s.item as usize].clone())
            .collect()
    };
    assert_eq!(top(&loaded.model), top(&whole));
    // Display records come from the pages, for the items asked for only.
    let shown: Vec<u32> = loaded
        .model
        .recommend_for(&pairs(&loaded.model), 3, Filter::new())
        .unwrap()
        .iter()
        .map(|s| s.item)
        .collect();
    let mut read = |f: &FileRef| -> tastebud_core::Result<Vec<u8>> { Ok(files[&f.file].clone()) };
    let mut loader = Loader::new(&p.manifest, &mut read);
    let records = loader.records(&loaded, &shown).unwrap();
    let catalog = shop::catalog();
    for (r, &i) in records.iter().zip(&shown) {
        assert_eq!(r.id, loaded.model.item_ids()[i as usize]);
        assert_eq!(Some(r), catalog.items.iter().find(|c| c.id == r.id));
    }
    assert!(loader.requests.iter().all(|f| f.starts_with("page-")));
}

#[test]
fn strict_mode_reads_the_same_files_in_the_same_order_for_every_visitor() {
    let p = published(4, 12);
    let files = host(&p);
    let (a, first) = load(&p.manifest, &files, Privacy::Strict, &ids(0, 0..4));
    let (b, second) = load(&p.manifest, &files, Privacy::Strict, &ids(2, 3..9));
    let (c, nobody) = load(&p.manifest, &files, Privacy::Strict, &[]);
    assert!(a.is_ok() && b.is_ok() && c.is_ok());
    assert_eq!(first, second);
    assert_eq!(first, nobody);
    assert!(first
        .iter()
        .all(|f| !f.starts_with("dir-") && !f.starts_with("dirs-")));
}

#[test]
fn history_mode_reads_only_the_strict_set_and_what_the_history_points_to() {
    let p = published(4, 0);
    let m = &p.manifest;
    let files = host(&p);
    let history = ids(2, 0..3);
    let (loaded, requests) = load(m, &files, Privacy::History, &history);
    let loaded = loaded.unwrap();
    // The allowed files: head, fold-in, the strict shards, the history's directory buckets
    // and the shards its items are in, and the tables that list them.
    let whole = shop::model();
    let idx = index(&p);
    let mut allowed = vec![m.head.file.clone(), m.fold.file.clone()];
    let shard_files = |s: u32| {
        let shard = &idx.shards[s as usize];
        [
            shard.ranking.file.clone(),
            shard.columns.file.clone(),
            m.shard_tables[s as usize / TABLE_ENTRIES].file.clone(),
        ]
    };
    for &s in &m.strict {
        allowed.extend(shard_files(s));
    }
    for id in &history {
        let b = bucket_of(id, m.buckets as usize);
        allowed.push(idx.buckets[b].file.clone());
        allowed.push(m.directory_tables[b / TABLE_ENTRIES].file.clone());
        let s = p.partition.assignment()[whole.item_index(id).unwrap() as usize];
        allowed.extend(shard_files(s));
    }
    assert!(requests.iter().all(|f| allowed.contains(f)), "{requests:?}");
    // No file twice, and every history item is loaded, so it folds in.
    let mut unique = requests.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), requests.len());
    for id in &history {
        assert!(loaded.model.item_index(id).is_some(), "{id}");
    }
    // A history in one niche reads fewer shards than there are.
    assert!(
        loaded.shards.len() < m.shards as usize,
        "{:?}",
        loaded.shards
    );
    // The order does not depend on the order of the history.
    let mut reversed = history.clone();
    reversed.reverse();
    assert_eq!(load(m, &files, Privacy::History, &reversed).1, requests);
}

#[test]
fn corrupt_missing_and_mismatched_files_are_clear_errors() {
    let p = published(4, usize::MAX);
    let m = &p.manifest;
    let history = ids(1, 0..2);
    let shard = index(&p).shards[m.strict[0] as usize].ranking.file.clone();

    let mut corrupt = host(&p);
    let bytes = corrupt.get_mut(&shard).unwrap();
    // A byte of the sections, before the checksum.
    let at = bytes.len() - 6;
    bytes[at] ^= 0x55;
    let e = load(m, &corrupt, Privacy::Strict, &history)
        .0
        .unwrap_err()
        .to_string();
    assert!(e.contains(&shard) && e.contains("corrupt"), "{e}");

    let mut missing = host(&p);
    missing.remove(&shard);
    let e = load(m, &missing, Privacy::Strict, &history)
        .0
        .unwrap_err()
        .to_string();
    assert!(e.contains(&shard), "{e}");

    // A shard from another publication (another shard count) in place of this one.
    let other = published(2, usize::MAX);
    let mut mixed = host(&p);
    mixed.insert(
        shard.clone(),
        other
            .files
            .iter()
            .find(|(f, _)| f.starts_with("rank-0."))
            .unwrap()
            .1
            .clone(),
    );
    let e = load(m, &mixed, Privacy::Strict, &history)
        .0
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(&shard) && e.contains("different publications"),
        "{e}"
    );

    let text = serde_json::to_string(m).unwrap();
    let e = Manifest::from_json(&text.replace("\"version\":4", "\"version\":9"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("version 9"), "{e}");
    let e = Manifest::from_json(&text.replace(".tbm\"", "/../x.tbm\""))
        .unwrap_err()
        .to_string();
    assert!(e.contains("inconsistent"), "{e}");
    assert!(Manifest::from_json("{}").is_err());
}

/// History mode's exact request list, over several directory buckets and shards outside the
/// strict set: head, fold-in and the tables; then each bucket once ascending and the strict
/// shards; then the history's other shards ascending (each its ranking file, then its columns),
/// whatever the order of the history.
#[test]
fn history_mode_requests_follow_the_documented_order() {
    let p = six_shards_no_strict_set();
    let m = &p.manifest;
    let idx = index(&p);
    assert!(m.buckets >= 4, "{} buckets", m.buckets);
    let files = host(&p);
    let whole = shop::model();
    let mut history: Vec<String> = [ids(0, 0..3), ids(2, 4..7), ids(3, 1..2)].concat();
    let shard_of = |id: &String| p.partition.assignment()[whole.item_index(id).unwrap() as usize];
    // Six shards and a few buckets: one table of each.
    let mut expected = vec![
        m.head.file.clone(),
        m.fold.file.clone(),
        m.directory_tables[0].file.clone(),
        m.shard_tables[0].file.clone(),
    ];
    let buckets: std::collections::BTreeSet<usize> = history
        .iter()
        .map(|id| bucket_of(id, m.buckets as usize))
        .collect();
    assert!(buckets.len() >= 2, "{buckets:?}");
    expected.extend(buckets.iter().map(|&b| idx.buckets[b].file.clone()));
    let others: std::collections::BTreeSet<u32> = history
        .iter()
        .map(shard_of)
        .filter(|s| !m.strict.contains(s))
        .collect();
    assert!(!others.is_empty());
    expected.extend(m.strict.iter().chain(&others).flat_map(|&s| {
        let shard = &idx.shards[s as usize];
        [shard.ranking.file.clone(), shard.columns.file.clone()]
    }));
    let (loaded, requests) = load(m, &files, Privacy::History, &history);
    loaded.unwrap();
    assert_eq!(requests, expected);
    history.reverse();
    history.rotate_left(2);
    assert_eq!(load(m, &files, Privacy::History, &history).1, expected);
}

#[test]
fn a_manifest_built_by_hand_is_checked_before_it_is_read() {
    let p = published(4, 0);
    let files = host(&p);
    let mut twice = p.manifest.clone();
    twice.strict = vec![twice.strict[0], twice.strict[0]];
    let e = load(&twice, &files, Privacy::Strict, &[])
        .0
        .unwrap_err()
        .to_string();
    assert!(e.contains("inconsistent"), "{e}");
    let mut out_of_range = p.manifest.clone();
    out_of_range.strict = vec![9];
    assert!(load(&out_of_range, &files, Privacy::Strict, &[]).0.is_err());
    let mut no_directory = p.manifest.clone();
    no_directory.directory_tables.clear();
    assert!(load(&no_directory, &files, Privacy::History, &ids(0, 0..1))
        .0
        .is_err());
}

/// The centroids are stored in the model's precision (int8 here), with each radius measured from
/// the stored centroid, so no member lies outside it; an empty shard publishes too.
#[test]
fn stored_centroids_keep_every_member_within_its_radius() {
    let whole = shop::model();
    let n = whole.n_items() as u32;
    // Four shards by index, and a fifth that stays empty.
    let p = published_with(PublishOptions {
        assignment: Some((0..n).map(|i| i % 4).collect()),
        shards: Some(5),
        ..PublishOptions::default()
    });
    let files = host(&p);
    let m = &p.manifest;
    let idx = index(&p);
    assert_eq!(idx.shards[4].items, 0);
    let centroids = tastebud_core::Model::from_bytes(&files[&m.centroids.file]).unwrap();
    assert_eq!(centroids.precision(), whole.precision());
    for (i, &s) in p.partition.assignment().iter().enumerate() {
        let c = centroids.item_row(s as usize);
        let d: f32 = whole
            .item_row(i)
            .iter()
            .zip(&c)
            .map(|(a, b)| (a - b).powi(2))
            .sum::<f32>()
            .sqrt();
        let radius = idx.shards[s as usize].radius;
        assert!(d <= radius, "item {i}: {d} > {radius}");
    }
    let (loaded, _) = load(m, &files, Privacy::Strict, &[]);
    assert_eq!(loaded.unwrap().model.n_items(), whole.n_items());
}

/// The sans-IO reading the browser drives: rounds of files to fetch in parallel, each file
/// checked as it arrives, the loaded items' categories from the column files, and display pages
/// matched to the ranking files.
#[test]
fn a_reading_asks_for_files_in_rounds_and_checks_what_it_is_given() {
    let p = six_shards_no_strict_set();
    let m = &p.manifest;
    let idx = index(&p);
    let files = host(&p);
    let history = ids(2, 0..3);
    let mut reading = Reading::new(m.clone(), Privacy::History, &history).unwrap();
    let names = |r: &Reading| -> Vec<String> { r.wants().into_iter().map(|f| f.file).collect() };
    let first = names(&reading);
    assert_eq!(first[..2], [m.head.file.clone(), m.fold.file.clone()]);
    assert!(
        first[2..]
            .iter()
            .all(|f| f.starts_with("dirs-") || f.starts_with("shards-")),
        "{first:?}"
    );
    // Finishing early, a file from elsewhere, a file not wanted yet and a truncated file are
    // refused.
    assert!(reading
        .clone()
        .finish()
        .unwrap_err()
        .to_string()
        .contains("not been read"));
    let e = reading
        .give("rank-99.0000000000000000.tbm", vec![1])
        .unwrap_err();
    assert!(
        e.to_string().contains("not a file of this publication"),
        "{e}"
    );
    let later = &idx.shards[m.strict[0] as usize].ranking;
    assert!(reading
        .give(&later.file, files[&later.file].clone())
        .is_err());
    let e = reading.give(&m.head.file, vec![b'{']).unwrap_err();
    assert!(e.to_string().contains("different publications"), "{e}");
    for f in &first {
        reading.give(f, files[f].clone()).unwrap();
    }
    let second = names(&reading);
    assert!(second.iter().any(|f| f.starts_with("dir-")), "{second:?}");
    assert!(second.iter().any(|f| f.starts_with("rank-")), "{second:?}");
    // Given in any order, the same load.
    let mut round = second;
    while !round.is_empty() {
        assert!(
            round.iter().all(|f| ["dir-", "rank-", "cols-", "shards-"]
                .iter()
                .any(|k| f.starts_with(k))),
            "{round:?}"
        );
        for f in round.iter().rev() {
            reading.give(f, files[f].clone()).unwrap();
        }
        round = names(&reading);
    }
    let loaded = reading.finish().unwrap();
    let (by_loader, _) = load(m, &files, Privacy::History, &history);
    let by_loader = by_loader.unwrap();
    assert_eq!(loaded.model.item_ids(), by_loader.model.item_ids());
    assert_eq!(loaded.categories, by_loader.categories);
    // Each loaded item's category is its catalog category.
    let catalog = shop::catalog();
    for (i, id) in loaded.model.item_ids().iter().enumerate() {
        let item = catalog.items.iter().find(|c| &c.id == id).unwrap();
        let c = &loaded.head.catalog.categories[loaded.categories[i] as usize];
        assert_eq!(c.id, item.category, "{id}");
    }
    // Pages: each record lands on its item; a page of another shard is refused.
    let shown = [0u32, loaded.model.n_items() as u32 - 1];
    let pages = loaded.pages_for(&shown);
    assert!(!pages.is_empty() && pages.len() <= 2);
    for page in &pages {
        for (i, r) in loaded.page_records(page, &files[&page.file]).unwrap() {
            assert_eq!(loaded.model.item_ids()[i as usize], r.id);
        }
    }
    let unread = (0..m.shards)
        .find(|s| !loaded.shards.contains(s) && idx.shards[*s as usize].items > 0)
        .unwrap();
    let columns: Columns =
        serde_json::from_slice(&files[&idx.shards[unread as usize].columns.file]).unwrap();
    let page = &columns.pages[0];
    let e = loaded.page_records(page, &files[&page.file]).unwrap_err();
    assert!(e.to_string().contains("this visitor loaded"), "{e}");
    // A columns file naming a category the head lacks (4 categories: 9 is out of range), and
    // one an item short; both the manifest's size (JSON may end in spaces).
    let cols = &idx.shards[loaded.shards[0] as usize].columns;
    let text = String::from_utf8(files[&cols.file].clone()).unwrap();
    let at = text.find('[').unwrap() + 1;
    let unknown = format!("{}9{}", &text[..at], &text[at + 1..]);
    let end = text.rfind(',').unwrap();
    let short = format!("{}]}}{}", &text[..end], " ".repeat(text.len() - end - 2));
    for broken in [unknown, short] {
        assert_eq!(broken.len(), text.len());
        let mut bad = host(&p);
        bad.insert(cols.file.clone(), broken.into_bytes());
        let e = load(m, &bad, Privacy::History, &history).0.unwrap_err();
        assert!(e.to_string().contains(&cols.file), "{e}");
    }
}

/// A catalog bigger than its strict set is split: the most popular items get shards of their
/// own, which are the strict set, so every visitor reads the items that top plain scores.
#[test]
fn the_most_popular_items_are_the_strict_sets_own_shards() {
    let p = published(4, 10);
    let m = &p.manifest;
    let whole = shop::model();
    assert_eq!(
        m.strict,
        vec![0],
        "one head shard of four, for 10 of 40 items"
    );
    let mut by_popularity: Vec<usize> = (0..whole.n_items()).collect();
    by_popularity.sort_by(|&a, &b| {
        whole.popularity()[b]
            .cmp(&whole.popularity()[a])
            .then(a.cmp(&b))
    });
    let mut head: Vec<u32> = by_popularity[..10].iter().map(|&i| i as u32).collect();
    head.sort_unstable();
    let mut shard0 = p.partition.members(0).to_vec();
    shard0.sort_unstable();
    assert_eq!(shard0, head);
    // Strict mode reads that shard only, and a visitor with no history gets the shop's top items.
    let files = host(&p);
    let (loaded, requests) = load(m, &files, Privacy::Strict, &[]);
    let loaded = loaded.unwrap();
    assert_eq!(loaded.shards, vec![0]);
    assert_eq!(requests.len(), 5, "{requests:?}");
    let top = whole.item_ids()[by_popularity[0]].clone();
    assert!(loaded.model.item_index(&top).is_some());
    // The same options publish the same bytes.
    let again = published(4, 10);
    assert_eq!(again.files, p.files);
}
