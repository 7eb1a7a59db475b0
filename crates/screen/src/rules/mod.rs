//! The risk rule table: how what an address is and what it touched become a risk level and an
//! alert.
//!
//! The table is data, in the manner of Chainalysis KYT alert rules: each rule names a category
//! (or a severity class), a direction, a kind of exposure, a hop range, USD and share
//! thresholds and whether lapsed (historical) flags count, and maps what it matches to a level
//! and an alert yes/no; the first matching rule wins. The built-in table is
//! `crates/screen/rules/default.toml` ([`RuleTable::builtin`]); a user's table is read from a
//! TOML file ([`RuleTable::load`], `--rules FILE`). docs/exposure.md shows the built-in table,
//! generated from it ([`RuleTable::markdown`]). Levels follow the vendors' vocabulary: Severe /
//! High / Medium / Low, with TRM's numeric scores 15 / 10 / 5 / 1.

mod load;
mod markdown;
mod table;

use chaintrail_labels::Category;
use serde::{Deserialize, Serialize};

pub use load::RulesError;
pub use table::{ExposureKind, Rule, RuleTable, Subject, Verdict, Way};

/// A risk level, ordered from least to most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum RiskLevel {
    /// TRM score 1; also what no rule matches.
    #[serde(alias = "low")]
    Low,
    /// TRM score 5.
    #[serde(alias = "medium")]
    Medium,
    /// TRM score 10.
    #[serde(alias = "high")]
    High,
    /// TRM score 15: the most severe level.
    #[serde(alias = "severe")]
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

    /// The level's name as reports print it and rule files give it (`"Severe"`, …).
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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

impl Severity {
    /// The class's name as rule files give it (`severity = "illicit"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Service => "service",
            Severity::Elevated => "elevated",
            Severity::Illicit => "illicit",
            Severity::Prohibited => "prohibited",
        }
    }
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
