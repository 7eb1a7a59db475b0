//! The mixer's fee band and payout delay, estimated from the chain rather than assumed.
//!
//! Pair every deposit with every single payout of the same mixer worth a little less than it
//! (a fee below [`FEE_PRIOR`]) within the longest delay allowed, both ways in time. A payout
//! *after* the deposit may be its payback; a payout *before* it cannot be, so the pairs before
//! measure how often amounts meet by chance. A pair at a delay counts only for deposits whose
//! store covers that delay both ways, so the two sides see the same stretch of chain. The band
//! and window are the fee range and delay range (a rectangle of bins, starting at delay zero)
//! where pairs after outnumber pairs before most significantly; below [`SIGNIFICANCE`] standard
//! deviations nothing is estimated, the band is the whole prior and the window the longest
//! allowed, and the low confidence of the links says so.

use super::flows::{Deposit, Payout};

/// The highest fee a custodial mixer is assumed to charge: beyond it a payout is not looked at
/// as a payback.
pub(crate) const FEE_PRIOR: f64 = 0.10;
/// Width of a fee bin (a quarter of a percent).
const FEE_BIN: f64 = 0.0025;
const FEE_BINS: usize = 40;
/// Bins the longest delay is divided into.
const DELAY_BINS: usize = 96;
/// Standard deviations the best rectangle's excess must reach: it is the best of many tried, so
/// more than a single test would need.
const SIGNIFICANCE: f64 = 5.0;

/// What the chain says about how a mixer pays back.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Estimate {
    /// The fee band, as shares of the deposit.
    pub fee: (f64, f64),
    /// Payouts come at most this many seconds after their deposit.
    pub window: u64,
    /// Whether the band and window come from an excess in the data (false: the prior).
    pub from_data: bool,
    /// How significant the excess is (standard deviations).
    pub significance: f64,
}

/// Pair counts after and before deposits, cumulated over delay bins and fee bins:
/// `after[k][f]` counts pairs in delay bins `< k` and fee bins `< f`.
struct Cumulated {
    after: Vec<Vec<u64>>,
    before: Vec<Vec<u64>>,
}

fn cumulate(bins: &[[u64; FEE_BINS]]) -> Vec<Vec<u64>> {
    let mut out = vec![vec![0u64; FEE_BINS + 1]; DELAY_BINS + 1];
    for k in 0..DELAY_BINS {
        for f in 0..FEE_BINS {
            out[k + 1][f + 1] = bins[k][f] + out[k][f + 1] + out[k + 1][f] - out[k][f];
        }
    }
    out
}

impl Cumulated {
    /// Pairs after and before in delay bins `< k` and fee bins `lo..hi`.
    fn counts(&self, k: usize, lo: usize, hi: usize) -> (u64, u64) {
        let sum = |c: &Vec<Vec<u64>>| c[k][hi] + c[0][lo] - c[0][hi] - c[k][lo];
        (sum(&self.after), sum(&self.before))
    }
}

/// The fee band and window of the mixer behind `deposits` and `payouts` (one mixer's, in chain
/// order) on a chain covering `start..=end`, looking no further than `max_window` seconds.
pub(crate) fn estimate(
    deposits: &[Deposit],
    payouts: &[Payout],
    (start, end): (u64, u64),
    max_window: u64,
) -> Estimate {
    let bin_secs = max_window.div_ceil(DELAY_BINS as u64).max(1);
    let mut after = vec![[0u64; FEE_BINS]; DELAY_BINS];
    let mut before = vec![[0u64; FEE_BINS]; DELAY_BINS];
    for d in deposits {
        // Delay bins the chain covers on both sides of this deposit.
        let covered = d.time.saturating_sub(start).min(end.saturating_sub(d.time)) / bin_secs;
        let reach = covered.min(DELAY_BINS as u64) * bin_secs;
        if reach == 0 {
            continue;
        }
        let from = payouts.partition_point(|p| p.time.saturating_add(reach) < d.time);
        for p in &payouts[from..] {
            let delay = p.time.abs_diff(d.time);
            if p.time > d.time && delay >= reach {
                break;
            }
            if delay >= reach || p.mixer != d.mixer || p.value > d.amount {
                continue;
            }
            let fee = 1.0 - p.value as f64 / d.amount as f64;
            if fee >= FEE_PRIOR {
                continue;
            }
            let fee_bin = ((fee / FEE_BIN) as usize).min(FEE_BINS - 1);
            let delay_bin = (delay / bin_secs) as usize;
            if p.tx > d.tx {
                after[delay_bin][fee_bin] += 1;
            } else {
                before[delay_bin][fee_bin] += 1;
            }
        }
    }
    let cumulated = Cumulated {
        after: cumulate(&after),
        before: cumulate(&before),
    };
    let mut best = (0.0, 0, 0, 0);
    for k in 1..=DELAY_BINS {
        let (all_after, all_before) = cumulated.counts(k, 0, FEE_BINS);
        for lo in 0..FEE_BINS {
            for hi in lo + 1..FEE_BINS.min(lo + FEE_BINS / 2) {
                let (a, b) = cumulated.counts(k, lo, hi);
                let (out_a, out_b) = (all_after - a, all_before - b);
                // Pairs out of the band, scaled to its width, are the baseline: deposits and
                // payouts come in bursts, so payouts follow deposits at every fee.
                let r = (hi - lo) as f64 / (FEE_BINS - (hi - lo)) as f64;
                let excess = (a as f64 - b as f64) - r * (out_a as f64 - out_b as f64);
                let variance = (a + b) as f64 + r * r * (out_a + out_b) as f64;
                let z = excess / variance.sqrt().max(1.0);
                if z > best.0 {
                    best = (z, k, lo, hi);
                }
            }
        }
    }
    let (significance, k, lo, hi) = best;
    if significance < SIGNIFICANCE {
        return Estimate {
            fee: (0.0, FEE_PRIOR),
            window: max_window,
            from_data: false,
            significance,
        };
    }
    // One bin of margin on every open side: the edges of the excess are thinly populated.
    Estimate {
        fee: (
            lo.saturating_sub(1) as f64 * FEE_BIN,
            ((hi + 1).min(FEE_BINS) as f64) * FEE_BIN,
        ),
        window: ((k + 1) as u64 * bin_secs).min(max_window),
        from_data: true,
        significance,
    }
}
