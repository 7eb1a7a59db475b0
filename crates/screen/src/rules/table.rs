//! The rules and how the first matching one judges an ownership or an exposure.

use std::path::{Path, PathBuf};

use chaintrail_labels::Category;
use serde::{Deserialize, Serialize};

use super::{RiskLevel, Severity, severity};
use crate::model::{Direction, Exposure, ExposureType};

/// What a rule looks at: the address's own labels or its counterparties at hop 1 or beyond.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExposureKind {
    /// The address's own labels.
    Ownership,
    /// Counterparties at hop 1.
    Direct,
    /// Entities reached beyond hop 1, through unattributed intermediaries.
    Indirect,
}

impl ExposureKind {
    /// The kind's name as rule files give it (`exposure = "direct"`).
    pub fn as_str(self) -> &'static str {
        match self {
            ExposureKind::Ownership => "ownership",
            ExposureKind::Direct => "direct",
            ExposureKind::Indirect => "indirect",
        }
    }
}

impl From<ExposureType> for ExposureKind {
    fn from(t: ExposureType) -> Self {
        match t {
            ExposureType::Direct => ExposureKind::Direct,
            ExposureType::Indirect => ExposureKind::Indirect,
        }
    }
}

/// The direction a rule applies to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Way {
    /// Only value the address received (sources of funds).
    Incoming,
    /// Only value the address sent (destinations of funds).
    Outgoing,
    /// Either direction (and ownership, which has none): the default.
    #[default]
    Any,
}

impl Way {
    /// The direction's name as rule files give it (`direction = "incoming"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Way::Incoming => "incoming",
            Way::Outgoing => "outgoing",
            Way::Any => "any",
        }
    }

    fn admits(self, direction: Option<Direction>) -> bool {
        matches!(
            (self, direction),
            (Way::Any, _)
                | (Way::Incoming, Some(Direction::Incoming))
                | (Way::Outgoing, Some(Direction::Outgoing))
        )
    }
}

/// One rule of the table. Every condition given must hold for the rule to match; an absent
/// condition matches anything. Thresholds: the rule matches when the (hop-discounted) USD
/// reaches `min_usd` **or** the (hop-discounted) share of the address's volume in that
/// direction reaches `min_share`, whichever of the two are given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Named in the risk reason of what the rule judged ("… — rule `prohibited-direct`").
    pub name: String,
    /// The categories the rule applies to (or give `severity`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub categories: Option<Vec<Category>>,
    /// The severity class the rule applies to (or give `categories`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    /// What the rule judges: ownership, direct or indirect exposure.
    pub exposure: ExposureKind,
    /// The direction the rule applies to; any when absent.
    #[serde(default)]
    pub direction: Way,
    /// Indirect only: the fewest hops at which the entity was reached must be at least this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_hops: Option<u32>,
    /// Indirect only: … and at most this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_hops: Option<u32>,
    /// A USD amount (hop-discounted for indirect exposure); see the thresholds above.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_usd: Option<f64>,
    /// A fraction, 0 to 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_share: Option<f64>,
    /// `false`: only exposure whose flag still holds at the screening date; `true`: only
    /// exposure whose flag held on the day of the transfer and has lapsed since (a delisted
    /// sanction); absent: both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub historical: Option<bool>,
    /// The level a match sets.
    pub level: RiskLevel,
    /// Does a match raise an alert for review?
    pub alert: bool,
}

/// What the table judges: an ownership identification or an exposure, in scoring terms.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Subject {
    /// The category judged: the label's, or the one the entity counts under.
    pub category: Category,
    /// Ownership, direct or indirect exposure.
    pub kind: ExposureKind,
    /// `None` for ownership.
    pub direction: Option<Direction>,
    /// Fewest hops (0 for ownership, 1 for direct exposure).
    pub hops: u32,
    /// USD, discounted per hop beyond the first.
    pub usd: f64,
    /// Discounted USD over the address's volume in the direction.
    pub share: f64,
    /// The flag held on the days of the transfers but no longer holds at the screening date.
    pub historical: bool,
}

/// The table's answer: the level, the rule that set it (`None`: no rule matched, Low) and
/// whether it raises an alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    /// The level set: the matching rule's, or Low when none matched.
    pub level: RiskLevel,
    /// The name of the matching rule; `None` when none matched.
    pub rule: Option<String>,
    /// Whether the matching rule raises an alert (`false` when none matched).
    pub alert: bool,
}

impl Rule {
    fn matches(&self, s: &Subject) -> bool {
        let thresholds = match (self.min_usd, self.min_share) {
            (None, None) => true,
            (usd, share) => {
                usd.is_some_and(|min| s.usd >= min) || share.is_some_and(|min| s.share >= min)
            }
        };
        self.exposure == s.kind
            && self
                .categories
                .as_ref()
                .is_none_or(|c| c.contains(&s.category))
            && self.severity.is_none_or(|v| v == severity(s.category))
            && self.direction.admits(s.direction)
            && self.min_hops.is_none_or(|m| s.hops >= m)
            && self.max_hops.is_none_or(|m| s.hops <= m)
            && self.historical.is_none_or(|h| h == s.historical)
            && thresholds
    }
}

/// A rule table: the rules in order (first match wins) and the per-hop discount of indirect
/// amounts for scoring.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleTable {
    /// Indirect USD and shares are multiplied by `hop_discount^(hops-1)` before they are
    /// compared with thresholds (reports show undiscounted amounts).
    pub hop_discount: f64,
    /// The rules, in the order they are tried: the first match wins.
    pub rules: Vec<Rule>,
    /// The file the table was read from (`None`: the built-in table).
    pub source: Option<PathBuf>,
}

/// The built-in table's file, compiled in.
const BUILTIN_TOML: &str = include_str!("../../rules/default.toml");

impl RuleTable {
    /// The built-in table (`crates/screen/rules/default.toml`, shown in docs/exposure.md).
    pub fn builtin() -> RuleTable {
        // Compiled-in data, parsed by a test: it cannot fail at run time.
        RuleTable::parse(BUILTIN_TOML, Path::new("built-in rules"))
            .map(|mut table| {
                table.source = None;
                table
            })
            .expect("the built-in rule table parses (tested)")
    }

    /// The built-in table's TOML text: a starting point for a table of one's own.
    pub fn builtin_text() -> &'static str {
        BUILTIN_TOML
    }

    /// A digest of the discount and every rule, in order: what an exposure index built with
    /// this table depends on.
    pub fn fingerprint(&self) -> u32 {
        let mut hasher = crc32fast::Hasher::new();
        hasher.update(&self.hop_discount.to_le_bytes());
        for rule in &self.rules {
            // Serialising plain data to JSON cannot fail; an empty digest part would only make
            // the index stale.
            hasher.update(&serde_json::to_vec(rule).unwrap_or_default());
        }
        hasher.finalize()
    }

    /// Where the table comes from, for messages: the file, or `built-in`.
    pub fn source_text(&self) -> String {
        self.source
            .as_ref()
            .map_or_else(|| "built-in".to_string(), |p| p.display().to_string())
    }

    /// The first rule matching `subject`, or Low with no rule and no alert.
    pub fn judge(&self, subject: &Subject) -> Verdict {
        self.rules.iter().find(|r| r.matches(subject)).map_or(
            Verdict {
                level: RiskLevel::Low,
                rule: None,
                alert: false,
            },
            |r| Verdict {
                level: r.level,
                rule: Some(r.name.clone()),
                alert: r.alert,
            },
        )
    }

    /// The verdict on an identification of the address itself as `category`.
    pub fn judge_ownership(&self, category: Category) -> Verdict {
        self.judge(&Subject {
            category,
            kind: ExposureKind::Ownership,
            direction: None,
            hops: 0,
            usd: 0.0,
            share: 0.0,
            historical: false,
        })
    }

    /// The verdict on an exposure: its USD discounted per hop, its share scaled alike.
    pub fn judge_exposure(&self, e: &Exposure) -> Verdict {
        let discounted: f64 = e
            .by_hop
            .iter()
            .map(|h| h.usd * self.hop_discount.powi(h.hops.saturating_sub(1) as i32))
            .sum();
        let share = if e.usd > 0.0 {
            e.share * discounted / e.usd
        } else {
            0.0
        };
        self.judge(&Subject {
            category: e.category,
            kind: e.exposure_type.into(),
            direction: Some(e.direction),
            hops: e.min_hops,
            usd: discounted,
            share,
            historical: e.lapsed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::HopValue;
    use RiskLevel::{High, Low, Medium, Severe};

    fn exposure(category: Category, direction: Direction, hops: u32, usd: f64) -> Exposure {
        Exposure {
            category,
            entity: "someone".to_string(),
            direction,
            exposure_type: if hops <= 1 {
                ExposureType::Direct
            } else {
                ExposureType::Indirect
            },
            min_hops: hops,
            usd,
            values: Vec::new(),
            by_hop: vec![HopValue { hops, usd }],
            share: 0.0,
            level: Low,
            rule: None,
            alert: false,
            listing_unknown: false,
            lapsed: false,
            first_day: None,
            last_day: None,
            paths: Vec::new(),
            via_cluster: None,
        }
    }

    fn level(category: Category, direction: Direction, hops: u32, usd: f64) -> (RiskLevel, String) {
        let v = RuleTable::builtin().judge_exposure(&exposure(category, direction, hops, usd));
        (v.level, v.rule.unwrap_or_default())
    }

    #[test]
    fn sanctions_have_no_de_minimis_when_sent_or_received_directly() {
        let table = RuleTable::builtin();
        let own = table.judge_ownership(Category::Sanctioned);
        assert_eq!(
            (own.level, own.rule.as_deref(), own.alert),
            (Severe, Some("prohibited-ownership"), true)
        );
        for direction in [Direction::Incoming, Direction::Outgoing] {
            assert_eq!(
                level(Category::Sanctioned, direction, 1, 0.01),
                (Severe, "prohibited-direct".to_string())
            );
        }
    }

    #[test]
    fn incoming_indirect_is_scored_by_distance_and_amount() {
        use Direction::Incoming;
        // $10,000 at 2 hops counts $5,000 after the discount, $200,000 at 4 hops $25,000.
        let cases = [
            (2, 10_000.0, Severe, "prohibited-indirect-incoming-near"),
            (
                2,
                9_999.0,
                Medium,
                "prohibited-indirect-incoming-near-small",
            ),
            (2, 5.0, Medium, "prohibited-indirect-incoming-near-small"),
            (4, 200_000.0, High, "prohibited-indirect-incoming"),
            (4, 199_000.0, Medium, "prohibited-indirect-incoming-small"),
        ];
        for (hops, usd, want, rule) in cases {
            assert_eq!(
                level(Category::Sanctioned, Incoming, hops, usd),
                (want, rule.to_string()),
                "{hops} hops, ${usd}"
            );
        }
    }

    #[test]
    fn outgoing_indirect_exposure_is_at_most_medium() {
        use Direction::Outgoing;
        assert_eq!(
            level(Category::Sanctioned, Outgoing, 2, 1e9),
            (Medium, "prohibited-indirect-outgoing-near".to_string())
        );
        assert_eq!(
            level(Category::Sanctioned, Outgoing, 3, 1e9),
            (Low, "indirect-outgoing".to_string())
        );
        assert_eq!(
            level(Category::Hack, Outgoing, 2, 1e9),
            (Low, "indirect-outgoing".to_string())
        );
    }

    #[test]
    fn services_never_raise_risk() {
        let table = RuleTable::builtin();
        for c in [
            Category::Exchange,
            Category::Dex,
            Category::Bridge,
            Category::Other,
        ] {
            assert_eq!(table.judge_ownership(c).level, Low);
            for direction in [Direction::Incoming, Direction::Outgoing] {
                assert_eq!(level(c, direction, 1, 1e12).0, Low);
            }
        }
    }

    #[test]
    fn thresholds_for_illicit_and_mixers() {
        use Direction::{Incoming, Outgoing};
        assert_eq!(level(Category::Hack, Incoming, 1, 150.0).0, High);
        assert_eq!(level(Category::Hack, Outgoing, 1, 150.0).0, High);
        assert_eq!(level(Category::Hack, Incoming, 1, 50.0).0, Medium);
        assert_eq!(level(Category::Hack, Incoming, 3, 50_000.0).0, High);
        assert_eq!(level(Category::Hack, Incoming, 3, 30_000.0).0, Medium);
        assert_eq!(level(Category::Mixer, Outgoing, 1, 2_000.0).0, Medium);
        assert_eq!(level(Category::Mixer, Incoming, 2, 20.0).0, Low);
        let table = RuleTable::builtin();
        assert_eq!(table.judge_ownership(Category::Mixer).level, High);
        assert_eq!(table.judge_ownership(Category::Hack).level, Severe);
    }

    #[test]
    fn a_historical_condition_separates_lapsed_flags() {
        let mut table = RuleTable::builtin();
        table.rules.insert(
            0,
            Rule {
                name: "lapsed-sanctions".to_string(),
                categories: Some(vec![Category::Sanctioned]),
                severity: None,
                exposure: ExposureKind::Direct,
                direction: Way::Any,
                min_hops: None,
                max_hops: None,
                min_usd: None,
                min_share: None,
                historical: Some(true),
                level: High,
                alert: true,
            },
        );
        let mut e = exposure(Category::Sanctioned, Direction::Outgoing, 1, 100.0);
        assert_eq!(
            table.judge_exposure(&e).rule.as_deref(),
            Some("prohibited-direct")
        );
        e.lapsed = true;
        let v = table.judge_exposure(&e);
        assert_eq!(
            (v.level, v.rule.as_deref()),
            (High, Some("lapsed-sanctions"))
        );
        assert_ne!(table.fingerprint(), RuleTable::builtin().fingerprint());
    }
}
