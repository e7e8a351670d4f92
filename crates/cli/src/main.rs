//! `tastebud`: train, evaluate, import and inspect recommender models from the command line.

mod args;
mod categories;
mod commands;
mod demo;
mod npy;
mod output;
mod placements;
mod report;
mod spark;

use std::io::{self, Write};

use std::process::ExitCode;
use tastebud_cli::{feeds, ga4, input};

use clap::{Parser, Subcommand};

/// Train, evaluate, import and inspect Tastebud recommender models.
#[derive(Debug, Parser)]
#[command(name = "tastebud", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Train(commands::train::TrainArgs),
    Evaluate(commands::evaluate::EvaluateArgs),
    Tune(commands::tune::TuneArgs),
    Recommend(commands::recommend::RecommendArgs),
    Import(commands::import::ImportArgs),
    FoldIn(commands::fold_in::FoldInArgs),
    Inspect(commands::inspect::InspectArgs),
    Latency(commands::latency::LatencyArgs),
    DemoData(commands::demo_data::DemoDataArgs),
    Catalog(commands::catalog::CatalogArgs),
    Publish(commands::publish::PublishArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Train(a) => commands::train::run(a),
        Command::Evaluate(a) => commands::evaluate::run(a),
        Command::Tune(a) => commands::tune::run(a),
        Command::Recommend(a) => commands::recommend::run(a),
        Command::Import(a) => commands::import::run(a),
        Command::FoldIn(a) => commands::fold_in::run(a),
        Command::Inspect(a) => commands::inspect::run(a),
        Command::Latency(a) => commands::latency::run(a),
        Command::DemoData(a) => commands::demo_data::run(a),
        Command::Catalog(a) => commands::catalog::run(a),
        Command::Publish(a) => commands::publish::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // Output piped into `head` and the like: stop quietly, as other Unix tools do.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            // If stderr is gone too there is nobody left to tell.
            let message = format!("tastebud: {e:#}");
            let _ = writeln!(io::stderr(), "{}", output::escape_controls(&message));
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}
