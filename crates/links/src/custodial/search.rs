//! Where a deposit's payback is sought, and how often chance alone fits it: the payouts of the
//! window after the deposit, grouped into units (bundles spent together, or single payouts),
//! whose sums fall into the fee band; and the same search in control windows around it.

use super::bundles::Bundles;
use super::estimate::Estimate;
use super::fits::{Limits, fits};
use super::flows::{Deposit, Payout};

/// Control windows on either side of a deposit, each as long as its window.
const CONTROLS: u64 = 2;

/// The fee band as bounds on a payback of `amount`.
fn band(amount: u64, estimate: &Estimate) -> (u64, u64) {
    let lo = (amount as f64 * (1.0 - estimate.fee.1)).ceil() as u64;
    let hi = (amount as f64 * (1.0 - estimate.fee.0)).floor() as u64;
    (lo, hi)
}

/// Where fits are sought.
#[derive(Clone, Copy)]
pub(crate) struct Search<'a> {
    /// The mixer's payouts, in chain order.
    pub payouts: &'a [Payout],
    pub bundles: &'a Bundles,
    pub estimate: &'a Estimate,
    pub limits: Limits,
    /// Units a payback may have.
    pub max_units: usize,
    /// The first and last block times of the chain: control windows beyond them are not counted.
    pub span: (u64, u64),
}

/// Fits per number of units (index 0: one unit), each as its payouts; `None` where the search
/// gave up.
pub(crate) type Found = Vec<Option<Vec<Vec<usize>>>>;

/// What the search found for one deposit and one number of units.
#[derive(Debug, Clone, Default)]
pub(crate) struct Count {
    /// Fits in the window after the deposit (`None`: more than the search keeps).
    pub fits: Option<usize>,
    /// Fits in its control windows (`None`: more than the search keeps, or no window).
    pub control: Option<usize>,
    /// How many control windows the store covers.
    pub windows: usize,
}

/// What the search found for one deposit.
#[derive(Debug, Clone, Default)]
pub(crate) struct Ambiguity {
    /// Units within the window small enough to be part of the payback.
    pub candidates: usize,
    /// Per number of units (index 0: one unit).
    pub counts: Vec<Count>,
    /// Chance fits expected per number of units.
    pub chance: Vec<f64>,
    /// The share of the deposit's window the store covers (less near the chain's end, where
    /// paybacks may come after the last block).
    pub coverage: f64,
}

impl Ambiguity {
    /// Fits of any number of units, and whether that is all of them.
    pub fn fits(&self) -> (usize, bool) {
        let complete = self.counts.iter().all(|c| c.fits.is_some());
        let fits = self.counts.iter().filter_map(|c| c.fits).sum();
        (fits, complete)
    }
}

impl Search<'_> {
    /// The fits of a payback of `amount` among the payouts `pool` (indices, ascending), per
    /// number of units (`None` where the search gave up), each fit as its payouts; and how many
    /// units were candidates.
    fn fits(&self, amount: u64, pool: &[usize]) -> (usize, Found) {
        let (lo, hi) = band(amount, self.estimate);
        let value =
            |unit: &Vec<usize>| -> u64 { unit.iter().map(|&p| self.payouts[p].value).sum() };
        let mut units: Vec<(u64, Vec<usize>)> = self
            .bundles
            .units(pool)
            .into_iter()
            .map(|u| (value(&u), u))
            .filter(|(v, _)| *v <= hi)
            .collect();
        units.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let values: Vec<u64> = units.iter().map(|u| u.0).collect();
        let mut per_units = Vec::with_capacity(self.max_units);
        for parts in 1..=self.max_units {
            // More units only multiply the combinations: once the search gives up, it would again.
            if per_units.last().is_some_and(Option::is_none) {
                per_units.push(None);
                continue;
            }
            let found = fits(
                &values,
                lo,
                hi,
                Limits {
                    parts,
                    ..self.limits
                },
            );
            per_units.push(found.complete.then(|| {
                found
                    .combinations
                    .into_iter()
                    .map(|c| {
                        c.into_iter()
                            .flat_map(|i| units[i].1.iter().copied())
                            .collect()
                    })
                    .collect()
            }));
        }
        (units.len(), per_units)
    }

    /// The fits of deposit `d` in the window after it, and what the search saw doing so (the
    /// chance rates are left for [`super::odds::chance_rates`]).
    pub fn survey(&self, d: &Deposit) -> (Ambiguity, Found) {
        let window = self.estimate.window.max(1);
        let after: Vec<usize> = self
            .between(d.time, d.time.saturating_add(window).saturating_add(1))
            .filter(|&p| self.payouts[p].tx > d.tx)
            .collect();
        let (candidates, found) = self.fits(d.amount, &after);
        let (control, windows) = self.controls(d);
        let counts = found
            .iter()
            .zip(control)
            .map(|(fits, control)| Count {
                fits: fits.as_ref().map(Vec::len),
                control: control.filter(|_| windows > 0),
                windows,
            })
            .collect();
        let ambiguity = Ambiguity {
            candidates,
            counts,
            chance: Vec::new(),
            coverage: (self.span.1.saturating_sub(d.time).min(window) as f64) / window as f64,
        };
        (ambiguity, found)
    }

    /// Payout indices with `from <= time < to`.
    fn between(&self, from: u64, to: u64) -> std::ops::Range<usize> {
        let payouts = self.payouts;
        payouts.partition_point(|p| p.time < from)..payouts.partition_point(|p| p.time < to)
    }

    /// Fit counts in the control windows around deposit `d` that the store covers fully, per
    /// number of units (`None` where a search gave up), and how many windows. The windows lie
    /// before the deposit, where nothing can be its payback, and after its window, where nothing
    /// should be; taking both sides cancels a rise or fall of the mixer's traffic over time.
    fn controls(&self, d: &Deposit) -> (Vec<Option<usize>>, usize) {
        let ((start, end), window) = (self.span, self.estimate.window.max(1));
        let mut counts: Vec<Option<usize>> = vec![Some(0); self.max_units];
        let mut windows = 0;
        let mut count = |pool: Vec<usize>| {
            let (_, found) = self.fits(d.amount, &pool);
            for (count, found) in counts.iter_mut().zip(found) {
                *count = match (*count, found) {
                    (Some(n), Some(f)) => Some(n + f.len()),
                    _ => None,
                };
            }
            windows += 1;
        };
        for k in 1..=CONTROLS {
            let Some(from) = d.time.checked_sub(k * window).filter(|&t| t >= start) else {
                break;
            };
            let to = d.time - (k - 1) * window;
            count(
                self.between(from, to.saturating_add(1))
                    .filter(|&i| self.payouts[i].tx < d.tx)
                    .collect(),
            );
        }
        for k in 1..=CONTROLS {
            let from = d.time.saturating_add(k * window).saturating_add(1);
            let to = from.saturating_add(window);
            if to > end {
                break;
            }
            count(self.between(from, to).collect());
        }
        (counts, windows)
    }
}
