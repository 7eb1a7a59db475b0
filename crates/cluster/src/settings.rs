//! What a clustering build does: which heuristics run, which merges enter the partition, and
//! when a component counts as collapsing. Kept in the manifest, so an update after an import
//! applies the settings of the last `cluster build`.

use serde::{Deserialize, Serialize};

/// The settings of a clustering build.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// Refuse a merge that would join two clusters carrying different service labels (and
    /// record it as a conflict). Off only to reproduce a plain multi-input partition.
    pub label_guard: bool,
    /// Change-address heuristics (Bitcoin).
    pub change: ChangeSettings,
    /// Merge the EOAs paying into one exchange deposit address (account chains).
    pub deposit_reuse: bool,
    /// Airdrop multi-participation (account chains). Absent in settings saved before it
    /// existed: the defaults.
    #[serde(default)]
    pub airdrop: AirdropSettings,
    /// A component passing this many addresses is reported as a possible collapse…
    pub collapse_addresses: u32,
    /// …or this share of the addresses seen so far (never below 1,000 addresses).
    pub collapse_share: f64,
}

/// Which change heuristics run, and from which confidence their merges enter the partition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeSettings {
    /// The one output of the inputs' script type is change.
    pub address_type: bool,
    /// When every other output is a round amount (a multiple of 0.01 BTC), the one that is not
    /// is change.
    pub round_amount: bool,
    /// The one output whose address appears for the first time is change.
    pub fresh_address: bool,
    /// The one output smaller than the smallest input is change.
    pub optimal_change: bool,
    /// In a peel step spending the remainder of a peel step, the large fresh leg is change
    /// (Kappos et al. 2022). Absent in settings saved before it existed: off there.
    #[serde(default)]
    pub peel_chain: bool,
    /// The one output whose spender shares the transaction's wallet fingerprint (nVersion,
    /// nLockTime habit, RBF) while the others' spenders do not is change; decided when every
    /// output is spent. Absent in settings saved before it existed: off there.
    #[serde(default)]
    pub fingerprint: bool,
    /// Change merges at or above this confidence join the partition; `None` (the default)
    /// records them as evidence only.
    pub apply_at: Option<f64>,
}

impl Default for ChangeSettings {
    fn default() -> ChangeSettings {
        ChangeSettings {
            address_type: true,
            round_amount: true,
            fresh_address: true,
            optimal_change: true,
            peel_chain: true,
            fingerprint: true,
            apply_at: None,
        }
    }
}

impl ChangeSettings {
    /// No change heuristic runs.
    pub fn off() -> ChangeSettings {
        ChangeSettings {
            address_type: false,
            round_amount: false,
            fresh_address: false,
            optimal_change: false,
            peel_chain: false,
            fingerprint: false,
            apply_at: None,
        }
    }

    /// Does any change heuristic run?
    pub fn any(&self) -> bool {
        self.address_type
            || self.round_amount
            || self.fresh_address
            || self.optimal_change
            || self.peel_chain
            || self.fingerprint
    }
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            label_guard: true,
            change: ChangeSettings::default(),
            deposit_reuse: true,
            airdrop: AirdropSettings::default(),
            collapse_addresses: 10_000,
            collapse_share: 0.01,
        }
    }
}

/// Airdrop detection settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AirdropSettings {
    /// Look for farms at all (account chains).
    pub detect: bool,
    /// A distributor pays at least this many distinct recipients the same amount.
    pub min_recipients: u32,
    /// The median gap between consecutive payments of a drop, in blocks.
    pub max_median_gap: u64,
    /// Farm merges enter the partition; otherwise they are evidence only.
    pub apply: bool,
}

impl Default for AirdropSettings {
    fn default() -> AirdropSettings {
        AirdropSettings {
            detect: true,
            min_recipients: 1_000,
            max_median_gap: 2,
            apply: false,
        }
    }
}

/// Collapse thresholds never go below this many addresses (early in a chain, 1 % is tiny).
const COLLAPSE_FLOOR: u64 = 1_000;

impl Settings {
    /// The plain multi-input heuristic with CoinJoins excluded, as GraphSense and BlockSci
    /// cluster: no labels, no change, no deposit reuse.
    pub fn multi_input_only() -> Settings {
        Settings {
            label_guard: false,
            change: ChangeSettings::off(),
            deposit_reuse: false,
            airdrop: AirdropSettings {
                detect: false,
                ..AirdropSettings::default()
            },
            ..Settings::default()
        }
    }

    /// The component size reported as a collapse once `seen` addresses have appeared.
    pub fn collapse_threshold(&self, seen: u64) -> u64 {
        let share = (self.collapse_share * seen as f64).ceil() as u64;
        u64::from(self.collapse_addresses).min(share.max(COLLAPSE_FLOOR))
    }

    /// Refuse settings that make no sense, naming the value.
    pub fn check(&self) -> Result<(), String> {
        if let Some(t) = self.change.apply_at
            && !(0.0..=1.0).contains(&t)
        {
            return Err(format!(
                "change confidence threshold {t} is not a fraction from 0 to 1"
            ));
        }
        if self.airdrop.min_recipients < 2 {
            return Err(format!(
                "an airdrop pays at least 2 recipients, not {}",
                self.airdrop.min_recipients
            ));
        }
        if !(0.0..=1.0).contains(&self.collapse_share) {
            return Err(format!(
                "collapse share {} is not a fraction from 0 to 1",
                self.collapse_share
            ));
        }
        Ok(())
    }
}
