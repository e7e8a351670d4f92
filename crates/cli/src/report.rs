//! `evaluate --report`: one self-contained HTML page (inline CSS and SVG, no scripts, fonts or
//! images from elsewhere) with the accuracy / long-tail trade-off of the re-ranking presets, the
//! long-tail picture of plain ALS and of discovery, and every metric in a table.
//!
//! The SVG is written by hand with the small [`Chart`] helper below: scales, axes with ticks,
//! lines, circles and text.

use std::collections::HashSet;
use std::fmt::Write as _;

use tastebud_core::{Calibration, Metrics, NeighbourTrial, Trial, BALANCED_KEEPS, DISCOVERY_KEEPS};

/// Series colors (Okabe-Ito, readable in grayscale and for color-blind readers).
const BLUE: &str = "#0072b2";
const ORANGE: &str = "#d55e00";
const GREEN: &str = "#009e73";
const GRAY: &str = "#555555";

/// One re-ranking preset's sweep: its metrics as the strength `t` varies (0 is plain ALS).
pub struct Sweep {
    pub preset: String,
    pub points: Vec<(f32, Metrics)>,
}

/// How often each item is recommended under one setting, for the long-tail picture.
pub struct Exposure {
    pub name: String,
    /// Recommendations per item, across all evaluated users.
    pub counts: Vec<u32>,
    /// The setting's tail share.
    pub tail_share: f64,
}

/// Everything the page shows.
pub struct Report {
    pub title: String,
    /// `(label, value)` lines describing the data set, split, model and categories.
    pub facts: Vec<(String, String)>,
    /// The tail definition, with this run's threshold.
    pub tail_definition: String,
    /// The command that produced the page.
    pub command: String,
    /// Table rows: most popular, accurate, balanced, discovery.
    pub rows: Vec<(String, Metrics)>,
    pub popular: Metrics,
    pub als: Metrics,
    pub sweeps: Vec<Sweep>,
    /// Training popularity of each item.
    pub popularity: Vec<u32>,
    /// The smallest popularity among head items: the head/tail boundary.
    pub head_threshold: u32,
    /// Plain ALS's exposure, then discovery's.
    pub exposure: Vec<Exposure>,
    /// Sentences on the target (discovery against plain ALS).
    pub target: Vec<String>,
}

/// Escapes text for HTML and SVG, in element content and in quoted attributes alike.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The whole page.
/// The command line as typed, quoted for a POSIX shell where needed.
pub fn command_line() -> String {
    std::env::args_os()
        .map(|a| {
            let a = a.to_string_lossy();
            let plain = !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c));
            if plain {
                a.into_owned()
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The page's head, up to and including its `<h1>`.
fn page_start(w: &mut String, title: &str) {
    w.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    w.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    // No favicon request either.
    w.push_str("<link rel=\"icon\" href=\"data:,\">\n");
    let _ = writeln!(w, "<title>{}</title>", escape(title));
    let _ = writeln!(w, "<style>{CSS}</style>\n</head>\n<body>");
    let _ = writeln!(w, "<h1>{}</h1>", escape(title));
}

/// The `(label, value)` facts, then the command that made the page.
fn facts_list(w: &mut String, facts: &[(String, String)], command: &str) {
    w.push_str("<dl class=\"facts\">\n");
    for (label, value) in facts {
        let _ = writeln!(w, "<dt>{}</dt><dd>{}</dd>", escape(label), escape(value));
    }
    let _ = writeln!(
        w,
        "<dt>command</dt><dd><code>{}</code></dd>\n</dl>",
        escape(command)
    );
}

pub fn render(r: &Report) -> String {
    let mut html = String::new();
    let w = &mut html;
    page_start(w, &r.title);

    let mut facts = r.facts.clone();
    facts.push(("tail".into(), r.tail_definition.clone()));
    facts_list(w, &facts, &r.command);

    if !r.target.is_empty() {
        w.push_str("<h2>Discovery against plain ALS</h2>\n<ul class=\"target\">\n");
        for line in &r.target {
            let _ = writeln!(w, "<li>{}</li>", escape(line));
        }
        w.push_str("</ul>\n");
    }

    w.push_str("<h2>Accuracy against the long tail</h2>\n");
    w.push_str(
        "<p>Each preset's strengths scaled by <var>t</var> (0 is plain ALS, 1 the preset as \
         shipped, 2 twice as strong). Points are labelled with <var>t</var>.</p>\n",
    );
    w.push_str(&tradeoff_chart(r, false));
    w.push_str(&tradeoff_chart(r, true));

    w.push_str("<h2>Who gets recommended</h2>\n");
    let _ = writeln!(
        w,
        "<p>Each dot is an item: its training popularity against how many of the evaluated \
         users' top-{} lists it is in (log scales; items never recommended are not drawn, items \
         nobody had in training are drawn at 1). The dashed line is the head/tail boundary: \
         items left of it are the tail.</p>",
        r.als.k
    );
    w.push_str("<div class=\"panels\">\n");
    for (e, color) in r.exposure.iter().zip([BLUE, ORANGE]) {
        w.push_str(&exposure_chart(r, e, color));
    }
    w.push_str("</div>\n");

    w.push_str("<h2>Every metric</h2>\n");
    w.push_str(&metrics_table(&r.rows));
    w.push_str(GLOSSARY);
    w.push_str("</body>\n</html>\n");
    html
}

const CSS: &str = "
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; color: #222;
  max-width: 62rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.45; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dl.facts dt { font-weight: 600; } dl.facts dd { margin: 0; }
code { font-family: ui-monospace, monospace; font-size: .85em; word-break: break-all; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: .25rem .6rem; border-bottom: 1px solid #ddd; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.panels { display: flex; flex-wrap: wrap; gap: 1rem; }
svg { max-width: 100%; height: auto; }
svg text { font-family: system-ui, sans-serif; font-size: 11px; fill: #222; }
svg .axis-title { font-size: 12px; font-weight: 600; }
svg .title { font-size: 13px; font-weight: 600; }
svg .small { font-size: 9px; fill: #444; }
.glossary { font-size: .9rem; color: #444; }
tr.best td { background: #fff3e0; font-weight: 600; }
";

const GLOSSARY: &str = "<ul class=\"glossary\">
<li><b>P, R, nDCG, MAP</b>: precision, recall, normalized discounted cumulative gain and mean \
average precision of each user's top-k list against their held-out items, averaged over users.</li>
<li><b>coverage</b>: distinct items recommended to anyone, over the catalog.</li>
<li><b>tail share</b>: the fraction of all recommendations that are tail items.</li>
<li><b>novelty</b>: mean self-information <code>-log2((pop + 1) / (users + 1))</code> of the \
recommended items, in bits; higher is less popular.</li>
<li><b>ILD</b>: intra-list diversity, the mean fraction of a list's item pairs in different \
categories.</li>
<li><b>category coverage</b>: distinct categories recommended to anyone, over the categories \
that have items.</li>
</ul>
";

fn metrics_table(rows: &[(String, Metrics)]) -> String {
    let k = rows.first().map_or(0, |(_, m)| m.k);
    let mut t = String::from("<table>\n<thead><tr><th>setting</th>");
    for h in [
        format!("P@{k}"),
        format!("R@{k}"),
        format!("nDCG@{k}"),
        format!("MAP@{k}"),
        "coverage".into(),
        "tail share".into(),
        "novelty".into(),
        "ILD".into(),
        "category coverage".into(),
    ] {
        let _ = write!(t, "<th>{}</th>", escape(&h));
    }
    t.push_str("</tr></thead>\n<tbody>\n");
    let opt = |v: Option<f64>| v.map_or("–".to_owned(), |v| format!("{v:.4}"));
    for (name, m) in rows {
        let _ = write!(t, "<tr><td>{}</td>", escape(name));
        for v in crate::output::ranking_columns(m) {
            let _ = write!(t, "<td>{v:.4}</td>");
        }
        let _ = writeln!(
            t,
            "<td>{:.3}</td><td>{}</td><td>{}</td></tr>",
            m.novelty,
            opt(m.intra_list_diversity),
            opt(m.category_coverage)
        );
    }
    t.push_str("</tbody>\n</table>\n");
    t
}

/// The strongest setting the close-up shows.
const CLOSE_UP_MAX_T: f32 = 1.25;

/// nDCG against tail share: one line per preset, plain ALS and most-popular as marked points.
/// `close_up` shows strengths up to [`CLOSE_UP_MAX_T`] only, on an nDCG axis that does not
/// start at 0, so the presets as shipped can be told apart.
fn tradeoff_chart(r: &Report, close_up: bool) -> String {
    let shown = |t: f32| !close_up || t <= CLOSE_UP_MAX_T;
    let points = || {
        r.sweeps
            .iter()
            .flat_map(|s| s.points.iter().filter(|(t, _)| shown(*t)).map(|(_, m)| m))
            .chain([&r.als])
    };
    let max_tail = points().map(|m| m.tail_share).fold(0.0, f64::max);
    let max_ndcg = points().map(|m| m.ndcg).fold(0.0, f64::max);
    let target = 0.9 * r.als.ndcg;
    let (y_lo, y_hi) = if close_up {
        let lo = points().map(|m| m.ndcg).fold(target, f64::min);
        let pad = (max_ndcg - lo).max(1e-6) * 0.08;
        (lo - pad, max_ndcg + pad)
    } else {
        (0.0, max_ndcg.max(r.popular.ndcg) * 1.1)
    };
    let x_hi = if close_up {
        max_tail * 1.08
    } else {
        max_tail.max(r.popular.tail_share) * 1.05
    };
    let k = r.als.k;
    let mut c = Chart::new(
        800.0,
        400.0,
        Axis::linear(0.0, x_hi.max(0.01), "tail share of recommendations"),
        Axis::linear(y_lo, y_hi.max(y_lo + 0.001), &format!("nDCG@{k}")),
    );
    c.right = 230.0;
    c.title(&if close_up {
        format!("close-up: strengths up to t = {CLOSE_UP_MAX_T}")
    } else {
        "accuracy against tail share as the re-ranking strength grows".to_owned()
    });
    c.hline(target, GRAY, "0.9 × plain ALS");

    let colors = [GREEN, ORANGE, BLUE];
    let mut legend: Vec<(String, &str, Marker)> = Vec::new();
    for (n, (s, &color)) in r.sweeps.iter().zip(colors.iter().cycle()).enumerate() {
        // The first preset's labels go left of its points, the others' right, so two lines
        // close together stay readable.
        let (dx, anchor) = if n == 0 {
            (-7.0, "end")
        } else {
            (7.0, "start")
        };
        let sweep: Vec<&(f32, Metrics)> = s.points.iter().filter(|(t, _)| shown(*t)).collect();
        let pts: Vec<(f64, f64)> = sweep.iter().map(|(_, m)| (m.tail_share, m.ndcg)).collect();
        c.polyline(&pts, color, false);
        let last = sweep.last().map(|(t, _)| *t);
        for &&(t, ref m) in &sweep {
            let shipped = t == 1.0;
            let tip = format!(
                "{} t = {t}: nDCG {:.4}, tail share {:.4}",
                s.preset, m.ndcg, m.tail_share
            );
            c.circle(
                m.tail_share,
                m.ndcg,
                if shipped { 5.5 } else { 3.5 },
                color,
                Some(&tip),
            );
            // Left labels of points at the left edge would run into the tick labels.
            let (dx, anchor) = if dx < 0.0 && c.at(m.tail_share, m.ndcg).0 - c.left < 60.0 {
                (-dx, "start")
            } else {
                (dx, anchor)
            };
            // The full view is crowded near plain ALS: label only the strong end there.
            if t != 0.0 && (close_up || t > 1.0) {
                c.label(
                    (m.tail_share, m.ndcg),
                    (dx, -4.0),
                    anchor,
                    &format!("t = {t}"),
                    "small",
                );
            }
            if (close_up && shipped) || (!close_up && Some(t) == last) {
                c.label((m.tail_share, m.ndcg), (dx, 14.0), anchor, &s.preset, "");
            }
        }
        legend.push((format!("{} (t from 0 up)", s.preset), color, Marker::Line));
    }
    c.square(
        r.als.tail_share,
        r.als.ndcg,
        6.0,
        BLUE,
        &format!(
            "plain ALS: nDCG {:.4}, tail share {:.4}",
            r.als.ndcg, r.als.tail_share
        ),
    );
    c.label(
        (r.als.tail_share, r.als.ndcg),
        (9.0, -9.0),
        "start",
        "plain ALS",
        "",
    );
    legend.push(("plain ALS (t = 0)".into(), BLUE, Marker::Square));
    if !close_up {
        c.diamond(
            r.popular.tail_share,
            r.popular.ndcg,
            6.0,
            GRAY,
            &format!(
                "most popular: nDCG {:.4}, tail share {:.4}",
                r.popular.ndcg, r.popular.tail_share
            ),
        );
        c.label(
            (r.popular.tail_share, r.popular.ndcg),
            (9.0, 4.0),
            "start",
            "most popular",
            "",
        );
        legend.push(("most popular".into(), GRAY, Marker::Diamond));
    }
    legend.push(("0.9 × plain ALS nDCG".into(), GRAY, Marker::Dashed));
    c.legend(&legend);
    c.finish()
}

/// Log-log scatter of training popularity against times recommended, with the head/tail line.
fn exposure_chart(r: &Report, e: &Exposure, color: &str) -> String {
    let max_pop = r.popularity.iter().copied().max().unwrap_or(1).max(1) as f64;
    let max_count = r
        .exposure
        .iter()
        .flat_map(|e| e.counts.iter().copied())
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let mut c = Chart::new(
        470.0,
        380.0,
        Axis::log(1.0, max_pop, "training popularity (users)"),
        Axis::log(1.0, max_count, "times recommended"),
    );
    let distinct = e.counts.iter().filter(|&&n| n > 0).count();
    c.title(&format!("{}: {distinct} items recommended", e.name));
    let threshold = r.head_threshold.max(1) as f64;
    c.vline(threshold, GRAY, &format!("head ≥ {}", r.head_threshold));
    // Many items share a pixel at the low end; one dot per pixel keeps the file small.
    let mut drawn = HashSet::new();
    let mut dots = String::new();
    for (i, &n) in e.counts.iter().enumerate() {
        if n == 0 {
            continue;
        }
        let pop = r.popularity.get(i).copied().unwrap_or(0);
        // Items nobody interacted with in training sit on the left edge.
        let (x, y) = c.at(pop.max(1) as f64, n as f64);
        if drawn.insert(((x * 2.0).round() as i64, (y * 2.0).round() as i64)) {
            let _ = write!(dots, "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"2.2\"/>");
        }
    }
    c.raw(&format!(
        "<g fill=\"{color}\" fill-opacity=\"0.35\" stroke=\"none\">{dots}</g>"
    ));
    c.note(&format!(
        "tail share {:.1}% of recommendations",
        100.0 * e.tail_share
    ));
    c.finish()
}

/// Everything `tastebud tune --report` shows.
pub struct TunePage {
    pub title: String,
    pub facts: Vec<(String, String)>,
    pub command: String,
    /// The catalog's items (to turn `rho` into `lambda`).
    pub items: usize,
    pub trials: Vec<Trial>,
    /// Index of the best trial.
    pub best: usize,
    pub calibration: Calibration,
    pub has_categories: bool,
    /// The item-item stage's settings, in order, and the chosen one.
    pub neighbour_trials: Vec<NeighbourTrial>,
    pub neighbour_best: Option<usize>,
}

/// The tuning report: validation nDCG against each searched parameter, the loss per iteration
/// of every trial, the discovery calibration and a table of every trial.
pub fn render_tune(p: &TunePage) -> String {
    let mut html = String::new();
    let w = &mut html;
    page_start(w, &p.title);
    facts_list(w, &p.facts, &p.command);
    w.push_str("<h2>Validation nDCG@10 against each parameter</h2>\n");
    w.push_str(
        "<p>Each dot is one trained setting; the best is the orange square. Settings of the \
         search stage are blue, those of the dimension stage green.</p>\n<div class=\"panels\">\n",
    );
    let items = p.items;
    type Pick = fn(&Trial, usize) -> f64;
    let params: [(&str, bool, Pick); 4] = [
        ("regularization lambda", true, |t, n| {
            t.setting.regularization(n)
        }),
        ("unobserved weight alpha0", true, |t, _| {
            t.setting.unobserved_weight
        }),
        ("exponent nu", false, |t, _| t.setting.exponent),
        ("factors", true, |t, _| t.setting.factors as f64),
    ];
    for (name, log, pick) in params {
        w.push_str(&parameter_chart(p, name, log, pick, items));
    }
    w.push_str("</div>\n");
    if !p.neighbour_trials.is_empty() {
        neighbour_section(w, p);
    }
    w.push_str("<h2>Training loss per iteration</h2>\n");
    w.push_str(&loss_chart(p));
    w.push_str("<h2>Discovery calibration</h2>\n");
    let _ = writeln!(
        w,
        "<p>The <code>discovery</code> preset's strengths scaled by <var>t</var>, measured on the \
         validation split with the best setting. <code>balanced</code> is the strongest <var>t</var> \
         keeping {BALANCED_KEEPS}x of plain nDCG@10, <code>discovery</code> the strongest keeping \
         {DISCOVERY_KEEPS}x (each a little above the 0.95x and 0.90x they promise, for the gap \
         between validation and test).{}</p>",
        if p.has_categories {
            ""
        } else {
            " Without categories, the presets re-rank by popularity alone and category coverage \
             is not measured."
        }
    );
    w.push_str(&calibration_chart(&p.calibration));
    w.push_str("<h2>Every trial</h2>\n<table>\n<thead><tr><th>trial</th><th>stage</th><th>factors</th><th>lambda</th><th>rho</th><th>alpha0</th><th>nu</th><th>nDCG@10</th><th>R@10</th><th>fit s</th></tr></thead>\n<tbody>\n");
    for (i, t) in p.trials.iter().enumerate() {
        let _ = writeln!(
            w,
            "<tr{}><td>{}</td><td>{}</td><td>{}</td><td>{:.4}</td><td>{:.3}</td><td>{:.4}</td><td>{}</td><td>{:.4}</td><td>{:.4}</td><td>{:.2}</td></tr>",
            if i == p.best { " class=\"best\"" } else { "" },
            t.number,
            t.stage,
            t.setting.factors,
            t.setting.regularization(items),
            t.setting.rho,
            t.setting.unobserved_weight,
            t.setting.exponent,
            t.ndcg,
            t.recall,
            t.fit_seconds
        );
    }
    w.push_str("</tbody>\n</table>\n</body>\n</html>\n");
    html
}

fn parameter_chart(
    p: &TunePage,
    name: &str,
    log: bool,
    pick: fn(&Trial, usize) -> f64,
    items: usize,
) -> String {
    let xs: Vec<f64> = p.trials.iter().map(|t| pick(t, items)).collect();
    let (lo, hi) = xs
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
            (a.min(x), b.max(x))
        });
    let ndcg_hi = p.trials.iter().map(|t| t.ndcg).fold(0.0, f64::max);
    let ndcg_lo = p.trials.iter().map(|t| t.ndcg).fold(ndcg_hi, f64::min);
    let pad = ((ndcg_hi - ndcg_lo) * 0.08).max(1e-4);
    let x = if log {
        Axis::log(lo, hi, name)
    } else {
        let pad = ((hi - lo) * 0.1).max(0.05);
        Axis::linear(lo - pad, hi + pad, name)
    };
    let mut c = Chart::new(
        380.0,
        280.0,
        x,
        Axis::linear(
            (ndcg_lo - pad).max(0.0),
            ndcg_hi + pad,
            "validation nDCG@10",
        ),
    );
    c.title(&format!("nDCG@10 against {name}"));
    for (t, &x) in p.trials.iter().zip(&xs) {
        let color = if t.stage == "dimension" { GREEN } else { BLUE };
        let tip = format!("trial {}: nDCG@10 {:.4}", t.number, t.ndcg);
        c.circle(x, t.ndcg, 4.0, color, Some(&tip));
    }
    let best = &p.trials[p.best];
    c.square(
        xs[p.best],
        best.ndcg,
        5.0,
        ORANGE,
        &format!("best, trial {}: nDCG@10 {:.4}", best.number, best.ndcg),
    );
    c.finish()
}

/// The item-item stage: validation nDCG@10 against the blend weight, a line per EASE lambda, the
/// factors alone as a reference, and every setting in a table.
fn neighbour_section(w: &mut String, p: &TunePage) {
    let factors = p.trials[p.best].ndcg;
    let _ = writeln!(
        w,
        "<h2>Item-item model (EASE) beside the best factors</h2>\n<p>Each line is one EASE \
         <var>lambda</var>, each dot one blend weight: score = factor score + weight &times; \
         item-item score. The dashed line is the best factors alone (nDCG@10 {factors:.4}). {}</p>",
        match p.neighbour_best {
            Some(b) => format!(
                "The chosen blend is the orange square: lambda {}, weight {:.4}, nDCG@10 {:.4}.",
                lambda_text(p.neighbour_trials[b].regularization),
                p.neighbour_trials[b].weight,
                p.neighbour_trials[b].ndcg
            ),
            None => "No blend beat the factors alone, so the model has factors only.".to_owned(),
        }
    );
    let weights = || p.neighbour_trials.iter().map(|t| t.weight);
    let ndcgs = || p.neighbour_trials.iter().map(|t| t.ndcg).chain([factors]);
    let (lo, hi) = (
        weights().fold(f64::INFINITY, f64::min),
        weights().fold(0.0, f64::max),
    );
    let ndcg_hi = ndcgs().fold(0.0, f64::max);
    let ndcg_lo = ndcgs().fold(ndcg_hi, f64::min);
    let pad = ((ndcg_hi - ndcg_lo) * 0.08).max(1e-4);
    let mut c = Chart::new(
        800.0,
        320.0,
        Axis::log(lo, hi.max(lo * 1.01), "blend weight"),
        Axis::linear(
            (ndcg_lo - pad).max(0.0),
            ndcg_hi + pad,
            "validation nDCG@10",
        ),
    );
    c.right = 200.0;
    c.title("nDCG@10 against the blend weight, for each EASE lambda");
    c.hline(factors, GRAY, "factors alone");
    let mut lambdas: Vec<f64> = p
        .neighbour_trials
        .iter()
        .map(|t| t.regularization)
        .collect();
    lambdas.dedup();
    let colors = [BLUE, GREEN, "#cc79a7", "#e69f00", "#56b4e9", GRAY];
    let mut legend = Vec::new();
    for (i, &lambda) in lambdas.iter().enumerate() {
        let color = colors[i % colors.len()];
        let pts: Vec<(f64, f64)> = p
            .neighbour_trials
            .iter()
            .filter(|t| t.regularization == lambda)
            .map(|t| (t.weight, t.ndcg))
            .collect();
        c.polyline(&pts, color, false);
        for &(x, y) in &pts {
            let tip = format!(
                "lambda {}, weight {x:.4}: nDCG@10 {y:.4}",
                lambda_text(lambda)
            );
            c.circle(x, y, 3.5, color, Some(&tip));
        }
        legend.push((
            format!("lambda {}", lambda_text(lambda)),
            color,
            Marker::Line,
        ));
    }
    if let Some(b) = p.neighbour_best {
        let t = &p.neighbour_trials[b];
        c.square(
            t.weight,
            t.ndcg,
            5.0,
            ORANGE,
            &format!("chosen: nDCG@10 {:.4}", t.ndcg),
        );
    }
    c.legend(&legend);
    w.push_str(&c.finish());
    w.push_str("<table>\n<thead><tr><th>lambda</th><th>weight</th><th>nDCG@10</th><th>R@10</th></tr></thead>\n<tbody>\n");
    for (i, t) in p.neighbour_trials.iter().enumerate() {
        let _ = writeln!(
            w,
            "<tr{}><td>{}</td><td>{:.4}</td><td>{:.4}</td><td>{:.4}</td></tr>",
            if Some(i) == p.neighbour_best {
                " class=\"best\""
            } else {
                ""
            },
            lambda_text(t.regularization),
            t.weight,
            t.ndcg,
            t.recall
        );
    }
    w.push_str("</tbody>\n</table>\n");
}

/// EASE's lambda as the report shows it: whole above 10, 3 decimals below.
fn lambda_text(v: f64) -> String {
    if v >= 10.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.3}")
    }
}

fn loss_chart(p: &TunePage) -> String {
    let iterations = p.trials.iter().map(|t| t.losses.len()).max().unwrap_or(1);
    let losses = || p.trials.iter().flat_map(|t| t.losses.iter().copied());
    let hi = losses().fold(0.0, f64::max);
    let lo = losses().fold(hi, f64::min);
    let mut c = Chart::new(
        800.0,
        320.0,
        Axis::linear(1.0, iterations.max(2) as f64, "iteration"),
        Axis::log(
            lo.max(1e-9),
            hi.max(lo * 1.01).max(1e-9),
            "training loss (log scale)",
        ),
    );
    c.right = 200.0;
    c.title("Training loss of every trial");
    for (i, t) in p.trials.iter().enumerate() {
        if i != p.best && !t.losses.is_empty() {
            let pts: Vec<(f64, f64)> = t
                .losses
                .iter()
                .enumerate()
                .map(|(j, &l)| ((j + 1) as f64, l))
                .collect();
            c.polyline(&pts, "#c8c8c8", false);
        }
    }
    let best: Vec<(f64, f64)> = p.trials[p.best]
        .losses
        .iter()
        .enumerate()
        .map(|(j, &l)| ((j + 1) as f64, l))
        .collect();
    c.polyline(&best, ORANGE, false);
    c.legend(&[
        ("best setting".into(), ORANGE, Marker::Line),
        ("other trials".into(), "#c8c8c8", Marker::Line),
    ]);
    c.finish()
}

fn calibration_chart(cal: &Calibration) -> String {
    let top = cal
        .tail_share
        .iter()
        .chain(&cal.category_coverage)
        .chain(&cal.ndcg_ratio)
        .fold(1.0f32, |a, &b| a.max(b)) as f64;
    let mut c = Chart::new(
        800.0,
        360.0,
        Axis::linear(0.0, cal.max_strength() as f64, "strength t"),
        Axis::linear(0.0, top * 1.05, "share"),
    );
    c.right = 230.0;
    c.title("What each strength keeps and reaches (validation)");
    let series = |v: &[f32]| -> Vec<(f64, f64)> {
        cal.strengths
            .iter()
            .zip(v)
            .map(|(&t, &y)| (t as f64, y as f64))
            .collect()
    };
    for (values, color) in [
        (&cal.ndcg_ratio, BLUE),
        (&cal.tail_share, ORANGE),
        (&cal.category_coverage, GREEN),
    ] {
        let pts = series(values);
        c.polyline(&pts, color, false);
        for &(x, y) in &pts {
            c.circle(x, y, 3.5, color, Some(&format!("t = {x}: {y:.4}")));
        }
    }
    c.hline(DISCOVERY_KEEPS as f64, GRAY, "discovery keeps");
    c.hline(BALANCED_KEEPS as f64, GRAY, "balanced keeps");
    for (name, keeps) in [("balanced", BALANCED_KEEPS), ("discovery", DISCOVERY_KEEPS)] {
        let t = cal.strength_keeping(keeps) as f64;
        let (px, y0) = c.at(t, 0.0);
        let (_, y1) = c.at(t, top * 1.05);
        c.raw(&format!(
            "<line x1=\"{px:.1}\" y1=\"{y0:.1}\" x2=\"{px:.1}\" y2=\"{y1:.1}\" stroke=\"{GRAY}\" stroke-dasharray=\"2 3\"/>"
        ));
        c.label((t, top * 1.0), (4.0, 0.0), "start", name, "small");
    }
    c.legend(&[
        ("nDCG@10 over plain".into(), BLUE, Marker::Line),
        ("tail share".into(), ORANGE, Marker::Line),
        ("category coverage".into(), GREEN, Marker::Line),
    ]);
    c.finish()
}

/// An axis: its domain, scale kind and title.
struct Axis {
    lo: f64,
    hi: f64,
    log: bool,
    title: String,
}

impl Axis {
    fn linear(lo: f64, hi: f64, title: &str) -> Axis {
        Axis {
            lo,
            hi,
            log: false,
            title: title.into(),
        }
    }

    /// A base-10 log axis from `lo` to `hi`, widened to whole powers of ten.
    fn log(lo: f64, hi: f64, title: &str) -> Axis {
        let lo = 10f64.powf(lo.max(1e-12).log10().floor());
        let hi = 10f64.powf(hi.max(lo * 10.0).log10().ceil());
        Axis {
            lo,
            hi,
            log: true,
            title: title.into(),
        }
    }

    /// Where `v` falls in `[0, 1]` along the axis.
    fn fraction(&self, v: f64) -> f64 {
        if self.log {
            (v.max(self.lo).log10() - self.lo.log10()) / (self.hi.log10() - self.lo.log10())
        } else {
            (v - self.lo) / (self.hi - self.lo)
        }
    }

    /// Tick values with their labels: powers of ten on a log axis, 1-2-5 steps on a linear one.
    fn ticks(&self) -> Vec<(f64, String)> {
        if self.log {
            let (a, b) = (
                self.lo.log10().round() as i32,
                self.hi.log10().round() as i32,
            );
            return (a..=b)
                .map(|e| {
                    let v = 10f64.powi(e);
                    (v, number(v))
                })
                .collect();
        }
        let step = nice_step((self.hi - self.lo) / 5.0);
        let decimals = (-step.log10().floor()).max(0.0) as usize;
        let mut ticks = Vec::new();
        let mut i = (self.lo / step).ceil() as i64;
        loop {
            let v = i as f64 * step;
            if v > self.hi + step * 1e-9 {
                break;
            }
            ticks.push((v, format!("{v:.decimals$}")));
            i += 1;
        }
        ticks
    }
}

/// The 1, 2 or 5 times a power of ten nearest above `raw`.
fn nice_step(raw: f64) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let p = 10f64.powf(raw.log10().floor());
    let m = raw / p;
    p * if m <= 1.0 {
        1.0
    } else if m <= 2.0 {
        2.0
    } else if m <= 5.0 {
        5.0
    } else {
        10.0
    }
}

/// `1`, `10`, `1k`, `10k`, `1M` for tick labels.
fn number(v: f64) -> String {
    match v {
        v if v >= 1e6 => format!("{}M", v / 1e6),
        v if v >= 1e3 => format!("{}k", v / 1e3),
        v => format!("{v}"),
    }
}

#[derive(Clone, Copy)]
enum Marker {
    Line,
    Square,
    Diamond,
    Dashed,
}

/// An SVG chart under construction: a plot area inside margins, two axes, and the marks added.
struct Chart {
    width: f64,
    height: f64,
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
    x: Axis,
    y: Axis,
    title: String,
    body: String,
    overlay: String,
}

impl Chart {
    fn new(width: f64, height: f64, x: Axis, y: Axis) -> Chart {
        Chart {
            width,
            height,
            left: 64.0,
            right: 16.0,
            top: 30.0,
            bottom: 48.0,
            x,
            y,
            title: String::new(),
            body: String::new(),
            overlay: String::new(),
        }
    }

    /// Pixel position of a data point.
    fn at(&self, x: f64, y: f64) -> (f64, f64) {
        let px = self.left + self.x.fraction(x) * (self.width - self.left - self.right);
        let py =
            self.height - self.bottom - self.y.fraction(y) * (self.height - self.top - self.bottom);
        (px, py)
    }

    fn title(&mut self, text: &str) {
        self.title = text.into();
    }

    fn raw(&mut self, svg: &str) {
        self.body.push_str(svg);
    }

    fn polyline(&mut self, pts: &[(f64, f64)], color: &str, dashed: bool) {
        let points: Vec<String> = pts
            .iter()
            .map(|&(x, y)| {
                let (px, py) = self.at(x, y);
                format!("{px:.1},{py:.1}")
            })
            .collect();
        let _ = write!(
            self.body,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"{}/>",
            points.join(" "),
            if dashed {
                " stroke-dasharray=\"5 4\""
            } else {
                ""
            }
        );
    }

    fn circle(&mut self, x: f64, y: f64, r: f64, color: &str, tip: Option<&str>) {
        let (px, py) = self.at(x, y);
        let _ = write!(
            self.body,
            "<circle cx=\"{px:.1}\" cy=\"{py:.1}\" r=\"{r}\" fill=\"{color}\" stroke=\"white\">"
        );
        if let Some(tip) = tip {
            let _ = write!(self.body, "<title>{}</title>", escape(tip));
        }
        self.body.push_str("</circle>");
    }

    fn square(&mut self, x: f64, y: f64, r: f64, color: &str, tip: &str) {
        let (px, py) = self.at(x, y);
        let _ = write!(
            self.body,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{}\" height=\"{}\" fill=\"{color}\" stroke=\"black\"><title>{}</title></rect>",
            px - r,
            py - r,
            2.0 * r,
            2.0 * r,
            escape(tip)
        );
    }

    fn diamond(&mut self, x: f64, y: f64, r: f64, color: &str, tip: &str) {
        let (px, py) = self.at(x, y);
        let _ = write!(
            self.body,
            "<polygon points=\"{:.1},{:.1} {:.1},{:.1} {:.1},{:.1} {:.1},{:.1}\" fill=\"{color}\" stroke=\"black\"><title>{}</title></polygon>",
            px, py - r, px + r, py, px, py + r, px - r, py,
            escape(tip)
        );
    }

    /// Text next to a data point, offset by `(dx, dy)` pixels; `anchor` is SVG's text-anchor.
    fn label(
        &mut self,
        (x, y): (f64, f64),
        (dx, dy): (f64, f64),
        anchor: &str,
        text: &str,
        class: &str,
    ) {
        let (px, py) = self.at(x, y);
        let class = if class.is_empty() {
            String::new()
        } else {
            format!(" class=\"{class}\"")
        };
        let _ = write!(
            self.overlay,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\"{class}>{}</text>",
            px + dx,
            py + dy,
            escape(text)
        );
    }

    /// A dashed horizontal reference line at `y`, labelled at its right end.
    fn hline(&mut self, y: f64, color: &str, text: &str) {
        let (x0, py) = self.at(self.x.lo, y);
        let (x1, _) = self.at(self.x.hi, y);
        let _ = write!(
            self.body,
            "<line x1=\"{x0:.1}\" y1=\"{py:.1}\" x2=\"{x1:.1}\" y2=\"{py:.1}\" stroke=\"{color}\" stroke-dasharray=\"5 4\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" class=\"small\">{}</text>",
            x1 - 4.0,
            py + 12.0,
            escape(text)
        );
    }

    /// A dashed vertical reference line at `x`, labelled at its top.
    fn vline(&mut self, x: f64, color: &str, text: &str) {
        let (px, y0) = self.at(x, self.y.lo);
        let (_, y1) = self.at(x, self.y.hi);
        let _ = write!(
            self.overlay,
            "<line x1=\"{px:.1}\" y1=\"{y0:.1}\" x2=\"{px:.1}\" y2=\"{y1:.1}\" stroke=\"{color}\" stroke-width=\"1.5\" stroke-dasharray=\"5 4\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" class=\"small\">{}</text>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" class=\"small\">tail</text>",
            px + 4.0,
            y1 + 10.0,
            escape(text),
            px - 4.0,
            y1 + 10.0,
        );
    }

    /// A line of text in the plot's bottom-right corner.
    fn note(&mut self, text: &str) {
        let _ = write!(
            self.overlay,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            self.width - self.right - 6.0,
            self.height - self.bottom - 8.0,
            escape(text)
        );
    }

    /// A legend box in the right margin, beside the plot's top.
    fn legend(&mut self, entries: &[(String, &str, Marker)]) {
        let w = self.right - 20.0;
        let x = self.width - self.right + 12.0;
        let y = self.top + 8.0;
        let _ = write!(
            self.overlay,
            "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w}\" height=\"{}\" fill=\"white\" fill-opacity=\"0.9\" stroke=\"#bbb\"/>",
            entries.len() as f64 * 18.0 + 8.0
        );
        for (i, (text, color, marker)) in entries.iter().enumerate() {
            let cy = y + 14.0 + i as f64 * 18.0;
            let mx = x + 18.0;
            let mark = match marker {
                Marker::Line => format!(
                    "<line x1=\"{:.1}\" y1=\"{cy:.1}\" x2=\"{:.1}\" y2=\"{cy:.1}\" stroke=\"{color}\" stroke-width=\"2\"/><circle cx=\"{mx:.1}\" cy=\"{cy:.1}\" r=\"3.5\" fill=\"{color}\"/>",
                    mx - 10.0,
                    mx + 10.0
                ),
                Marker::Square => format!(
                    "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"10\" height=\"10\" fill=\"{color}\" stroke=\"black\"/>",
                    mx - 5.0,
                    cy - 5.0
                ),
                Marker::Diamond => format!(
                    "<polygon points=\"{mx:.1},{:.1} {:.1},{cy:.1} {mx:.1},{:.1} {:.1},{cy:.1}\" fill=\"{color}\" stroke=\"black\"/>",
                    cy - 6.0,
                    mx + 6.0,
                    cy + 6.0,
                    mx - 6.0
                ),
                Marker::Dashed => format!(
                    "<line x1=\"{:.1}\" y1=\"{cy:.1}\" x2=\"{:.1}\" y2=\"{cy:.1}\" stroke=\"{color}\" stroke-dasharray=\"5 4\"/>",
                    mx - 10.0,
                    mx + 10.0
                ),
            };
            let _ = write!(
                self.overlay,
                "{mark}<text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
                x + 34.0,
                cy + 4.0,
                escape(text)
            );
        }
    }

    /// The SVG element: frame, ticks, tick labels, axis titles, then the marks.
    fn finish(self) -> String {
        let (w, h) = (self.width, self.height);
        let (x0, x1) = (self.left, w - self.right);
        let (y0, y1) = (h - self.bottom, self.top);
        let mut s = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"{}\">",
            escape(&self.title)
        );
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"18\" text-anchor=\"middle\" class=\"title\">{}</text>",
            (x0 + x1) / 2.0,
            escape(&self.title)
        );
        let _ = write!(
            s,
            "<rect x=\"{x0}\" y=\"{y1}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#888\"/>",
            x1 - x0,
            y0 - y1
        );
        for (v, text) in self.x.ticks() {
            let (px, _) = self.at(v, self.y.lo);
            let _ = write!(
                s,
                "<line x1=\"{px:.1}\" y1=\"{y1}\" x2=\"{px:.1}\" y2=\"{y0}\" stroke=\"#eee\"/>\
                 <line x1=\"{px:.1}\" y1=\"{y0}\" x2=\"{px:.1}\" y2=\"{:.1}\" stroke=\"#888\"/>\
                 <text x=\"{px:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                y0 + 5.0,
                y0 + 17.0,
                escape(&text)
            );
        }
        for (v, text) in self.y.ticks() {
            let (_, py) = self.at(self.x.lo, v);
            let _ = write!(
                s,
                "<line x1=\"{x0}\" y1=\"{py:.1}\" x2=\"{x1}\" y2=\"{py:.1}\" stroke=\"#eee\"/>\
                 <line x1=\"{:.1}\" y1=\"{py:.1}\" x2=\"{x0}\" y2=\"{py:.1}\" stroke=\"#888\"/>\
                 <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
                x0 - 5.0,
                x0 - 8.0,
                py + 4.0,
                escape(&text)
            );
        }
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" class=\"axis-title\">{}</text>",
            (x0 + x1) / 2.0,
            h - 10.0,
            escape(&self.x.title)
        );
        let _ = write!(
            s,
            "<text transform=\"translate(16 {:.1}) rotate(-90)\" text-anchor=\"middle\" class=\"axis-title\">{}</text>",
            (y0 + y1) / 2.0,
            escape(&self.y.title)
        );
        s.push_str(&self.body);
        s.push_str(&self.overlay);
        s.push_str("</svg>\n");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_markup_and_quotes() {
        assert_eq!(
            escape(r#"<a href="x">Tom's & co</a>"#),
            "&lt;a href=&quot;x&quot;&gt;Tom&#39;s &amp; co&lt;/a&gt;"
        );
    }

    #[test]
    fn linear_ticks_are_round_and_inside_the_domain() {
        let a = Axis::linear(0.0, 0.046, "");
        let ticks: Vec<String> = a.ticks().into_iter().map(|t| t.1).collect();
        assert_eq!(ticks, ["0.00", "0.01", "0.02", "0.03", "0.04"]);
        let a = Axis::linear(0.0, 1.0, "");
        assert_eq!(a.ticks().len(), 6);
        assert_eq!(nice_step(0.3), 0.5);
        assert_eq!(nice_step(1.0), 1.0);
    }

    #[test]
    fn log_axes_widen_to_powers_of_ten() {
        let a = Axis::log(1.0, 2345.0, "");
        assert_eq!((a.lo, a.hi), (1.0, 10000.0));
        let labels: Vec<String> = a.ticks().into_iter().map(|t| t.1).collect();
        assert_eq!(labels, ["1", "10", "100", "1k", "10k"]);
        assert!((a.fraction(100.0) - 0.5).abs() < 1e-12);
        // Below the domain clamps to its start.
        assert_eq!(a.fraction(0.0), 0.0);
    }

    #[test]
    fn chart_maps_the_domain_onto_the_plot_area() {
        let c = Chart::new(
            200.0,
            100.0,
            Axis::linear(0.0, 1.0, "x"),
            Axis::linear(0.0, 1.0, "y"),
        );
        assert_eq!(c.at(0.0, 0.0), (c.left, 100.0 - c.bottom));
        assert_eq!(c.at(1.0, 1.0), (200.0 - c.right, c.top));
        let svg = c.finish();
        assert!(
            svg.starts_with("<svg ") && svg.ends_with("</svg>\n"),
            "{svg}"
        );
        assert!(svg.contains(">0.2</text>"), "{svg}");
    }
}
