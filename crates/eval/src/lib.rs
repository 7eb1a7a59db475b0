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
//! ground truth separately. Value the tracer cut (hop limit, dust, budget) or saw enter a mixer or
//! bridge it could not see through counts as traced nowhere final, so it lowers recall and not
//! precision.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use chaintrail_core::{Amount, Chain};
use chaintrail_labels::LabelStore;
use chaintrail_sim::{GroundTruth, HeistTruth, SimConfig};
use chaintrail_store::{ChainReader, Store};
use chaintrail_trace::{
    Converter, EndpointKind, Link, LinkConverter, Policy, Prices, Seed, SeedSpec, TraceReport,
    TraceRequest,
};
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
    /// Which known links the tracer had: `none`, `bridge memos`, `bridge memos + mixer links`.
    pub links: &'static str,
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
/// at par with ETH in the world's pool, BTC.b at par with BTC.
pub fn world_prices() -> Prices {
    let mut prices = Prices::bundled();
    prices.alias("STK", "ETH");
    // Price lookups upper-case the symbol.
    prices.alias("BTC.B", "BTC");
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
pub fn score(
    report: &TraceReport,
    heist: &HeistTruth,
    prices: &Prices,
    links: &'static str,
) -> Score {
    let time = heist.timestamp;
    let decimals = |symbol: &str| match symbol {
        "USDC" => 6,
        "BTC" | "BTC.b" => 8,
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
        links,
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

pub const LINKS_NONE: &str = "none";
pub const LINKS_BRIDGES: &str = "bridge memos";
pub const LINKS_ALL: &str = "bridge memos + mixer links";

/// The bridges' exact joins, taken from the ground truth (an oracle): every THORChain payout
/// carries `OUT:<inbound hash>` (or `REFUND:`), every BTC.b mint its deposit's txid and vout, so
/// these links are what a decoder can read off the chains (confidence 1). Pending inbounds have
/// no payout and give no link.
pub fn bridge_links(truth: &GroundTruth) -> Vec<Link> {
    truth
        .bridge_links
        .iter()
        .filter_map(|b| {
            let to_tx = b.out_tx?;
            let evidence = match &b.out_memo {
                Some(memo) => format!("memo {memo}"),
                None => format!("mint of {}:{}", b.in_tx.to_hex(), b.in_index),
            };
            Some(Link {
                kind: "bridge".to_string(),
                via: b.bridge.clone(),
                from_chain: b.in_chain,
                from_tx: b.in_tx,
                to_chain: b.out_chain,
                to_tx,
                to_address: Some(b.out_address.clone()),
                confidence: 1.0,
                evidence,
            })
        })
        .collect()
}

/// The mixers' true deposit ↔ withdrawal and deposit ↔ payout links. No heuristic recovers
/// all of them; tracing with them measures everything else (an upper bound for demixing).
pub fn mixer_links(truth: &GroundTruth) -> Vec<Link> {
    let tornado = truth.mixer_links.iter().map(|m| Link {
        kind: "mixer".to_string(),
        via: m.pool.clone(),
        from_chain: truth.evm_chain,
        from_tx: m.deposit_tx,
        to_chain: truth.evm_chain,
        to_tx: m.withdrawal_tx,
        to_address: Some(m.recipient.clone()),
        confidence: 1.0,
        evidence: "ground truth".to_string(),
    });
    let custodial = truth.btc_mixer_links.iter().flat_map(|m| {
        m.payout_txs
            .iter()
            .zip(&m.payout_addresses)
            .map(|(tx, address)| Link {
                kind: "mixer".to_string(),
                via: m.mixer.clone(),
                from_chain: truth.btc_chain,
                from_tx: m.deposit_tx,
                to_chain: truth.btc_chain,
                to_tx: *tx,
                to_address: Some(address.clone()),
                confidence: 1.0,
                evidence: "ground truth".to_string(),
            })
    });
    tornado.chain(custodial).collect()
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
    let bridges = LinkConverter::new(bridge_links(&summary.truth));
    let all = LinkConverter::new(
        bridge_links(&summary.truth)
            .into_iter()
            .chain(mixer_links(&summary.truth)),
    );
    let settings: [(&'static str, Vec<&dyn Converter>); 3] = [
        (LINKS_NONE, vec![]),
        (LINKS_BRIDGES, vec![&bridges]),
        (LINKS_ALL, vec![&all]),
    ];
    let mut scores = Vec::new();
    for (links, converters) in &settings {
        for heist in &summary.truth.heists {
            for policy in Policy::ALL {
                let request = TraceRequest {
                    seeds: heist_seeds(heist),
                    policy,
                    ..TraceRequest::default()
                };
                let report =
                    chaintrail_trace::trace_with(&readers, &labels, &prices, converters, &request)?;
                scores.push(score(&report, heist, &prices, links));
            }
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
    out.push_str(
        "## How to read it\n\n\
         * **none** — the tracer alone, with the labels of the simulated world (TagPack). It follows \
         every heist up to the mixer (Vortex Cash, a Tornado-style pool) and the bridge \
         (Thornet, THORChain-style) and reports what entered them (the *entered* column; before \
         the world had merges of clean funds this equalled the ground truth's deposits to the \
         wei). Without a converter it cannot say where the value went next, so recall is the \
         share that reached services or stayed put before those boundaries; precision is over what it did attribute to final endpoints.\n\
         * **bridge memos** — plus the bridge's exact joins (each payout carries \
         `OUT:<inbound hash>`; the simulator exports them, chaintrail does not yet decode memos \
         from chain data). Bybit, laundered through the bridge and peel chains, is then traced \
         completely.\n\
         * **bridge memos + mixer links** — plus the mixers' true deposit ↔ withdrawal links \
         (Tornado-style pool and the custodial Bitcoin mixer). No demixing heuristic recovers all \
         of them, so this is an upper bound: it measures everything else — swaps, fan-outs, \
         bridges, peel chains, exchange deposits — and that part is exact.\n\n\
         The thieves' wallets also receive clean value — gas top-ups, unsolicited dust, and \
         merges with clean funds (an OTC payment, exchange withdrawals, clean Bitcoin UTXOs spent \
         together with stolen ones) — so the policies assign units differently and score \
         differently. The ground truth keeps stolen and clean units with the thieves' own \
         accounting rule, FIFO (`merge_rule` in the ground truth), so FIFO has a home advantage \
         here: it is the one policy that can match the truth exactly. Poison over-attributes \
         (precision below 100%); haircut, LIFO and TIHO misplace the part of the merges they \
         allocate differently. The merges are a small share of heists worth hundreds of millions, \
         so the differences are small.\n\n",
    );
    out.push_str("| known links | heist | policy | recall | precision | true $ | traced $ | entered mixer/bridge $ | cut $ | trace ms |\n");
    out.push_str("|---|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for s in &evaluation.scores {
        out.push_str(&format!(
            "| {} | {} | {} | {:.1}% | {:.1}% | {:.0} | {:.0} | {:.0} | {:.0} | {} |\n",
            s.links,
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
