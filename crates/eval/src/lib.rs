//! Measures chaintrail against ground truth: how much of each simulated heist the tracer sends
//! to the right places, and how good the links and attributions it derives from chain data are.
//!
//! This crate owns the scoring rules ([`score`], [`derived`]) and the evaluation run behind
//! `chaintrail eval`: simulate a world, export it as ethereum-etl and bitcoin-etl files, import
//! those through the real importers, load the day-one TagPack, derive links and attributions
//! from the chains (`chaintrail-links`), trace every heist under every policy, and compare with
//! where the simulator says every stolen unit ended. The ground truth is read for scoring only:
//! nothing it holds reaches the tracer. [`screening`] measures the screening rules the same way:
//! how many innocent users a rule table rates High or Severe, and how many laundering addresses
//! it still catches (`chaintrail eval screening`). The same path, traced once per heist, is the demo
//! ([`demo::build_demo`]). [`clustering`] scores an address partition and a CoinJoin detector
//! against the simulator's wallet truth. For the synthetic worlds of `chaintrail bench store`, [`hubs`] labels
//! the popular addresses as services and illicit actors.

pub mod batches;
pub mod clustering;
pub mod demo;
pub mod derived;
pub mod entities;
pub mod hubs;
pub mod identified;
pub mod score;
pub mod screened;
pub mod screening;

use std::path::{Path, PathBuf};

use chaintrail_core::{BitcoinNetwork, Peg};
use chaintrail_ingest::{ImportOptions, Importer};
use chaintrail_labels::LabelStore;
use chaintrail_links::LinkSet;
use chaintrail_sim::{GroundTruth, HeistTruth, SimConfig};
use chaintrail_store::{ChainReader, Store};
use chaintrail_trace::{Policy, Prices, Seed, SeedSpec, TraceRequest};
use serde::Serialize;

pub use derived::Detection;
pub use score::{Score, avoids_mixers, score};
pub use screened::{IndexedDirect, build_screened_store, indexed_direct_exposures};

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error(transparent)]
    Sim(#[from] chaintrail_sim::SimError),
    #[error(transparent)]
    Store(#[from] chaintrail_store::StoreError),
    #[error(transparent)]
    Import(#[from] chaintrail_ingest::ImportError),
    #[error(transparent)]
    Labels(#[from] chaintrail_labels::LabelError),
    #[error(transparent)]
    Links(#[from] chaintrail_links::LinkError),
    #[error(transparent)]
    Cluster(#[from] chaintrail_cluster::ClusterError),
    #[error(transparent)]
    Trace(#[from] chaintrail_trace::TraceError),
    #[error(transparent)]
    Screen(#[from] chaintrail_screen::ScreenError),
    /// The world cannot be screened as the evaluation needs (its dates, a worker thread).
    #[error("screening evaluation: {0}")]
    Setup(String),
    /// A predicted address partition that cannot be scored as given.
    #[error("clustering partition: {0}")]
    Partition(String),
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        path: PathBuf,
        action: &'static str,
        source: std::io::Error,
    },
}

/// The tracer with the day-one labels only: it stops where a bridge or mixer starts.
pub const DAY_ONE: &str = "day-one labels";
/// The day-one labels extended by the address clusters, no derived link: what clustering alone
/// adds to the investigator's labels.
pub const DAY_ONE_CLUSTERED: &str = "day-one labels + clusters";
/// Plus everything derived from the chains but demixing: bridge joins, pending inbounds,
/// deposit addresses, service wallets, bridge vaults.
pub const NO_DEMIXING: &str = "derived, without demixing";
/// Plus demixing (mixer deposit → withdrawal links with their confidence).
pub const DERIVED: &str = "derived from chain data";
/// Plus address clusters: an address in a labelled service's cluster is that service's.
pub const CLUSTERED: &str = "derived + clusters";

/// The evaluation of a whole world.
#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    pub seed: u64,
    pub scale: u64,
    pub transfers: u64,
    pub scores: Vec<Score>,
    /// Heists whose stolen value never entered a mixer.
    pub mixer_free: Vec<String>,
    pub links: Vec<Detection>,
    pub attributions: Vec<Detection>,
    /// How each custodial mixer was found to pay back: fee band and window, estimated or not.
    pub custodial_mixers: Vec<chaintrail_links::custodial::Calibration>,
    /// The world's address clusters against the wallet truth.
    pub clustering: entities::EntityScores,
    /// The truth's service addresses named as their service, per attribution setting.
    pub identification: Vec<identified::Identified>,
}

/// The simulator's world is priced like the real market on its days: its USDC is a dollar, its
/// WETH and its staking token (which trades at par with ETH in the world's pool) are ether,
/// BTC.b is bitcoin. The registry does not list the simulator's contracts, so their pegs are
/// registered here — price data, not attribution.
pub fn world_prices(truth: &GroundTruth) -> Prices {
    let mut prices = Prices::bundled();
    for asset in &truth.assets {
        let peg = match asset.symbol.as_str() {
            "USDC" => Peg::Usd,
            "STK" | "WETH" => Peg::Eth,
            "BTC.b" => Peg::Btc,
            _ => continue,
        };
        if let Some(contract) = asset.contract() {
            prices.peg(asset.chain, contract.clone(), peg);
        }
    }
    prices
}

/// Seeds of a heist: its exploit transactions (what the victim announces on day one).
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

/// Import a simulated world's exports into `store` the way a user imports real exports.
pub fn import_world(store: &Store, side: &Path) -> Result<(), EvalError> {
    let options = ImportOptions::default();
    chaintrail_evm::EthereumEtl.import(store, &side.join("ethereum"), &options)?;
    chaintrail_bitcoin::BitcoinEtl {
        network: BitcoinNetwork::Regtest,
    }
    .import(store, &side.join("bitcoin"), &options)?;
    Ok(())
}

/// Simulate a world into `work_dir`, import it, derive links, and score every heist under every
/// policy with and without what was derived.
pub fn evaluate(
    seed: u64,
    scale: u64,
    work_dir: &Path,
) -> Result<(Evaluation, GroundTruth), EvalError> {
    let store = Store::init(work_dir)?;
    let side = work_dir.join("sim");
    let summary = chaintrail_sim::write_dir(&SimConfig::new(seed, scale), &side)?;
    let truth = summary.truth;
    import_world(&store, &side)?;
    let mut labels = LabelStore::open(store.dir())?;
    labels.import_tagpacks(&side.join("tagpacks"))?;
    labels.save()?;
    let day_one = LabelStore::open(store.dir())?;
    let built = chaintrail_links::refresh(&store)?;
    let derived_labels = LabelStore::open(store.dir())?;
    let clustering = entities::score_clusters(&store, &truth)?;
    let clusters = chaintrail_cluster::Clusters::open(&store)?;
    let clustered = chaintrail_trace::WithClusters {
        labels: &derived_labels,
        clusters: &clusters,
    };
    let day_one_clustered = chaintrail_trace::WithClusters {
        labels: &day_one,
        clusters: &clusters,
    };
    let readers = store.readers()?;
    let transfers = readers.values().map(ChainReader::transfer_count).sum();
    let prices = world_prices(&truth);
    let no_links = LinkSet::default();
    let without_demixing = LinkSet::new(
        built
            .set
            .links()
            .iter()
            .filter(|l| l.kind != "mixer")
            .cloned()
            .collect(),
        built
            .set
            .pending_inbounds()
            .iter()
            .filter(|p| p.kind != "mixer")
            .cloned()
            .collect(),
    );
    let settings: [(&'static str, &dyn chaintrail_trace::Attribution, &LinkSet); 5] = [
        (DAY_ONE, &day_one, &no_links),
        (DAY_ONE_CLUSTERED, &day_one_clustered, &no_links),
        (NO_DEMIXING, &derived_labels, &without_demixing),
        (DERIVED, &derived_labels, &built.set),
        (CLUSTERED, &clustered, &built.set),
    ];
    let identification = identified::score_identification(
        &truth,
        &[
            (DAY_ONE, &day_one),
            (DAY_ONE_CLUSTERED, &day_one_clustered),
            (DERIVED, &derived_labels),
            (CLUSTERED, &clustered),
        ],
    );
    let mut scores = Vec::new();
    for (setting, labels, links) in settings {
        for heist in &truth.heists {
            for policy in Policy::ALL {
                let request = TraceRequest {
                    seeds: heist_seeds(heist),
                    policy,
                    ..TraceRequest::default()
                };
                let report =
                    chaintrail_trace::trace_with(&readers, labels, &prices, &[links], &request)?;
                scores.push(score(&report, &truth, heist, &prices, setting));
            }
        }
    }
    let mut candidates = Vec::new();
    let services = chaintrail_links::LabelServices::new(&day_one);
    for (chain, reader) in &readers {
        if reader.model() == chaintrail_core::ChainModel::Account {
            let events = chaintrail_evm::events::read_mixer_events(&store, *chain)
                .map_err(chaintrail_links::LinkError::from)?;
            let logs = chaintrail_evm::events::read_kept_logs(&store, *chain)
                .map_err(chaintrail_links::LinkError::from)?;
            let claims = chaintrail_links::tornado::mining::claims(&logs);
            candidates.extend(chaintrail_links::tornado::candidates(
                reader, &events, &claims, &services,
            ));
        }
    }
    let mut custodial = chaintrail_links::custodial::Demixed::default();
    if let Some(reader) = readers.get(&truth.btc_chain) {
        let mixers =
            chaintrail_links::custodial::mixers_on(&services, truth.btc_chain, &built.attributions);
        let settings = chaintrail_links::custodial::Settings::default();
        custodial = chaintrail_links::custodial::decode(reader, &mixers, &settings);
    }
    let mut links = derived::score_links(&truth, &built.set);
    links.extend(derived::score_demixing(&truth, &built.set, &candidates));
    links.extend(derived::score_custodial(
        &truth,
        &built.set,
        &custodial.candidates,
    ));
    let evaluation = Evaluation {
        seed,
        scale,
        transfers,
        scores,
        mixer_free: truth
            .heists
            .iter()
            .filter(|h| avoids_mixers(h))
            .map(|h| h.name.clone())
            .collect(),
        links,
        attributions: derived::score_attributions(&truth, &built.attributions),
        custodial_mixers: custodial.calibrations,
        clustering,
        identification,
    };
    Ok((evaluation, truth))
}

/// How a custodial mixer was found to pay back, in one sentence.
pub fn calibration_line(c: &chaintrail_links::custodial::Calibration) -> String {
    format!(
        "Custodial mixer {}: {} deposits, {} payouts; fee band {:.2}–{:.2} % and window {:.2} h \
         ({}; paybacks stand out from chance by {:.1} standard deviations).",
        c.mixer,
        c.deposits,
        c.payouts,
        100.0 * c.fee.0,
        100.0 * c.fee.1,
        c.window as f64 / 3_600.0,
        c.provenance(),
        c.significance
    )
}

fn percent(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

/// docs/accuracy.md: the scores as tables with how they were made.
pub fn accuracy_markdown(evaluation: &Evaluation, command: &str) -> String {
    let mut out = String::new();
    out.push_str("# Tracing accuracy against the simulator's ground truth\n\n");
    out.push_str(&format!(
        "Generated by `{command}` (seed {}, scale {}, {} account transfers in the world). The \
         world is written as ethereum-etl and bitcoin-etl exports and imported through the real \
         importers; the tracer gets the simulator's day-one TagPack (exchange hot wallets, OTC \
         desks, public contracts of the DEX, the mixer and the bridges, miners, the victims and \
         the exploiters) and what `chaintrail links build` derives from the chains. The ground \
         truth is read only to score.\n\n",
        evaluation.seed, evaluation.scale, evaluation.transfers
    ));
    out.push_str(
        "## Derived links and attributions\n\n\
         Precision = share of what chaintrail derived that the ground truth confirms; recall = \
         share of the ground truth it derived. *Right target*: of the correct ones, how many name \
         the right recipient (links) or the right entity (attributions).\n\n\
         | decoder / detector | derived | true | correct | precision | recall | right target |\n\
         |---|---:|---:|---:|---:|---:|---:|\n",
    );
    for d in evaluation.links.iter().chain(&evaluation.attributions) {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            d.name,
            d.derived,
            d.truth,
            d.correct,
            percent(d.precision),
            percent(d.recall),
            d.right_target
        ));
    }
    for c in &evaluation.custodial_mixers {
        out.push_str(&format!("\n{}\n", calibration_line(c)));
    }
    out.push_str(&format!(
        "\n## Value traced to the right place\n\n\
         Recall = share of the stolen value (USD at the heist's day, fees excluded) that the \
         tracer attributed to the right endpoint; precision = share of the value the tracer \
         attributed that is right. Endpoints are matched by entity for services, mixers and \
         bridges (a pending bridge inbound is at the bridge) and by address for value still \
         held; see `crates/eval/src/score.rs` for the exact rule. Heists that avoid mixers: {}.\n\n",
        if evaluation.mixer_free.is_empty() {
            "none".to_string()
        } else {
            evaluation.mixer_free.join(", ")
        }
    ));
    out.push_str("| setting | heist | policy | recall | precision | true $ | traced $ | entered mixer/bridge $ | cut $ | trace ms |\n");
    out.push_str("|---|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for s in &evaluation.scores {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {:.0} | {:.0} | {:.0} | {:.0} | {} |\n",
            s.setting,
            s.heist,
            s.policy,
            percent(s.recall),
            percent(s.precision),
            s.true_usd,
            s.traced_usd,
            s.entered_converters_usd,
            s.cut_usd,
            s.trace_ms
        ));
    }
    out.push_str(
        "\n## How to read it\n\n\
         * **day-one labels** — the tracer alone with what an investigator knows on the day of \
         the theft. It follows every heist up to the first bridge or mixer and reports what \
         entered them (*entered*); exchange deposit addresses are unknown, so value swept into \
         a labelled hot wallet is found there, one hop late.\n\
         * **day-one labels + clusters** — the same, with the store's address clusters: an \
         address in the cluster of a labelled service is that service's (Bitcoin co-spends with a \
         labelled wallet; on account chains the deposit addresses that sweep to a labelled hot \
         wallet). What clustering alone adds to the investigator's labels, without any link.\n\
         * **derived, without demixing** — plus the bridge joins decoded from THORChain memos and \
         Avalanche-Bridge-style mints, the inbounds still pending, the deposit addresses found by \
         their sweeps and the exchanges' co-spent wallet addresses. No mixer is crossed, so value \
         that entered a mixer is reported as such.\n\
         * **derived from chain data** — plus demixing: Tornado-style deposit → withdrawal links \
         (address match, unique fee settings, linked addresses and relayer behaviour, each worth \
         its precision measured against chance on the store; multi-denomination; timing with the \
         minimum anonymity set, as corroboration only; bulk movers: commonly funded campaigns' \
         notes shared among fresh bulk recipients' withdrawals, confidence 0.6) and custodial \
         Bitcoin mixer deposit → payout links (amount less a fee band within a delay window, both \
         estimated from the chain; several payouts, and payouts later spent together, as one \
         payback; a deposit with none stays in the mixer as a pending record), crossed at \
         confidence 0.5 or more (`--min-confidence`). See docs/links.md.\n\
         * **derived + clusters** — plus the store's address clusters (built-in settings, \
         docs/clustering.md): an address in the cluster of a labelled service is that service's \
         endpoint, so value reaching an exchange's unlabelled wallet or deposit address ends \
         there.\n\n\
         The thieves' wallets also receive clean value (gas top-ups, unsolicited dust, merges \
         with clean funds), so the policies assign units differently. The ground truth keeps \
         stolen and clean units with the thieves' own accounting rule, FIFO (`merge_rule`), so \
         FIFO has a home advantage: it is the one policy that can match the truth exactly.\n",
    );
    out.push('\n');
    out.push_str(clustering::METHOD_MARKDOWN);
    out.push_str(&format!(
        "\nMeasured on this world: the store clustered as `chaintrail cluster build` does, once \
         per setting ({}).\n\n",
        entities::settings()
            .iter()
            .map(|(name, _)| *name)
            .collect::<Vec<_>>()
            .join("; ")
    ));
    out.push_str(&clustering::clustering_markdown(
        &evaluation.clustering.rows,
        &evaluation.clustering.change_guesses,
        &evaluation.clustering.coinjoins,
    ));
    out.push_str(
        "\n### Service addresses named (entity-level recall)\n\n\
         Of the addresses the wallet truth gives to a service (exchange, mixer, bridge, DEX, OTC \
         desk, miner), how many each attribution names as that very service: what a trace stops \
         at and what screening counts as exposure to it (`chaintrail_eval::identified`). The \
         day-one TagPack labels a service's hot wallets only; the links derive deposit \
         addresses from sweeps and co-spends; the clusters add every address in a labelled \
         service's cluster.\n\n",
    );
    out.push_str(&identified::identification_markdown(
        &evaluation.identification,
    ));
    out
}
