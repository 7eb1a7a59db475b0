//! Resolution: from all the labels of an address to one answer — what it does (its role, the
//! strongest role claim) and what it is marked as (its flags, the union of every source's
//! flags valid at a date), each with its provenance. Tracing decides on the role; screening
//! scores the role and the flags.

use chaintrail_core::Chain;
use serde::Serialize;

use crate::category::Category;
use crate::label::{Label, Source, UnknownStart, Validity, validity};
use crate::store::LabelStore;
use chaintrail_core::Date;

/// What the labels say about one address, resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resolved {
    /// The role claim's entity name when there is a role, else the strongest label's name.
    pub name: String,
    /// What the address does: the strongest role claim (by confidence, then
    /// [`Source::role_rank`], then [`Category::role_specificity`]).
    pub role: Option<RoleClaim>,
    /// What the address is marked as: every flag of every applicable label, riskiest first,
    /// then strongest claim first.
    pub flags: Vec<FlagClaim>,
    /// Flags whose status at the resolution's date is unknown: claims whose start is unknown
    /// (an OFAC listing before the first snapshot holding it), same order. Neither held nor
    /// ruled out; empty without a date and for [`LabelStore::resolve_over_time`].
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unknown: Vec<FlagClaim>,
}

/// One source's claim of what an address does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoleClaim {
    /// The role claimed.
    pub role: Category,
    /// The name the source gives.
    pub name: String,
    /// The source.
    pub source: Source,
    /// The dataset the label came in.
    pub dataset: String,
    /// Confidence 0..=100.
    pub confidence: u8,
    /// Why chaintrail believes it (labels it derived from chain data carry their evidence).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    /// Index of the label in [`LabelStore::labels`] (its full details and file:line).
    #[serde(skip)]
    pub label: usize,
}

/// One source's claim of what an address is marked as, with when it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FlagClaim {
    /// The flag claimed.
    pub flag: Category,
    /// The source.
    pub source: Source,
    /// The dataset the label came in.
    pub dataset: String,
    /// The name the source gives.
    pub name: String,
    /// First day the flag holds, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<Date>,
    /// First day the flag no longer holds (exclusive): e.g. OFAC's delisting snapshot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<Date>,
    /// Set when the flag's start is unknown: `valid_from` is its first evidence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unknown_start: Option<UnknownStart>,
    /// Confidence 0..=100.
    pub confidence: u8,
    /// Index of the label in [`LabelStore::labels`] (its full details and file:line).
    #[serde(skip)]
    pub label: usize,
}

impl FlagClaim {
    /// Does the flag hold on `date`? (`valid_from <= date < valid_to`)
    pub fn valid_on(&self, date: Date) -> bool {
        self.validity_on(date) == Validity::Holds
    }

    /// Does the flag hold on `date`, or is that unknown?
    pub fn validity_on(&self, date: Date) -> Validity {
        validity(self.valid_from, self.valid_to, self.unknown_start, date)
    }
}

impl Resolved {
    /// The role category, if any.
    pub fn role_category(&self) -> Option<Category> {
        self.role.as_ref().map(|r| r.role)
    }

    /// The distinct flag categories of the claims valid on `date` (all claims when `None`),
    /// riskiest first.
    pub fn flags_on(&self, date: Option<Date>) -> Vec<Category> {
        let mut flags: Vec<Category> = self
            .flags
            .iter()
            .filter(|f| date.is_none_or(|d| f.valid_on(d)))
            .map(|f| f.flag)
            .collect();
        flags.dedup();
        flags
    }
}

/// Which flags a resolution collects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FlagScope {
    /// Those of the labels valid at the resolution's date.
    AtDate,
    /// Those of every label, whatever its validity (each claim keeps its interval).
    AllTime,
}

fn same_family(a: Chain, b: Chain) -> bool {
    matches!(
        (a, b),
        (Chain::Evm(_), Chain::Evm(_)) | (Chain::Bitcoin(_), Chain::Bitcoin(_))
    )
}

/// Does the label hold at `at` — on that date, or, without a date, now (it has no end)?
fn holds(label: &Label, at: Option<Date>) -> bool {
    match at {
        Some(date) => label.valid_on(date),
        None => label.valid_to.is_none(),
    }
}

/// The strongest role claim among `labels` (ids into `all`).
fn strongest_role(
    all: &[Label],
    labels: impl Iterator<Item = usize>,
) -> Option<(usize, &Label, Category)> {
    labels
        .filter_map(|i| all[i].role.map(|role| (i, &all[i], role)))
        // `min_by_key` keeps the first of equals: ids come strongest label first.
        .min_by_key(|(_, l, role)| {
            (
                std::cmp::Reverse(l.confidence),
                l.source.role_rank(),
                role.role_specificity(),
            )
        })
}

impl LabelStore {
    /// What `address` is on `chain` at `at` (now when `None`: the labels that have not ended):
    /// its role, resolved between sources by strength, and the union of its flags, each with
    /// provenance. Labels for `chain` (or for no modelled chain) decide the role; a label for the
    /// same address on a sibling chain (same EVM key, same Bitcoin text) applies when none of
    /// them claims one. Flags are collected over the whole chain family. An OFAC listing, dated
    /// by the stored snapshots, overrides undated `sanctioned` flags of other sources for the
    /// same address (a TagPack's `abuse: sanction` does not outlive the delisting). `None` when
    /// no label of the address applies.
    pub fn resolve(&self, chain: Chain, address: &str, at: Option<Date>) -> Option<Resolved> {
        self.resolve_scoped(Some(chain), address, at, FlagScope::AtDate)
    }

    /// As [`LabelStore::resolve`], with the flags of every time (each claim with its validity,
    /// see [`Resolved::flags_on`]): for callers that date flags per event, as screening does per
    /// transfer. The role is still the one at `at`.
    pub fn resolve_over_time(
        &self,
        chain: Chain,
        address: &str,
        at: Option<Date>,
    ) -> Option<Resolved> {
        self.resolve_scoped(Some(chain), address, at, FlagScope::AllTime)
    }

    /// As [`LabelStore::resolve`] with no chain preference (every label of the address applies):
    /// for addresses of chains chaintrail does not model, and for `labels show`.
    pub fn resolve_any_chain(&self, address: &str, at: Option<Date>) -> Option<Resolved> {
        self.resolve_scoped(None, address, at, FlagScope::AtDate)
    }

    fn resolve_scoped(
        &self,
        chain: Option<Chain>,
        address: &str,
        at: Option<Date>,
        scope: FlagScope,
    ) -> Option<Resolved> {
        let ids = self.matches(address);
        if ids.is_empty() {
            return None;
        }
        let all = self.labels();
        let on_chain = |l: &Label| match chain {
            None => true,
            Some(chain) => l.chain.is_none_or(|c| c == chain),
        };
        let on_sibling = |l: &Label| match chain {
            None => false,
            Some(chain) => l.chain.is_some_and(|c| c != chain && same_family(c, chain)),
        };
        // Strongest first (the index keeps each key's labels in strength order).
        let applicable = || {
            ids.iter()
                .map(|&(i, _)| i as usize)
                .filter(|&i| on_chain(&all[i]) || on_sibling(&all[i]))
        };
        let current = |i: &usize| holds(&all[*i], at);
        let role = strongest_role(
            all,
            applicable().filter(|i| on_chain(&all[*i]) && current(i)),
        )
        .or_else(|| {
            strongest_role(
                all,
                applicable().filter(|i| on_sibling(&all[*i]) && current(i)),
            )
        })
        .map(|(label, l, role)| RoleClaim {
            role,
            name: l.name.clone(),
            source: l.source,
            dataset: l.dataset.clone(),
            confidence: l.confidence,
            evidence: l.details.get("evidence").cloned(),
            label,
        });
        let dated_by_ofac = ids
            .iter()
            .any(|&(i, _)| all[i as usize].source == Source::Ofac);
        let overridden = |l: &Label, flag: Category| {
            flag == Category::Sanctioned
                && dated_by_ofac
                && l.source != Source::Ofac
                && l.valid_from.is_none()
                && l.valid_to.is_none()
        };
        let unknown_at = |i: &usize| {
            scope == FlagScope::AtDate
                && at.is_some_and(|d| all[*i].validity_on(d) == Validity::Unknown)
        };
        let mut flags: Vec<FlagClaim> = Vec::new();
        let mut unknown: Vec<FlagClaim> = Vec::new();
        for i in applicable() {
            let claims = if scope == FlagScope::AllTime || current(&i) {
                &mut flags
            } else if unknown_at(&i) {
                &mut unknown
            } else {
                continue;
            };
            let l = &all[i];
            for &flag in l.flags.iter().filter(|f| !overridden(l, **f)) {
                // One claim per (flag, source, dataset, name, interval): an OFAC address listed
                // for two assets is one sanction of that party.
                let repeated = claims.iter().any(|f| {
                    let same = &all[f.label];
                    f.flag == flag
                        && same.source == l.source
                        && same.valid_from == l.valid_from
                        && same.valid_to == l.valid_to
                        && same.dataset == l.dataset
                        && same.name == l.name
                });
                if repeated {
                    continue;
                }
                claims.push(FlagClaim {
                    flag,
                    source: l.source,
                    dataset: l.dataset.clone(),
                    name: l.name.clone(),
                    valid_from: l.valid_from,
                    valid_to: l.valid_to,
                    unknown_start: l.unknown_start,
                    confidence: l.confidence,
                    label: i,
                });
            }
        }
        // Riskiest flag first, then the strongest claim (stable: strength order otherwise).
        flags.sort_by_key(|f| (f.flag, std::cmp::Reverse(f.confidence)));
        unknown.sort_by_key(|f| (f.flag, std::cmp::Reverse(f.confidence)));
        let strongest_current = |on: &dyn Fn(&Label) -> bool| {
            applicable()
                .find(|i| on(&all[*i]) && current(i))
                .map(|i| all[i].name.clone())
        };
        let name = match &role {
            Some(role) => role.name.clone(),
            None => strongest_current(&on_chain)
                .or_else(|| strongest_current(&on_sibling))
                .or_else(|| flags.first().map(|f| f.name.clone()))
                .or_else(|| unknown.first().map(|f| f.name.clone()))?,
        };
        Some(Resolved {
            name,
            role,
            flags,
            unknown,
        })
    }
}
