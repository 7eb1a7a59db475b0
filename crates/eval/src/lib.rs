//! Measures chaintrail against ground truth: how much of each simulated heist the tracer sends
//! to the right places.
//!
//! This crate owns the scoring rule and the evaluation run behind `chaintrail eval trace`:
//! simulate a world, load its labels, trace every heist under every policy, and compare the
//! traced endpoints with where the simulator says every stolen unit ended.
//!
//! Scoring, in USD at the heist's day (so that assets can be added up):
//! - an endpoint is keyed by the entity for value at a service, mixer or bridge, and by the
//!   address for value still held by the thieves;
//! - *correct* value at a key is the smaller of traced and true value there;
//! - **recall** = Σ correct / Σ true (how much of the stolen value was found where it is);
//! - **precision** = Σ correct / Σ traced (how much of what the tracer attributed is right).
//!
//! Fees and burnt gas are left out of both sides: they are reported by the tracer and by the
//! ground truth separately. Value the tracer cut (hop limit, dust, budget) counts as traced
//! nowhere, so it lowers recall and not precision.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use chaintrail_core::{Amount, Chain};
use chaintrail_labels::LabelStore;
use chaintrail_sim::{GroundTruth, HeistTruth, SimConfig};
use chaintrail_store::{ChainReader, Store};
use chaintrail_trace::{EndpointKind, Policy, Prices, Seed, SeedSpec, TraceReport, TraceRequest};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error(transparent)]
    Sim(#[from] chaintrail_sim::SimError),
    #[error(transparent)]
    Store(#[from] chaintrail_store::StoreError),
    #[error(transparent)]
    Labels(#[from] chaintrail_labels::LabelError),
    #[error(transparent)]
    Trace(#[from] chaintrail_trace::TraceError),
}

/// One heist traced under one policy, scored.
#[derive(Debug, Clone, Serialize)]
pub struct Score {
    pub heist: String,
    pub policy: Policy,
    /// Stolen value that ended at an endpoint (fees excluded), USD.
    pub true_usd: f64,
    /// Value the tracer attributed to endpoints (fees and cut value excluded), USD.
    pub traced_usd: f64,
    pub correct_usd: f64,
    pub recall: f64,
    pub precision: f64,
    /// Traced value reported as having entered a mixer or bridge, USD.
    pub entered_converters_usd: f64,
    /// Traced value cut by the hop limit, dust threshold or budget, USD.
    pub cut_usd: f64,
    pub trace_ms: u64,
}

/// The evaluation of a whole world.
#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    pub seed: u64,
    pub scale: u64,
    pub transfers: u64,
    pub scores: Vec<Score>,
}

type Key = (&'static str, Chain, String, String);

fn usd(prices: &Prices, symbol: &str, decimals: u8, amount: Amount, time: u64) -> f64 {
    prices
        .usd(symbol, amount.to_f64_units(decimals), time)
        .unwrap_or(0.0)
}

/// The simulator's world is priced like the real market on its days; its staking token trades
/// at par with ETH in the world's pool.
pub fn world_prices() -> Prices {
    let mut prices = Prices::bundled();
    prices.alias("STK", "ETH");
    prices
}

/// Seeds of a heist: its exploit transactions.
pub fn heist_seeds(truth: &HeistTruth) -> Vec<Seed> {
    truth
        .exploit_txs
        .iter()
        .map(|tx| Seed {
            chain: truth.victim_address.chain,
            spec: SeedSpec::Tx(*tx),
            amount: None,
            asset: None,
        })
        .collect()
}

/// Score one trace report against its heist's ground truth.
pub fn score(report: &TraceReport, heist: &HeistTruth, prices: &Prices) -> Score {
    let time = heist.timestamp;
    let decimals = |symbol: &str| match symbol {
        "USDC" => 6,
        "BTC" => 8,
        _ => 18,
    };
    let mut truth: HashMap<Key, f64> = HashMap::new();
    for e in &heist.endpoints {
        let key: Key = match e.status {
            "unspent" | "frozen" => ("address", e.chain, e.address.clone(), e.symbol.to_string()),
            _ => ("entity", e.chain, e.entity.clone(), e.symbol.to_string()),
        };
        *truth.entry(key).or_default() += usd(prices, e.symbol, decimals(e.symbol), e.amount, time);
    }
    let mut traced: HashMap<Key, f64> = HashMap::new();
    let (mut entered, mut cut) = (0.0, 0.0);
    for e in &report.endpoints {
        let amount: Amount = e.value.amount.parse().unwrap_or_default();
        let value = usd(prices, &e.value.asset, e.value.decimals, amount, time);
        let key: Key = match (e.kind, &e.entity, &e.address) {
            (EndpointKind::Service | EndpointKind::Entered, Some(entity), _) => {
                ("entity", e.chain, entity.clone(), e.value.asset.clone())
            }
            (EndpointKind::Unspent, _, Some(address)) => {
                ("address", e.chain, address.clone(), e.value.asset.clone())
            }
            (EndpointKind::HopLimit | EndpointKind::Dust | EndpointKind::Unexplored, _, _) => {
                cut += value;
                continue;
            }
            _ => continue,
        };
        if e.kind == EndpointKind::Entered {
            entered += value;
        }
        *traced.entry(key).or_default() += value;
    }
    let true_usd: f64 = truth.values().sum();
    let traced_usd: f64 = traced.values().sum();
    let correct_usd: f64 = truth
        .iter()
        .map(|(key, t)| traced.get(key).map_or(0.0, |v| v.min(*t)))
        .sum();
    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
    Score {
        heist: heist.name.clone(),
        policy: report.policy,
        true_usd,
        traced_usd,
        correct_usd,
        recall: ratio(correct_usd, true_usd),
        precision: ratio(correct_usd, traced_usd),
        entered_converters_usd: entered,
        cut_usd: cut,
        trace_ms: report.stats.elapsed_ms,
    }
}

/// Simulate a world into `work_dir`, load its labels, and score every heist under every policy.
pub fn evaluate(
    seed: u64,
    scale: u64,
    work_dir: &Path,
) -> Result<(Evaluation, GroundTruth), EvalError> {
    let store = Store::init(work_dir)?;
    let side = work_dir.join("sim");
    let summary = chaintrail_sim::write_store(&SimConfig::new(seed, scale), &store, &side)?;
    let mut labels = LabelStore::open(store.dir())?;
    labels.import_tagpacks(&side.join("tagpacks"))?;
    let mut readers: BTreeMap<Chain, ChainReader> = BTreeMap::new();
    for chain in store.chains()? {
        readers.insert(chain, store.reader(chain)?);
    }
    let transfers = readers.values().map(ChainReader::transfer_count).sum();
    let prices = world_prices();
    let mut scores = Vec::new();
    for heist in &summary.truth.heists {
        for policy in Policy::ALL {
            let request = TraceRequest {
                seeds: heist_seeds(heist),
                policy,
                ..TraceRequest::default()
            };
            let report = chaintrail_trace::trace(&readers, &labels, &prices, &request)?;
            scores.push(score(&report, heist, &prices));
        }
    }
    Ok((
        Evaluation {
            seed,
            scale,
            transfers,
            scores,
        },
        summary.truth,
    ))
}

/// docs/accuracy.md: the scores as a table with how they were made.
pub fn accuracy_markdown(evaluation: &Evaluation, command: &str) -> String {
    let mut out = String::new();
    out.push_str("# Tracing accuracy against the simulator's ground truth\n\n");
    out.push_str(&format!(
        "Generated by `{command}` (seed {}, scale {}, {} account transfers in the world). \
         Recall = share of the stolen value (USD at the heist's day, fees excluded) that the \
         tracer attributed to the right endpoint; precision = share of the value the tracer \
         attributed that is right. Endpoints are matched by entity for services, mixers and \
         bridges and by address for value still held; see `crates/eval` for the exact rule.\n\n",
        evaluation.seed, evaluation.scale, evaluation.transfers
    ));
    out.push_str("| heist | policy | recall | precision | true $ | traced $ | entered mixer/bridge $ | cut $ | trace ms |\n");
    out.push_str("|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for s in &evaluation.scores {
        out.push_str(&format!(
            "| {} | {} | {:.1}% | {:.1}% | {:.0} | {:.0} | {:.0} | {:.0} | {} |\n",
            s.heist,
            s.policy,
            100.0 * s.recall,
            100.0 * s.precision,
            s.true_usd,
            s.traced_usd,
            s.entered_converters_usd,
            s.cut_usd,
            s.trace_ms
        ));
    }
    out
}
