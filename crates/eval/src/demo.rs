//! The demo behind `chaintrail demo`: a simulated world with heists goes through the real import
//! path (ethereum-etl and bitcoin-etl exports), gets what an investigator knows on day one (the
//! world's TagPack), links derived from the chains alone, and every heist traced.

use std::path::Path;

use chaintrail_core::Date;
use chaintrail_labels::LabelStore;
use chaintrail_sim::SimConfig;
use chaintrail_store::Store;
use chaintrail_trace::{Policy, TraceReport, TraceRequest};
use serde::Serialize;

use crate::{EvalError, heist_seeds, import_world, world_prices};

/// One heist as the demo shows it.
#[derive(Debug, Serialize)]
pub struct HeistOutcome {
    pub name: String,
    pub victim: String,
    pub date: Date,
    /// What was seeded, as `<units> <asset>`.
    pub stolen: Vec<String>,
    pub stolen_usd: f64,
    pub report: TraceReport,
    /// The trace behind `report`, to trace it again under other policies.
    #[serde(skip)]
    pub request: TraceRequest,
}

/// The demo store and what tracing found.
pub struct Demo {
    pub store: Store,
    pub heists: Vec<HeistOutcome>,
}

/// Build the demo in `dir` (emptied first) and trace every heist with `policy`; `step` is told
/// what is being done, for a progress display.
pub fn build_demo(
    dir: &Path,
    world: &SimConfig,
    policy: Policy,
    step: &dyn Fn(&str),
) -> Result<Demo, EvalError> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(|source| EvalError::Io {
            path: dir.to_path_buf(),
            action: "clear for a fresh demo",
            source,
        })?;
    }
    let store = Store::init(dir)?;
    let side = dir.join("sim");
    step("simulating the world");
    let summary = chaintrail_sim::write_dir(world, &side)?;
    step("importing its ethereum-etl and bitcoin-etl exports");
    import_world(&store, &side)?;
    step("loading labels");
    let mut labels = LabelStore::open(store.dir())?;
    let imported = labels.import_tagpacks(&side.join("tagpacks"))?;
    labels.save()?;
    tracing::info!(labels = imported.imported, "labels loaded");
    // Bridge joins, pending inbounds and exchange deposit addresses, derived from the chains
    // alone (the simulator's ground truth is for scoring only).
    step("deriving links from the chains");
    let links = chaintrail_links::refresh(&store)?.set;
    step("clustering addresses");
    chaintrail_cluster::refresh(&store, None, chaintrail_cluster::Mode::Incremental)?;
    let clusters = chaintrail_cluster::Clusters::open(&store)?;
    let labels = LabelStore::open(store.dir())?;
    let attribution = chaintrail_trace::WithClusters {
        labels: &labels,
        clusters: &clusters,
    };
    step("tracing the heists");
    let readers = store.readers()?;
    // The simulator's tokens are not in the registry: their pegs are kept with the store, so
    // that `chaintrail trace`, `screen` and `serve` price them too.
    let prices = world_prices(&summary.truth);
    let pegs = dir.join(chaintrail_trace::PEGS_FILE);
    prices.save_pegs(&pegs).map_err(|source| EvalError::Io {
        path: pegs.clone(),
        action: "write",
        source,
    })?;
    let mut heists = Vec::new();
    for heist in &summary.truth.heists {
        let request = TraceRequest {
            seeds: heist_seeds(heist),
            policy,
            ..TraceRequest::default()
        };
        let report =
            chaintrail_trace::trace_with(&readers, &attribution, &prices, &[&links], &request)?;
        heists.push(HeistOutcome {
            name: heist.name.clone(),
            victim: heist.victim.clone(),
            date: heist.date,
            stolen: report
                .seeded
                .iter()
                .map(|v| format!("{} {}", v.units, v.asset))
                .collect(),
            stolen_usd: report.seeded.iter().filter_map(|v| v.usd).sum(),
            report,
            request,
        });
    }
    Ok(Demo { store, heists })
}
