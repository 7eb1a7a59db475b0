//! The value-recall rule: how much of each heist the tracer sends to the right places.
//!
//! Scoring, in USD at the heist's day (so that assets can be added up):
//! - an endpoint is keyed by the entity for value at a service, mixer or bridge, and by the
//!   address for value still held by the thieves;
//! - *correct* value at a key is the smaller of traced and true value there;
//! - **recall** = Σ correct / Σ true (how much of the stolen value was found where it is);
//! - **precision** = Σ correct / Σ traced (how much of what the tracer attributed is right).
//!
//! Fees and burnt gas are left out of both sides: they are reported by the tracer and by the
//! ground truth separately. Value the tracer cut (hop limit, dust, budget) or saw enter a mixer or
//! bridge it could not see through counts as traced nowhere final, so it lowers recall and not
//! precision. A pending bridge inbound is final: the value is at the bridge, as the ground truth
//! says (`in_bridge`).

use std::collections::HashMap;

use chaintrail_core::{Amount, Asset, AssetKind, Chain};
use chaintrail_sim::{Category, GroundTruth, HeistTruth};
use chaintrail_trace::{EndpointKind, Policy, Prices, TraceReport};
use serde::Serialize;

/// One heist traced under one policy with one setting, scored.
#[derive(Debug, Clone, Serialize)]
pub struct Score {
    pub heist: String,
    pub policy: Policy,
    /// What the tracer had beyond the day-one labels.
    pub setting: &'static str,
    /// Stolen value that ended at an endpoint (fees excluded), USD.
    pub true_usd: f64,
    /// Value the tracer attributed to final endpoints (fees, cut value and value that entered a
    /// mixer or bridge excluded), USD.
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

type Key = (&'static str, Chain, String, String);

fn usd(prices: &Prices, asset: &Asset, amount: Amount, time: u64) -> f64 {
    prices
        .usd(asset, amount.to_f64_units(asset.decimals), time)
        .unwrap_or(0.0)
}

/// The asset of a ground-truth endpoint, with its decimals from the world's asset list.
fn truth_asset(truth: &GroundTruth, chain: Chain, kind: &AssetKind, symbol: &str) -> Asset {
    let decimals = truth
        .assets
        .iter()
        .find(|a| a.chain == chain && a.kind == *kind)
        .map_or(18, |a| a.decimals);
    Asset {
        chain,
        kind: kind.clone(),
        symbol: symbol.to_string(),
        decimals,
    }
}

/// Does the heist avoid mixers (its stolen value never entered one)?
pub fn avoids_mixers(heist: &HeistTruth) -> bool {
    !heist
        .endpoints
        .iter()
        .any(|e| e.status == "in_mixer" || e.category == Category::Mixer)
        && !heist.fees.iter().any(|f| f.kind == "mixer")
}

/// Score one trace report against its heist's ground truth.
pub fn score(
    report: &TraceReport,
    world: &GroundTruth,
    heist: &HeistTruth,
    prices: &Prices,
    setting: &'static str,
) -> Score {
    let time = heist.timestamp;
    let mut truth: HashMap<Key, f64> = HashMap::new();
    for e in &heist.endpoints {
        let key: Key = match e.status {
            "unspent" | "frozen" => ("address", e.chain, e.address.clone(), e.symbol.to_string()),
            _ => ("entity", e.chain, e.entity.clone(), e.symbol.to_string()),
        };
        let asset = truth_asset(world, e.chain, &e.asset, e.symbol);
        *truth.entry(key).or_default() += usd(prices, &asset, e.amount, time);
    }
    let mut traced: HashMap<Key, f64> = HashMap::new();
    let (mut entered, mut cut) = (0.0, 0.0);
    for e in &report.endpoints {
        let amount: Amount = e.value.amount.parse().unwrap_or_default();
        let asset = Asset {
            chain: e.value.chain,
            kind: e
                .value
                .contract
                .clone()
                .map_or(AssetKind::Native, AssetKind::Token),
            symbol: e.value.asset.clone(),
            decimals: e.value.decimals,
        };
        let value = usd(prices, &asset, amount, time);
        let key: Key = match (e.kind, &e.entity, &e.address) {
            (
                EndpointKind::Service | EndpointKind::Entered | EndpointKind::BridgePending,
                Some(entity),
                _,
            ) => ("entity", e.chain, entity.clone(), e.value.asset.clone()),
            (EndpointKind::Unspent, _, Some(address)) => {
                ("address", e.chain, address.clone(), e.value.asset.clone())
            }
            (
                EndpointKind::HopLimit
                | EndpointKind::Dust
                | EndpointKind::Unexplored
                | EndpointKind::TooLarge,
                _,
                _,
            ) => {
                cut += value;
                continue;
            }
            _ => continue,
        };
        if e.kind == EndpointKind::Entered {
            // "Entered mixer M" is true but not an endpoint: like cut value it is traced nowhere
            // final, so it lowers recall and not precision.
            entered += value;
            continue;
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
        setting,
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
