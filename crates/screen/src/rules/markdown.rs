//! A rule table as a markdown table, for docs/exposure.md (a test keeps the doc's copy of the
//! built-in table equal to this rendering).

use super::table::{ExposureKind, Rule, RuleTable};

fn dollars(value: f64) -> String {
    let whole = value.round() as u64;
    let digits = whole.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    format!("${out}")
}

fn applies_to(rule: &Rule) -> String {
    match (&rule.categories, rule.severity) {
        (Some(categories), _) => categories
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        (None, Some(severity)) => severity.as_str().to_string(),
        (None, None) => "any".to_string(),
    }
}

fn hops(rule: &Rule) -> String {
    match (rule.exposure, rule.min_hops, rule.max_hops) {
        (ExposureKind::Ownership, _, _) => "—".to_string(),
        (ExposureKind::Direct, _, _) => "1".to_string(),
        (ExposureKind::Indirect, min, max) => indirect_hops(min, max),
    }
}

fn indirect_hops(min: Option<u32>, max: Option<u32>) -> String {
    match (min, max) {
        (None, None) => "≥ 2".to_string(),
        (Some(min), None) => format!("≥ {min}"),
        (None, Some(max)) => format!("≤ {max}"),
        (Some(min), Some(max)) => format!("{min}–{max}"),
    }
}

fn threshold(rule: &Rule) -> String {
    let usd = rule.min_usd.map(|v| format!("≥ {}", dollars(v)));
    // Hundredths of a percent, without float noise (7%, not 7.000000000000001%).
    let share = rule
        .min_share
        .map(|v| format!("≥ {}%", (v * 10_000.0).round() / 100.0));
    match (usd, share) {
        (None, None) if rule.exposure == ExposureKind::Ownership => "—".to_string(),
        (None, None) => "any amount".to_string(),
        (Some(u), None) => u,
        (None, Some(s)) => s,
        (Some(u), Some(s)) => format!("{u} or {s}"),
    }
}

fn direction(rule: &Rule) -> &'static str {
    match rule.exposure {
        ExposureKind::Ownership => "—",
        _ => rule.direction.as_str(),
    }
}

fn historical(rule: &Rule) -> &'static str {
    match (rule.exposure, rule.historical) {
        (ExposureKind::Ownership, _) => "—",
        (_, None) => "count",
        (_, Some(true)) => "only",
        (_, Some(false)) => "do not count",
    }
}

impl RuleTable {
    /// The table as markdown: one row per rule, in order, and the hop discount.
    pub fn markdown(&self) -> String {
        let mut out = String::from(
            "| # | rule | applies to | exposure | direction | hops | threshold | lapsed flags | \
             level | alert |\n|---:|---|---|---|---|---|---|---|---|---|\n",
        );
        for (i, rule) in self.rules.iter().enumerate() {
            out.push_str(&format!(
                "| {} | `{}` | {} | {} | {} | {} | {} | {} | {} | {} |\n",
                i + 1,
                rule.name,
                applies_to(rule),
                rule.exposure.as_str(),
                direction(rule),
                hops(rule),
                threshold(rule),
                historical(rule),
                rule.level.as_str(),
                if rule.alert { "yes" } else { "no" },
            ));
        }
        out.push_str(&format!(
            "\nIndirect amounts and shares count {} of their value per hop beyond the first \
             (`hop_discount`). No rule matched: Low, no alert.\n",
            self.hop_discount
        ));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollars_are_grouped_by_thousands() {
        assert_eq!(dollars(100.0), "$100");
        assert_eq!(dollars(1_000.0), "$1,000");
        assert_eq!(dollars(10_000.0), "$10,000");
        assert_eq!(dollars(1_234_567.0), "$1,234,567");
    }

    #[test]
    fn the_builtin_table_renders_one_row_per_rule() {
        let text = RuleTable::builtin().markdown();
        assert!(text.contains(
            "| 16 | `indirect-outgoing` | any | indirect | outgoing | ≥ 2 | any amount | count | \
             Low | no |"
        ));
        assert!(text.contains(
            "| 8 | `prohibited-indirect-incoming-near` | prohibited | indirect | incoming | ≤ 2 | \
             ≥ $5,000 or ≥ 10% | count | Severe | yes |"
        ));
    }
}
