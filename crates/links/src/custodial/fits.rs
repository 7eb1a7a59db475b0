//! Which payouts could together pay a deposit back: the combinations of a given number of
//! candidate payouts whose values sum into a band, each part needed to reach it (a fit plus a
//! payout small enough to stay in the band is not another fit: the small payout would be filler,
//! and fillers would multiply every fit). A depth-first search over the values in decreasing
//! order, cut where the band can no longer be reached, and bounded: past a number of fits or of
//! steps the deposit is too ambiguous for that many parts and the search says it stopped.

/// How far a search may go.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Parts of the combinations sought.
    pub parts: usize,
    /// Fits kept; more make the search stop.
    pub max_fits: usize,
    /// Combinations tried before the search stops.
    pub max_steps: u64,
}

/// The fits found: each a list of indices into the candidate values, in decreasing value.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Fits {
    pub combinations: Vec<Vec<usize>>,
    /// Whether the search saw every combination (false: it stopped at a limit, and there may be
    /// more fits than `combinations` holds).
    pub complete: bool,
}

struct Search<'a> {
    values: &'a [u64],
    /// `prefix[i]` = sum of `values[..i]`.
    prefix: Vec<u64>,
    lo: u64,
    hi: u64,
    limits: Limits,
    steps: u64,
    chosen: Vec<usize>,
    found: Vec<Vec<usize>>,
    stopped: bool,
}

impl Search<'_> {
    /// The largest sum of `parts` values from `start` on (they are in decreasing order).
    fn best(&self, start: usize, parts: usize) -> u64 {
        let end = (start + parts).min(self.values.len());
        self.prefix[end] - self.prefix[start]
    }

    fn walk(&mut self, start: usize, sum: u64) {
        let parts_left = self.limits.parts - self.chosen.len();
        if parts_left == 0 || self.stopped {
            return;
        }
        let room = self.hi - sum;
        // Values above the room overshoot the band; they come first.
        let first = start + self.values[start..].partition_point(|&v| v > room);
        for i in first..self.values.len() {
            if sum + self.best(i, parts_left) < self.lo {
                // Later values are smaller still: nothing from here reaches the band.
                break;
            }
            self.steps += 1;
            if self.steps > self.limits.max_steps {
                self.stopped = true;
                return;
            }
            let total = sum + self.values[i];
            self.chosen.push(i);
            if total < self.lo {
                self.walk(i + 1, total);
            } else if parts_left == 1 && self.values[i] > total - self.lo {
                // The smallest part is needed to reach the band, so every part is. A prefix
                // that reached the band is never extended: the added part would not be needed.
                if self.found.len() == self.limits.max_fits {
                    self.stopped = true;
                    self.chosen.pop();
                    return;
                }
                self.found.push(self.chosen.clone());
            }
            self.chosen.pop();
            if self.stopped {
                return;
            }
        }
    }
}

/// Every combination of exactly `limits.parts` of `values` (in decreasing order) whose sum lies
/// in `lo..=hi` and needs every part to reach `lo`, up to the limits.
pub(crate) fn fits(values: &[u64], lo: u64, hi: u64, limits: Limits) -> Fits {
    debug_assert!(values.windows(2).all(|w| w[0] >= w[1]));
    if lo > hi || limits.parts == 0 {
        return Fits {
            combinations: Vec::new(),
            complete: true,
        };
    }
    let mut prefix = Vec::with_capacity(values.len() + 1);
    prefix.push(0u64);
    for v in values {
        prefix.push(prefix[prefix.len() - 1].saturating_add(*v));
    }
    let mut search = Search {
        values,
        prefix,
        lo,
        hi,
        limits,
        steps: 0,
        chosen: Vec::with_capacity(limits.parts),
        found: Vec::new(),
        stopped: false,
    };
    search.walk(0, 0);
    Fits {
        combinations: search.found,
        complete: !search.stopped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(parts: usize) -> Limits {
        Limits {
            parts,
            max_fits: 100,
            max_steps: 10_000,
        }
    }

    #[test]
    fn every_combination_in_the_band_that_needs_all_its_parts() {
        let values = [60, 50, 40, 30, 10];
        // Pairs: 60+40 (100), 60+30 (90), 50+40 (90); 50+30 is 80.
        assert_eq!(
            fits(&values, 90, 100, parts(2)).combinations,
            vec![vec![0, 2], vec![0, 3], vec![1, 2]]
        );
        // Triples: 50+30+10 (90) needs its 10; 60+30+10 (100) does not (60+30 is 90 already),
        // nor 50+40+10.
        let triples = fits(&values, 90, 100, parts(3));
        assert!(triples.complete);
        assert_eq!(triples.combinations, vec![vec![1, 3, 4]]);
    }

    #[test]
    fn a_single_payout_fits_alone() {
        let values = [97, 50, 47];
        assert_eq!(fits(&values, 96, 99, parts(1)).combinations, vec![vec![0]]);
        assert_eq!(
            fits(&values, 96, 99, parts(2)).combinations,
            vec![vec![1, 2]]
        );
        assert!(fits(&values, 96, 99, parts(3)).combinations.is_empty());
    }

    #[test]
    fn the_search_says_when_it_stopped() {
        let values = [5; 12];
        let capped = fits(
            &values,
            15,
            15,
            Limits {
                max_fits: 10,
                ..parts(3)
            },
        );
        assert_eq!(capped.combinations.len(), 10);
        assert!(!capped.complete);
        let short = fits(
            &values,
            15,
            15,
            Limits {
                max_steps: 5,
                ..parts(3)
            },
        );
        assert!(!short.complete);
        let none = fits(&[], 1, 2, parts(1));
        assert!(none.complete && none.combinations.is_empty());
    }
}
