//! The overall verdict on a screening: its risk (the highest level of its ownership and
//! exposures), the sentence naming what drives it and the rule that rated it, and the alerts.

use chaintrail_labels::{Category, Date};

use crate::model::{Direction, Exposure, ExposureType, Ownership, Screening};
use crate::rules::{RiskLevel, RuleTable};

/// The overall verdict of a screening.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    /// The highest level of the ownership and the exposures; Low when there are none.
    pub risk: RiskLevel,
    /// One sentence naming what drives `risk` (the identification, or the exposure with the most
    /// USD at that level) and its rule; `None` when the risk is Low.
    pub reason: Option<String>,
    /// The rule that rated what drives `risk`; `None` when the risk is Low.
    pub rule: Option<String>,
    /// The names of the rules that raised an alert, most severe first, each once.
    pub alerts: Vec<String>,
}

/// "on D", or "between D1 and D2".
fn days_text(first: Date, last: Date) -> String {
    if first == last {
        format!("on {first}")
    } else {
        format!("between {first} and {last}")
    }
}

/// What the days of an exposure say: for a sanction, that the party was sanctioned on the day
/// the value moved (and whether it still is); otherwise when it moved.
fn when(e: &Exposure, at: Date) -> String {
    let (Some(first), Some(last)) = (e.first_day, e.last_day) else {
        return String::new();
    };
    let days = days_text(first, last);
    let mut text = if e.category == Category::Sanctioned {
        let what = match (e.direction, e.exposure_type) {
            (Direction::Outgoing, ExposureType::Direct) => "sent to a then-sanctioned party",
            (Direction::Incoming, ExposureType::Direct) => "received from a then-sanctioned party",
            (Direction::Outgoing, ExposureType::Indirect) => {
                "sent value that reached a then-sanctioned party"
            }
            (Direction::Incoming, ExposureType::Indirect) => {
                "received value that left a then-sanctioned party"
            }
        };
        format!("; {what} {days}")
    } else {
        format!("; {days}")
    };
    if e.lapsed {
        text.push_str(&format!(" (no longer {} on {at})", e.category));
    }
    if e.listing_unknown {
        text.push_str(" (listing date unknown: counted out of caution)");
    }
    text
}

fn rule_text(rule: &Option<String>) -> String {
    rule.as_ref()
        .map_or_else(String::new, |r| format!(" — rule `{r}`"))
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

/// The sentence for an exposure that drives the risk.
fn exposure_reason(e: &Exposure, at: Date) -> String {
    let kind = match e.exposure_type {
        ExposureType::Direct => "direct",
        ExposureType::Indirect => "indirect",
    };
    let direction = match e.direction {
        Direction::Incoming => "incoming",
        Direction::Outgoing => "outgoing",
    };
    let hops = if e.min_hops > 1 {
        format!(" from {} hops", e.min_hops)
    } else {
        String::new()
    };
    format!(
        "{} {direction} exposure to {} ({}): ${:.2}{hops}{}{}",
        capitalise(kind),
        e.entity,
        e.category,
        e.usd,
        when(e, at),
        rule_text(&e.rule)
    )
}

/// The overall level (max over ownership and exposures; ownership first on a tie), a sentence
/// naming what drives it and its rule, and the rules that raised alerts (most severe first).
pub fn assess(ownership: &[Ownership], exposures: &[Exposure], at: Date) -> Assessment {
    let own = ownership.iter().max_by_key(|o| o.level);
    let exp = exposures.iter().max_by(|a, b| {
        a.level.cmp(&b.level).then(
            a.usd
                .partial_cmp(&b.usd)
                .unwrap_or(std::cmp::Ordering::Equal),
        )
    });
    let mut alerting: Vec<(RiskLevel, &String)> = ownership
        .iter()
        .filter(|o| o.alert)
        .filter_map(|o| Some((o.level, o.rule.as_ref()?)))
        .chain(
            exposures
                .iter()
                .filter(|e| e.alert)
                .filter_map(|e| Some((e.level, e.rule.as_ref()?))),
        )
        .collect();
    alerting.sort_by_key(|a| std::cmp::Reverse(a.0));
    let mut alerts: Vec<String> = Vec::new();
    for (_, rule) in alerting {
        if !alerts.contains(rule) {
            alerts.push(rule.clone());
        }
    }
    let own_level = own.map_or(RiskLevel::Low, |o| o.level);
    let exp_level = exp.map_or(RiskLevel::Low, |e| e.level);
    let (risk, reason, rule) = match (own, exp) {
        (Some(o), _) if own_level >= exp_level && own_level > RiskLevel::Low => (
            own_level,
            Some(format!(
                "Identified as {} ({}){}",
                o.name,
                o.category,
                rule_text(&o.rule)
            )),
            o.rule.clone(),
        ),
        (_, Some(e)) if e.level > RiskLevel::Low => {
            (e.level, Some(exposure_reason(e, at)), e.rule.clone())
        }
        _ => (RiskLevel::Low, None, None),
    };
    Assessment {
        risk,
        reason,
        rule,
        alerts,
    }
}

/// Rate a screening again with another rule table: every identification and exposure, then the
/// overall verdict. What the walk found does not depend on the table, so this answers as a new
/// screening with `rules` would (exposures are then re-sorted by their new levels).
pub fn rescore(screening: &mut Screening, rules: &RuleTable) {
    for o in &mut screening.ownership {
        let v = rules.judge_ownership(o.category);
        (o.level, o.rule, o.alert) = (v.level, v.rule, v.alert);
    }
    for o in &mut screening.ownership_unknown {
        let v = rules.judge_ownership(o.category);
        (o.level, o.rule, o.alert) = (v.level, v.rule, v.alert);
    }
    for e in &mut screening.exposures {
        let v = rules.judge_exposure(e);
        (e.level, e.rule, e.alert) = (v.level, v.rule, v.alert);
    }
    sort_exposures(&mut screening.exposures);
    let verdict = assess(&screening.ownership, &screening.exposures, screening.at);
    screening.risk = verdict.risk;
    screening.risk_reason = verdict.reason;
    screening.risk_rule = verdict.rule;
    screening.alerts = verdict.alerts;
}

/// Most severe first, then largest.
pub(crate) fn sort_exposures(exposures: &mut [Exposure]) {
    exposures.sort_by(|a, b| {
        b.level.cmp(&a.level).then(
            b.usd
                .partial_cmp(&a.usd)
                .unwrap_or(std::cmp::Ordering::Equal),
        )
    });
}
