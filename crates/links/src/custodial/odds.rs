//! How likely a fit is the payback rather than chance, per number of units `k` (a unit is a
//! payout, or a bundle of payouts later spent together).
//!
//! - `λ_k`: how many `k`-unit combinations fit a deposit by chance — counted for this deposit in
//!   control windows before it, where nothing can be its payback, and after its window, and
//!   shrunk towards the rate of deposits of about its size, so that one quiet window does not
//!   make a fit certain;
//! - `P_k`: how likely the deposit's payback is in the store with `k` units ([`priors`]).
//!
//! With `n_k` fits of `k` units, one fit of `k` units is the payback with odds `P_k / λ_k`
//! against `1 − Σ P_j` for "none of them is", and shares them with every other fit:
//!
//! `confidence = (P_k / λ_k) / (1 − Σ_j P_j + Σ_j n_j · P_j / λ_j)`.
//!
//! A single-payout fit among thousands of five-part fits is judged by how rare single-payout fits
//! are, and a five-part fit where five-part fits abound gets next to nothing. Where the search
//! gave up (more fits than it keeps), that number of units tells nothing (`n_k / λ_k = 1`) and
//! its fits are not candidates.

use std::collections::BTreeMap;

use super::fits::Limits;
use super::flows::Deposit;
use super::search::Ambiguity;

/// The share of deposits a custodial mixer pays back within the window: all, but for a margin
/// for deposits it keeps or pays back late.
const PAID_BACK: f64 = 0.95;
/// How many control windows the mean of deposits of about the same size weighs, against the
/// deposit's own.
const SHRINK: f64 = 4.0;
/// Deposits within a factor of two share a size class.
fn size_class(amount: u64) -> u32 {
    amount.max(1).ilog2()
}

/// `λ_k` per deposit: its control count shrunk towards the rate of its size class (taken as
/// never below half a fit in all the class's control windows).
pub(crate) fn chance_rates(deposits: &[Deposit], ambiguity: &mut [Ambiguity], limits: Limits) {
    let max_parts = ambiguity.first().map_or(0, |a| a.counts.len());
    // Per size class and number of units: control fits and windows (complete searches only).
    let mut classes: BTreeMap<(u32, usize), (f64, f64)> = BTreeMap::new();
    for (d, a) in deposits.iter().zip(ambiguity.iter()) {
        for (k, count) in a.counts.iter().enumerate() {
            if let Some(n) = count.control {
                let slot = classes.entry((size_class(d.amount), k)).or_default();
                slot.0 += n as f64;
                slot.1 += count.windows as f64;
            }
        }
    }
    for (d, a) in deposits.iter().zip(ambiguity.iter_mut()) {
        a.chance = (0..max_parts)
            .map(|k| {
                let count = &a.counts[k];
                let (fits, windows) = classes
                    .get(&(size_class(d.amount), k))
                    .copied()
                    .unwrap_or((0.0, 0.0));
                let class_rate = fits.max(0.5) / windows.max(1.0);
                match count.control {
                    _ if count.windows == 0 => class_rate,
                    Some(n) => (n as f64 + SHRINK * class_rate) / (count.windows as f64 + SHRINK),
                    // The search gave up in the controls: at least as many chance fits as it keeps.
                    None => limits.max_fits as f64,
                }
            })
            .collect();
    }
}

/// `P_k`. A custodial mixer pays its deposits back ([`PAID_BACK`]); how many paybacks come in
/// one unit is the mean excess of one-unit fits over chance, over the deposits with control
/// windows — when there are enough of them to tell (two standard errors below an even share);
/// with fewer, every number of units gets an even share. Fits of more units cannot be counted
/// that way: a combination that keeps some of a payback's units and fills the rest with other
/// payouts fits far more often than chance, so the rest is shared evenly among the other numbers
/// of units.
pub(crate) fn priors(ambiguity: &[Ambiguity], max_units: usize) -> Vec<f64> {
    let even = PAID_BACK / max_units.max(1) as f64;
    let (mut excess, mut variance, mut n) = (0.0, 0.0, 0.0);
    for a in ambiguity {
        let count = &a.counts[0];
        if let (Some(fits), Some(_), true) = (count.fits, count.control, count.windows > 0) {
            excess += fits as f64 - a.chance[0];
            // Poisson counts: the fits', and the chance estimate's over its windows.
            variance += fits as f64 + a.chance[0] / count.windows as f64;
            n += 1.0;
        }
    }
    let single = if n > 0.0 && 2.0 * variance.sqrt() / n < even {
        (excess / n).clamp(0.0, PAID_BACK)
    } else {
        even
    };
    let mut prior = vec![single; 1];
    let rest = (PAID_BACK - single) / (max_units.saturating_sub(1)).max(1) as f64;
    prior.resize(max_units, rest);
    prior.truncate(max_units);
    prior
}

/// The confidence of a fit of each number of units of a deposit, alone (before rival deposits):
/// `live(k)` is how many fits of `k + 1` units it has.
pub(crate) fn alone(a: &Ambiguity, prior: &[f64], live: impl Fn(usize) -> usize) -> Vec<f64> {
    let p = |k: usize| prior[k] * a.coverage;
    let weight = |k: usize| p(k) / a.chance[k].max(f64::MIN_POSITIVE);
    let mut denominator = 1.0 - (0..prior.len()).map(p).sum::<f64>();
    for k in 0..prior.len() {
        denominator += match a.counts[k].fits {
            Some(_) => live(k) as f64 * weight(k),
            None => p(k),
        };
    }
    (0..prior.len())
        .map(|k| {
            if denominator > 0.0 {
                weight(k) / denominator
            } else {
                0.0
            }
        })
        .collect()
}
