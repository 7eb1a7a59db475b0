//! The risk rule table: how a category and an exposure become a risk level.
//!
//! The table is data ([`RULES`]) so that docs/exposure.md, the server's `/v1/rules` and the
//! scoring code cannot disagree. Levels follow the vendors' vocabulary: Severe / High / Medium /
//! Low, with TRM's numeric scores 15 / 10 / 5 / 1.

use chaintrail_labels::Category;
use serde::{Deserialize, Serialize};

/// A risk level, ordered from least to most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum RiskLevel {
    Low,
    Medium,
    High,
    Severe,
}

impl RiskLevel {
    /// TRM's numeric level: 15 Severe, 10 High, 5 Medium, 1 Low.
    pub fn score(self) -> u8 {
        match self {
            RiskLevel::Low => 1,
            RiskLevel::Medium => 5,
            RiskLevel::High => 10,
            RiskLevel::Severe => 15,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RiskLevel::Low => "Low",
            RiskLevel::Medium => "Medium",
            RiskLevel::High => "High",
            RiskLevel::Severe => "Severe",
        }
    }
}

/// How grave a category is, before amounts and hops are considered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Services and everything that is not risky in itself (exchanges, DEXs, bridges, miners).
    Service,
    /// Risky but lawful in many places: mixers, gambling.
    Elevated,
    /// Proceeds of crime: hacks, ransomware, darknet, scams, phishing, other financial crime,
    /// issuer-blocked addresses.
    Illicit,
    /// No de-minimis: sanctions, terrorism financing, child abuse.
    Prohibited,
}

/// The severity of a category.
pub fn severity(category: Category) -> Severity {
    match category {
        Category::Sanctioned | Category::Terrorism | Category::Abuse => Severity::Prohibited,
        Category::Hack
        | Category::Ransomware
        | Category::Darknet
        | Category::Scam
        | Category::Phishing
        | Category::FinancialCrime
        | Category::Blocked => Severity::Illicit,
        Category::Mixer | Category::Gambling => Severity::Elevated,
        _ => Severity::Service,
    }
}

/// One row of the rule table: for a severity and a kind of exposure, the level reached when the
/// exposure meets `min_usd` **or** `min_share` (of the subject's volume in that direction), and
/// the level otherwise (`below`). Indirect rows apply up to `max_hops` hops.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Rule {
    pub severity: Severity,
    /// `ownership`, `direct` or `indirect`.
    pub kind: &'static str,
    /// Indirect rows only: the row applies to exposure found at most this many hops away.
    pub max_hops: Option<u32>,
    pub min_usd: f64,
    pub min_share: f64,
    pub level: RiskLevel,
    pub below: RiskLevel,
}

const fn rule(
    severity: Severity,
    kind: &'static str,
    max_hops: Option<u32>,
    min_usd: f64,
    min_share: f64,
    level: RiskLevel,
    below: RiskLevel,
) -> Rule {
    Rule {
        severity,
        kind,
        max_hops,
        min_usd,
        min_share,
        level,
        below,
    }
}

use RiskLevel::{High, Low, Medium, Severe};
use Severity::{Elevated, Illicit, Prohibited, Service};

/// The rule table, first matching row wins. Indirect amounts are discounted by
/// [`HOP_DISCOUNT`]`^(hops-1)` before they are compared (for scoring only; reports show the
/// undiscounted amounts per hop).
pub const RULES: &[Rule] = &[
    // The address itself.
    rule(Prohibited, "ownership", None, 0.0, 0.0, Severe, Severe),
    rule(Illicit, "ownership", None, 0.0, 0.0, Severe, Severe),
    rule(Elevated, "ownership", None, 0.0, 0.0, High, High),
    rule(Service, "ownership", None, 0.0, 0.0, Low, Low),
    // A counterparty of the address (hop 1).
    rule(Prohibited, "direct", None, 0.0, 0.0, Severe, Severe),
    rule(Illicit, "direct", None, 100.0, 0.05, High, Medium),
    rule(Elevated, "direct", None, 1_000.0, 0.10, Medium, Low),
    rule(Service, "direct", None, 0.0, 0.0, Low, Low),
    // Through unattributed intermediaries (hops 2..).
    rule(Prohibited, "indirect", Some(2), 1_000.0, 0.01, Severe, High),
    rule(Prohibited, "indirect", None, 100.0, 0.01, High, Medium),
    rule(Illicit, "indirect", None, 10_000.0, 0.10, High, Medium),
    rule(Elevated, "indirect", None, 10_000.0, 0.25, Medium, Low),
    rule(Service, "indirect", None, 0.0, 0.0, Low, Low),
];

/// Scoring discount per hop beyond the first.
pub const HOP_DISCOUNT: f64 = 0.5;

/// Level of an ownership identification.
pub fn ownership_level(category: Category) -> RiskLevel {
    level_of(severity(category), "ownership", 1, 0.0, 0.0)
}

/// Level of a counterparty exposure: `usd` already discounted, `share` of the direction's volume.
pub fn exposure_level(
    category: Category,
    direct: bool,
    hops: u32,
    usd: f64,
    share: f64,
) -> RiskLevel {
    let kind = if direct { "direct" } else { "indirect" };
    level_of(severity(category), kind, hops, usd, share)
}

fn level_of(severity: Severity, kind: &str, hops: u32, usd: f64, share: f64) -> RiskLevel {
    RULES
        .iter()
        .find(|r| r.severity == severity && r.kind == kind && r.max_hops.is_none_or(|m| hops <= m))
        .map_or(Low, |r| {
            let meets = (r.min_usd == 0.0 && r.min_share == 0.0)
                || usd >= r.min_usd
                || share >= r.min_share;
            if meets { r.level } else { r.below }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanctions_have_no_de_minimis() {
        assert_eq!(ownership_level(Category::Sanctioned), Severe);
        assert_eq!(
            exposure_level(Category::Sanctioned, true, 1, 0.01, 0.0),
            Severe
        );
        assert_eq!(
            exposure_level(Category::Sanctioned, false, 2, 5_000.0, 0.0),
            Severe
        );
        assert_eq!(
            exposure_level(Category::Sanctioned, false, 2, 5.0, 0.0),
            High
        );
        assert_eq!(
            exposure_level(Category::Sanctioned, false, 4, 500.0, 0.0),
            High
        );
        assert_eq!(
            exposure_level(Category::Sanctioned, false, 4, 5.0, 0.0),
            Medium
        );
    }

    #[test]
    fn services_never_raise_risk() {
        for c in [
            Category::Exchange,
            Category::Dex,
            Category::Bridge,
            Category::Other,
        ] {
            assert_eq!(ownership_level(c), Low);
            assert_eq!(exposure_level(c, true, 1, 1e12, 1.0), Low);
        }
    }

    #[test]
    fn thresholds_for_illicit_and_mixers() {
        assert_eq!(exposure_level(Category::Hack, true, 1, 150.0, 0.0), High);
        assert_eq!(exposure_level(Category::Hack, true, 1, 50.0, 0.01), Medium);
        assert_eq!(exposure_level(Category::Hack, false, 3, 50.0, 0.5), High);
        assert_eq!(
            exposure_level(Category::Mixer, true, 1, 2_000.0, 0.0),
            Medium
        );
        assert_eq!(exposure_level(Category::Mixer, false, 2, 20.0, 0.01), Low);
        assert_eq!(ownership_level(Category::Mixer), High);
        assert_eq!(ownership_level(Category::Hack), Severe);
    }
}
