//! Which payouts paid which deposit back: a greedy assignment by confidence (`odds.rs`) in which
//! a payout pays one deposit and a deposit is paid back once. A fit's payouts may also pay another
//! deposit back, so its confidence is multiplied, for every other deposit, by the chance that
//! none of that deposit's fits takes them. The best fit is assigned, the fits that used its
//! payouts or its deposit are dropped, the confidences that may have risen are weighed anew, and
//! so on down to the floor. Dropping fits makes the others likelier only if the assignment that
//! dropped them was right, so a link keeps the lower of its confidence when assigned and before
//! any assignment: the order of assignment uses what remains, the confidence stays honest.

use std::collections::{BTreeSet, BinaryHeap};

use super::bundles::Bundles;
use super::estimate::Estimate;
use super::fits::Limits;
use super::flows::{Deposit, Payout};
use super::odds::{self, chance_rates, priors};
use super::search::{Ambiguity, Search};

/// One fitting payout combination of one deposit.
#[derive(Debug, Clone)]
pub(crate) struct Fit {
    pub deposit: usize,
    /// Indices into the payouts.
    pub payouts: Vec<usize>,
    /// How many units (payouts, or bundles of payouts spent together) it has.
    pub units: usize,
    /// The confidence before any assignment.
    pub initial: f64,
    alive: bool,
}

/// An assigned payback.
#[derive(Debug, Clone)]
pub(crate) struct Assigned {
    pub fit: usize,
    pub confidence: f64,
    /// Other deposits that could have claimed these payouts.
    pub rivals: usize,
}

/// Everything the assignment found for one mixer.
#[derive(Debug, Default)]
pub(crate) struct Assignment {
    pub fits: Vec<Fit>,
    pub ambiguity: Vec<Ambiguity>,
    pub assigned: Vec<Assigned>,
    /// The probability that a deposit's payback is in the store, per number of units.
    pub prior: Vec<f64>,
}

struct State<'a> {
    fits: Vec<Fit>,
    by_deposit: Vec<Vec<usize>>,
    by_payout: Vec<Vec<usize>>,
    /// Live fits per deposit and number of units.
    alive: Vec<Vec<usize>>,
    /// The confidence of a fit alone, per deposit and number of units.
    alone: Vec<Vec<f64>>,
    ambiguity: &'a [Ambiguity],
    prior: &'a [f64],
}

impl State<'_> {
    /// The confidence of a fit of each number of units of deposit `d` alone: from its live fits,
    /// or, with `only`, as if that fit were its only one (the most it can ever reach).
    fn alone_of(&self, d: usize, only: Option<usize>) -> Vec<f64> {
        odds::alone(&self.ambiguity[d], self.prior, |k| match only {
            Some(units) => usize::from(units == k + 1),
            None => self.alive[d][k],
        })
    }

    fn weigh(&mut self, d: usize) {
        self.alone[d] = self.alone_of(d, None);
    }

    /// The confidence of fit `f`, with the deposits that could claim its payouts (`claims` is
    /// scratch space).
    fn confidence(&self, f: usize, claims: &mut Vec<(usize, usize)>) -> (f64, usize) {
        let fit = &self.fits[f];
        claims.clear();
        claims.extend(
            fit.payouts
                .iter()
                .flat_map(|&p| &self.by_payout[p])
                .map(|&g| (self.fits[g].deposit, g))
                .filter(|&(d, g)| d != fit.deposit && self.fits[g].alive),
        );
        claims.sort_unstable();
        claims.dedup();
        let mut confidence = self.alone[fit.deposit][fit.units - 1];
        let mut rivals = 0;
        let mut i = 0;
        while i < claims.len() {
            let rival = claims[i].0;
            let mut overlapping = 0.0;
            while i < claims.len() && claims[i].0 == rival {
                overlapping += self.alone[rival][self.fits[claims[i].1].units - 1];
                i += 1;
            }
            confidence *= (1.0 - overlapping).max(0.0);
            rivals += 1;
        }
        (confidence.clamp(0.0, 1.0), rivals)
    }

    /// Drop fit `f`.
    fn kill(&mut self, f: usize) {
        if self.fits[f].alive {
            self.fits[f].alive = false;
            self.alive[self.fits[f].deposit][self.fits[f].units - 1] -= 1;
        }
    }

    /// Assign fits greedily by confidence down to `floor`.
    fn greedy(&mut self, floor: f64) -> Vec<Assigned> {
        for (f, fit) in self.fits.iter().enumerate() {
            self.by_deposit[fit.deposit].push(f);
            self.alive[fit.deposit][fit.units - 1] += 1;
            for &p in &fit.payouts {
                self.by_payout[p].push(f);
            }
        }
        for d in 0..self.by_deposit.len() {
            self.weigh(d);
        }
        // Fits that could not reach the floor even as their deposit's only fit are never
        // assigned; they still count as rivals.
        let eligible: Vec<bool> = self
            .fits
            .iter()
            .map(|fit| self.alone_of(fit.deposit, Some(fit.units))[fit.units - 1] >= floor)
            .collect();
        let mut claims = Vec::new();
        let mut heap = BinaryHeap::new();
        for (f, &eligible) in eligible.iter().enumerate() {
            let (confidence, _) = self.confidence(f, &mut claims);
            self.fits[f].initial = confidence;
            if eligible {
                heap.push(Entry(confidence, f));
            }
        }
        let mut assigned = Vec::new();
        while let Some(Entry(key, f)) = heap.pop() {
            if key < floor {
                break;
            }
            if !self.fits[f].alive {
                continue;
            }
            let (confidence, rivals) = self.confidence(f, &mut claims);
            if confidence + 1e-12 < key {
                heap.push(Entry(confidence, f));
                continue;
            }
            // What earlier assignments eliminated made this fit likelier only if they were
            // right, which they need not be: it keeps the confidence it had before any.
            assigned.push(Assigned {
                fit: f,
                confidence: confidence.min(self.fits[f].initial),
                rivals,
            });
            // The deposit is paid back and its payouts are spent: every fit using either goes.
            let mut dropped: BTreeSet<usize> = self.by_deposit[self.fits[f].deposit]
                .iter()
                .copied()
                .collect();
            for &p in &self.fits[f].payouts {
                dropped.extend(self.by_payout[p].iter().copied());
            }
            let losers: BTreeSet<usize> = dropped.iter().map(|&g| self.fits[g].deposit).collect();
            for &g in &dropped {
                self.kill(g);
            }
            for &loser in &losers {
                self.weigh(loser);
            }
            // What may have gained confidence is weighed anew: the fits of deposits that lost
            // some (fewer alternatives), and the fits that shared a payout with a dropped fit (a
            // rival fewer). Whatever lost confidence is weighed anew when it comes up.
            let mut touched = BTreeSet::new();
            for &loser in &losers {
                touched.extend(self.by_deposit[loser].iter().copied());
            }
            for &g in &dropped {
                for &p in &self.fits[g].payouts {
                    touched.extend(self.by_payout[p].iter().copied());
                }
            }
            for g in touched {
                if self.fits[g].alive && eligible[g] {
                    let (confidence, _) = self.confidence(g, &mut claims);
                    heap.push(Entry(confidence, g));
                }
            }
        }
        assigned
    }
}

/// Heap entries ordered by confidence, then by fit index (lower first) for a stable order.
#[derive(PartialEq)]
struct Entry(f64, usize);

impl Eq for Entry {}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0).then(other.1.cmp(&self.1))
    }
}

/// What [`assign`] is given besides the flows.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plan<'a> {
    pub estimate: &'a Estimate,
    /// The first and last block times of the chain.
    pub span: (u64, u64),
    pub limits: Limits,
    /// Units a payback may have.
    pub max_units: usize,
    /// Assignments below this confidence are not made.
    pub floor: f64,
}

/// Fit, weigh and assign the deposits and payouts of one mixer (both in chain order).
pub(crate) fn assign(deposits: &[Deposit], payouts: &[Payout], plan: Plan<'_>) -> Assignment {
    let bundles = Bundles::new(payouts);
    let search = Search {
        payouts,
        bundles: &bundles,
        estimate: plan.estimate,
        limits: plan.limits,
        max_units: plan.max_units,
        span: plan.span,
    };
    let mut fits = Vec::new();
    let mut ambiguity = Vec::with_capacity(deposits.len());
    for (i, d) in deposits.iter().enumerate() {
        let (seen, found) = search.survey(d);
        ambiguity.push(seen);
        for (k, combinations) in found.into_iter().enumerate() {
            fits.extend(combinations.into_iter().flatten().map(|payouts| Fit {
                deposit: i,
                payouts,
                units: k + 1,
                initial: 0.0,
                alive: true,
            }));
        }
    }
    chance_rates(deposits, &mut ambiguity, plan.limits);
    let prior = priors(&ambiguity, plan.max_units);
    let mut state = State {
        by_deposit: vec![Vec::new(); deposits.len()],
        by_payout: vec![Vec::new(); payouts.len()],
        alive: vec![vec![0; plan.max_units]; deposits.len()],
        alone: vec![Vec::new(); deposits.len()],
        fits,
        ambiguity: &ambiguity,
        prior: &prior,
    };
    let assigned = state.greedy(plan.floor);
    Assignment {
        fits: state.fits,
        ambiguity,
        assigned,
        prior,
    }
}
