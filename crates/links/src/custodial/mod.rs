//! Demixing custodial Bitcoin mixers (Blender-, Sinbad-, ChipMixer-style): a user pays a deposit
//! address of the mixer; later the mixer pays the user back from its own wallet, less its fee,
//! often in several parts and after a delay. Nothing on chain joins a payout to its deposit;
//! amounts and times do.
//!
//! - **The mixer's addresses** (given by the caller): its labelled addresses, the addresses
//!   co-spent with them (multi-input) and the deposit addresses swept into them — what
//!   `cospend-utxo` and `deposit-utxo` derive — and the outputs its consolidations pay
//!   (`flows.rs`).
//! - **Deposits and payouts** (`flows.rs`): what non-mixer transactions pay the mixer; the
//!   outputs to others of transactions spending its coins.
//! - **Fee band and window** (`estimate.rs`): from the excess of single payouts just below a
//!   deposit's amount *after* it over those *before* it (which chance alone explains), unless the
//!   caller fixes them.
//! - **Fits** (`bundles.rs`, `search.rs`, `fits.rs`): for each deposit, every combination of up
//!   to five units within the window after it whose sum is the deposit less a fee in the band,
//!   each unit needed; a unit is a payout, or payouts later spent together (common-input
//!   ownership: most likely parts of one payback);
//! - **Confidence and assignment** (`odds.rs`, `assign.rs`): the number of fits weighed against
//!   the chance fits counted in control windows around the deposit, and against other deposits
//!   that could claim the same payouts; greedy assignment by confidence. A deposit without an
//!   assignment above the floor gets no link: a trace stops there, in the mixer, with the
//!   deposit transaction.
//!
//! Each payout of an assigned payback becomes a link (decoder `custodial-mixer`, kind `mixer`)
//! from the deposit transaction to the payout transaction and address. A deposit left without
//! one is a pending record (kind `mixer`): value that stays in the mixer as far as the chain
//! shows, with its deposit transaction and why nothing was linked — a trace ends there, an
//! `entered` endpoint at the mixer that says so.

mod assign;
mod bundles;
mod estimate;
mod fits;
mod flows;
mod odds;
mod search;

pub(crate) use flows::FlowScan;

use std::collections::BTreeMap;

use chaintrail_core::{Address, Chain, TxHash};
use chaintrail_labels::Category;
use chaintrail_store::ChainReader;

use crate::Services;
use crate::model::{Attribution, Findings, Link, Pending};

/// The decoder's name in links and statistics.
pub const DECODER: &str = "custodial-mixer";

/// A custodial mixer: its name and every address known to be its own.
#[derive(Debug, Clone, PartialEq)]
pub struct Mixer {
    /// The name the labels give it.
    pub name: String,
    /// Its labelled addresses and those derived as its (co-spent wallet, deposit addresses).
    pub addresses: Vec<Address>,
}

/// How the matching is done. The defaults estimate the fee band and the window from the data.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// The longest delay from a deposit to a payout looked at, in seconds (also the bound of the
    /// estimated window).
    pub max_window: u64,
    /// A fixed window instead of the estimated one, in seconds.
    pub window: Option<u64>,
    /// A fixed fee band (shares of the deposit, low and high) instead of the estimated one.
    pub fee_band: Option<(f64, f64)>,
    /// Units a payback may have (a unit is a payout, or payouts later spent together).
    pub max_units: usize,
    /// Fits per deposit beyond which it is too ambiguous to link.
    pub max_fits: usize,
    /// Links below this confidence are not made.
    pub min_confidence: f64,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            max_window: 72 * 3_600,
            window: None,
            fee_band: None,
            max_units: 5,
            max_fits: 64,
            min_confidence: 0.2,
        }
    }
}

/// Combinations tried per deposit and window before the search gives up.
const MAX_STEPS: u64 = 20_000;

/// How one mixer was found to pay back.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Calibration {
    /// The mixer.
    pub mixer: String,
    /// Deposits and payouts found.
    pub deposits: usize,
    /// Payouts found.
    pub payouts: usize,
    /// The fee band used (shares of the deposit).
    pub fee: (f64, f64),
    /// The window used, in seconds.
    pub window: u64,
    /// Whether the band was estimated from the data (false: fixed, or nothing to estimate from).
    pub fee_from_data: bool,
    /// Whether the window was estimated from the data.
    pub window_from_data: bool,
    /// How far the paybacks stand out from chance in the data (standard deviations; below 5
    /// nothing is estimated).
    pub significance: f64,
    /// The estimated probability that a deposit's payback is in the store, per number of units
    /// (index 0: one unit).
    pub prior: Vec<f64>,
}

impl Calibration {
    /// Whether the band and the window were estimated from the chain, in words.
    pub fn provenance(&self) -> &'static str {
        match (self.fee_from_data, self.window_from_data) {
            (true, true) => "both estimated from the chain",
            (true, false) => "band estimated from the chain",
            (false, true) => "window estimated from the chain",
            (false, false) => "neither estimated from the chain",
        }
    }
}

/// One fitting payback of a deposit, before assignment (for scoring the fit alone).
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The deposit transaction.
    pub deposit: TxHash,
    /// The payouts: transaction and address.
    pub payouts: Vec<(TxHash, String)>,
    /// Units (payouts, or payouts later spent together).
    pub units: usize,
    /// The heuristic it stands for: one payout, several, payouts spent together.
    pub heuristic: &'static str,
    /// Fitting combinations of the deposit.
    pub fits: usize,
    /// Its confidence before any assignment.
    pub confidence: f64,
    /// Its confidence when assigned (it is linked if that is at least the floor).
    pub assigned: Option<f64>,
}

/// What the decoder found on one chain.
#[derive(Debug, Clone, Default)]
pub struct Demixed {
    /// The links (one per payout of an assigned payback), deposits found and deposits unmatched.
    pub findings: Findings,
    /// Per mixer: how it pays back.
    pub calibrations: Vec<Calibration>,
    /// Every fitting payback, assigned or not.
    pub candidates: Vec<Candidate>,
}

/// The custodial mixers on `chain`: labelled services with the mixer role, with the addresses
/// `attributions` derived for them on that chain.
pub fn mixers_on(
    services: &dyn Services,
    chain: Chain,
    attributions: &[Attribution],
) -> Vec<Mixer> {
    let mut by_name: BTreeMap<String, Vec<Address>> = BTreeMap::new();
    for (address, role, name) in services.addresses(chain) {
        if role == Category::Mixer {
            by_name.entry(name).or_default().push(address);
        }
    }
    for a in attributions {
        if a.chain != chain || a.role != Category::Mixer {
            continue;
        }
        let (Some(addresses), Ok(address)) =
            (by_name.get_mut(&a.name), Address::parse(chain, &a.address))
        else {
            continue;
        };
        addresses.push(address);
    }
    by_name
        .into_iter()
        .map(|(name, addresses)| Mixer { name, addresses })
        .collect()
}

fn btc(sats: u64) -> String {
    let text = format!("{}.{:08}", sats / 100_000_000, sats % 100_000_000);
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn hours(secs: u64) -> String {
    format!("{:.1} h", secs as f64 / 3_600.0)
}

/// The heuristic a fit of `units` units of `parts` payouts stands for.
fn heuristic(units: usize, parts: usize) -> &'static str {
    match (units, parts) {
        (1, 1) => "amount and time, one payout",
        (_, p) if p > units => "amount and time, payouts spent together",
        _ => "amount and time, several payouts",
    }
}

/// The first and last block times of the chain.
fn span(reader: &ChainReader) -> (u64, u64) {
    match reader.block_count() {
        0 => (0, 0),
        blocks => (
            reader.block_effective_time(0),
            reader.block_effective_time(blocks - 1),
        ),
    }
}

/// Demix the custodial `mixers` on the UTXO chain of `reader`.
pub fn decode(reader: &ChainReader, mixers: &[Mixer], settings: &Settings) -> Demixed {
    demix_flows(
        reader,
        mixers,
        FlowScan::new(reader, mixers).flows(),
        settings,
    )
}

/// Demix the custodial `mixers` on the UTXO chain of `reader` from their `flows`.
pub(crate) fn demix_flows(
    reader: &ChainReader,
    mixers: &[Mixer],
    flows: &flows::Flows,
    settings: &Settings,
) -> Demixed {
    let mut out = Demixed {
        findings: Findings {
            decoded: flows.deposits.len() as u64,
            ..Findings::default()
        },
        ..Demixed::default()
    };
    for (m, mixer) in mixers.iter().enumerate() {
        let deposits: Vec<flows::Deposit> = flows
            .deposits
            .iter()
            .filter(|d| d.mixer == m)
            .cloned()
            .collect();
        let payouts: Vec<flows::Payout> = flows
            .payouts
            .iter()
            .filter(|p| p.mixer == m)
            .cloned()
            .collect();
        if !deposits.is_empty() {
            demix(reader, mixer, (&deposits, &payouts), settings, &mut out);
        }
    }
    out
}

/// Demix one mixer's deposits and payouts into `out`.
fn demix(
    reader: &ChainReader,
    mixer: &Mixer,
    (deposits, payouts): (&[flows::Deposit], &[flows::Payout]),
    settings: &Settings,
    out: &mut Demixed,
) {
    let span = span(reader);
    let mut estimate = estimate::estimate(deposits, payouts, span, settings.max_window);
    let fee_from_data = estimate.from_data && settings.fee_band.is_none();
    let window_from_data = estimate.from_data && settings.window.is_none();
    if let Some(fee) = settings.fee_band {
        estimate.fee = fee;
    }
    if let Some(window) = settings.window {
        estimate.window = window;
    }
    let plan = assign::Plan {
        estimate: &estimate,
        span,
        limits: fits::Limits {
            parts: 1,
            max_fits: settings.max_fits,
            max_steps: MAX_STEPS,
        },
        max_units: settings.max_units,
        floor: settings.min_confidence,
    };
    let found = assign::assign(deposits, payouts, plan);
    let calibration = Calibration {
        mixer: mixer.name.clone(),
        deposits: deposits.len(),
        payouts: payouts.len(),
        fee: estimate.fee,
        window: estimate.window,
        fee_from_data,
        window_from_data,
        significance: estimate.significance,
        prior: found.prior.clone(),
    };
    let address = |id: u32| {
        reader
            .address(id)
            .map_or_else(String::new, |a| a.to_string())
    };
    let mut assigned = vec![None; found.fits.len()];
    for a in &found.assigned {
        assigned[a.fit] = Some(a.confidence);
    }
    for (fit, assigned) in found.fits.iter().zip(assigned) {
        out.candidates.push(Candidate {
            deposit: reader.tx_hash(deposits[fit.deposit].tx),
            payouts: fit
                .payouts
                .iter()
                .map(|&p| (reader.tx_hash(payouts[p].tx), address(payouts[p].address)))
                .collect(),
            units: fit.units,
            heuristic: heuristic(fit.units, fit.payouts.len()),
            fits: found.ambiguity[fit.deposit].fits().0,
            confidence: fit.initial,
            assigned,
        });
    }
    let estimated = calibration.provenance();
    let mut linked = 0;
    for a in found
        .assigned
        .iter()
        .filter(|a| a.confidence >= settings.min_confidence)
    {
        linked += 1;
        let fit = &found.fits[a.fit];
        let d = &deposits[fit.deposit];
        let ambiguity = &found.ambiguity[fit.deposit];
        let paid: u64 = fit.payouts.iter().map(|&p| payouts[p].value).sum();
        let last = fit.payouts.iter().map(|&p| payouts[p].time).max();
        let (fits, complete) = ambiguity.fits();
        let evidence = format!(
            "heuristic {}: {} BTC of a {} BTC deposit paid back in {} payout(s) within {} (fee \
             {:.2} %); 1 of {}{fits} fitting combination(s) of {} candidates, {:.2} such fit(s) \
             expected by chance, {} rival deposit(s); fee band {:.2}–{:.2} % and window {} \
             ({estimated})",
            heuristic(fit.units, fit.payouts.len()),
            btc(paid),
            btc(d.amount),
            fit.payouts.len(),
            hours(last.unwrap_or(d.time).saturating_sub(d.time)),
            100.0 * (1.0 - paid as f64 / d.amount as f64),
            if complete { "" } else { "more than " },
            ambiguity.candidates,
            ambiguity.chance[fit.units - 1],
            a.rivals,
            100.0 * estimate.fee.0,
            100.0 * estimate.fee.1,
            hours(estimate.window),
        );
        let confidence = (a.confidence * 100.0).round() / 100.0;
        for &p in &fit.payouts {
            out.findings.links.push(Link {
                kind: "mixer".to_string(),
                via: mixer.name.clone(),
                decoder: DECODER.to_string(),
                from_chain: reader.chain(),
                from_tx: reader.tx_hash(d.tx),
                to_chain: reader.chain(),
                to_tx: reader.tx_hash(payouts[p].tx),
                to_address: Some(address(payouts[p].address)),
                confidence,
                evidence: evidence.clone(),
                // The payout carries its own value's worth of the deposit.
                share: 1.0,
            });
        }
    }
    out.findings.unmatched += (deposits.len() - linked) as u64;
    let mut paid_back = vec![false; deposits.len()];
    for a in found
        .assigned
        .iter()
        .filter(|a| a.confidence >= settings.min_confidence)
    {
        paid_back[found.fits[a.fit].deposit] = true;
    }
    for (i, d) in deposits.iter().enumerate().filter(|(i, _)| !paid_back[*i]) {
        let (fits, complete) = found.ambiguity[i].fits();
        let why = match fits {
            0 if d.time + estimate.window > span.1 => {
                "no payback in the store fits it (its window runs past the store's last block)"
                    .to_string()
            }
            0 => "no payback in the store fits it".to_string(),
            _ => format!(
                "{}{fits} fitting combination(s), none linked at confidence {} or more",
                if complete { "" } else { "more than " },
                settings.min_confidence
            ),
        };
        out.findings.pending.push(Pending {
            kind: "mixer".to_string(),
            via: mixer.name.clone(),
            decoder: DECODER.to_string(),
            chain: reader.chain(),
            tx: reader.tx_hash(d.tx),
            time: d.time,
            remaining: 1.0,
            evidence: format!(
                "a {} BTC deposit stays in the mixer as far as the chain shows: {why}; fee band \
                 {:.2}–{:.2} % and window {} ({estimated})",
                btc(d.amount),
                100.0 * estimate.fee.0,
                100.0 * estimate.fee.1,
                hours(estimate.window),
            ),
        });
    }
    out.calibrations.push(calibration);
}
