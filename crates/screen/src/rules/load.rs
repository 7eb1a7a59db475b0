//! Reading a rule table from TOML, with errors that name the file, the line and the field.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::table::{ExposureKind, Rule, RuleTable, Way};

/// A rules file that cannot be used: where, which field, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("rules file {}, line {line}{}: {message}", path.display(), field_text(.field))]
pub struct RulesError {
    /// The rules file.
    pub path: PathBuf,
    /// 1-based line of the offending value or rule (1 when the file as a whole is wrong).
    pub line: usize,
    /// The field at fault (`min_usd`, `level`, …); `None` when the problem is not one field's.
    pub field: Option<String>,
    /// What is wrong with the value or the rule.
    pub message: String,
}

fn field_text(field: &Option<String>) -> String {
    field
        .as_ref()
        .map_or_else(String::new, |f| format!(", field `{f}`"))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    #[serde(default = "default_hop_discount")]
    hop_discount: Spanned<f64>,
    #[serde(default)]
    rule: Vec<Spanned<Rule>>,
}

fn default_hop_discount() -> Spanned<f64> {
    Spanned::new(0..0, 0.5)
}

fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset.min(text.len()))
        .map_or(1, |before| before.matches('\n').count() + 1)
}

/// The key a TOML error points at: the key of the `key = value` line its span is on, else the
/// field its message names (`missing field `level``).
fn field_of(text: &str, span: Option<&Range<usize>>, message: &str) -> Option<String> {
    let named = ["missing field `", "unknown field `", "duplicate key `"]
        .iter()
        .find_map(|prefix| {
            let rest = &message[message.find(prefix)? + prefix.len()..];
            Some(rest[..rest.find('`')?].to_string())
        });
    if named.is_some() {
        return named;
    }
    let start = span?.start.min(text.len());
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line = &text[line_start..];
    let line = &line[..line.find('\n').unwrap_or(line.len())];
    let (key, _) = line.split_once('=')?;
    let key = key.trim();
    (!key.is_empty() && !key.starts_with('[') && !key.starts_with('#')).then(|| key.to_string())
}

/// Where `key = …` is written in the rule whose `[[rule]]` header is at `header` (its keys run
/// to the next table header), if it is.
fn key_offset(text: &str, header: &Range<usize>, key: &str) -> Option<usize> {
    let mut offset = header.end.min(text.len());
    for line in text[offset..].split_inclusive('\n') {
        let trimmed = line.trim_start();
        if trimmed.starts_with('[') {
            break;
        }
        if trimmed.split_once('=').map(|(k, _)| k.trim()) == Some(key) {
            return Some(offset);
        }
        offset += line.len();
    }
    None
}

impl RuleTable {
    /// Read a rule table from a TOML file (format: docs/exposure.md, "Rule table").
    pub fn load(path: &Path) -> Result<RuleTable, RulesError> {
        let text = std::fs::read_to_string(path).map_err(|e| RulesError {
            path: path.to_path_buf(),
            line: 1,
            field: None,
            message: format!("cannot read it: {e}"),
        })?;
        RuleTable::parse(&text, path)
    }

    /// Parse a rule table from TOML text; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<RuleTable, RulesError> {
        let error = |offset: usize, field: Option<&str>, message: String| RulesError {
            path: path.to_path_buf(),
            line: line_of(text, offset),
            field: field.map(str::to_string),
            message,
        };
        let raw: RawTable = toml::from_str(text).map_err(|e| {
            let span = e.span();
            let message = e.message().trim().to_string();
            RulesError {
                path: path.to_path_buf(),
                line: span.as_ref().map_or(1, |s| line_of(text, s.start)),
                field: field_of(text, span.as_ref(), &message),
                message,
            }
        })?;
        let hop_discount = *raw.hop_discount.get_ref();
        if !(hop_discount > 0.0 && hop_discount <= 1.0) {
            return Err(error(
                raw.hop_discount.span().start,
                Some("hop_discount"),
                format!("{hop_discount} is not in (0, 1]: the fraction of value counted per hop"),
            ));
        }
        if raw.rule.is_empty() {
            return Err(error(
                0,
                None,
                "no [[rule]]: a table without rules rates everything Low; start from the \
                 built-in table in docs/exposure.md"
                    .to_string(),
            ));
        }
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut rules = Vec::with_capacity(raw.rule.len());
        for spanned in raw.rule {
            let span = spanned.span();
            let start = span.start;
            let rule = spanned.into_inner();
            let at = |field: &str, message: String| {
                error(
                    key_offset(text, &span, field).unwrap_or(start),
                    Some(field),
                    format!("rule `{}`: {message}", rule.name),
                )
            };
            check(&rule).map_err(|(field, message)| at(field, message))?;
            if let Some(first) = seen.insert(rule.name.clone(), line_of(text, start)) {
                return Err(at(
                    "name",
                    format!("the name is already used by the rule on line {first}"),
                ));
            }
            rules.push(rule);
        }
        Ok(RuleTable {
            hop_discount,
            rules,
            source: Some(path.to_path_buf()),
        })
    }
}

/// What is wrong with a rule on its own: the field and why.
fn check(rule: &Rule) -> Result<(), (&'static str, String)> {
    if rule.name.trim().is_empty() {
        return Err((
            "name",
            "a rule needs a name (it is named in risk reasons)".into(),
        ));
    }
    if rule.categories.is_some() && rule.severity.is_some() {
        return Err((
            "severity",
            "give `categories` or `severity`, not both".into(),
        ));
    }
    if rule.categories.as_ref().is_some_and(Vec::is_empty) {
        return Err(("categories", "an empty list matches nothing".into()));
    }
    let not_for = |field: &'static str, kind: &str| {
        Err((field, format!("does not apply to `exposure = \"{kind}\"`")))
    };
    match rule.exposure {
        ExposureKind::Ownership => {
            if rule.direction != Way::Any {
                return not_for("direction", "ownership");
            }
            if rule.min_usd.is_some() {
                return not_for("min_usd", "ownership");
            }
            if rule.min_share.is_some() {
                return not_for("min_share", "ownership");
            }
            if rule.historical.is_some() {
                return not_for("historical", "ownership");
            }
        }
        ExposureKind::Direct | ExposureKind::Indirect => {}
    }
    if rule.exposure != ExposureKind::Indirect {
        let kind = rule.exposure.as_str();
        if rule.min_hops.is_some() {
            return not_for("min_hops", kind);
        }
        if rule.max_hops.is_some() {
            return not_for("max_hops", kind);
        }
    }
    if let (Some(min), Some(max)) = (rule.min_hops, rule.max_hops)
        && min > max
    {
        return Err(("max_hops", format!("{max} is below min_hops {min}")));
    }
    if rule.max_hops.is_some_and(|m| m < 2) {
        return Err(("max_hops", "indirect exposure is at 2 hops or more".into()));
    }
    if rule.min_usd.is_some_and(|v| !(v.is_finite() && v >= 0.0)) {
        return Err(("min_usd", "must be a non-negative number of dollars".into()));
    }
    if rule.min_share.is_some_and(|v| !(0.0..=1.0).contains(&v)) {
        return Err(("min_share", "must be a fraction from 0 to 1".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RiskLevel;

    fn parse(text: &str) -> Result<RuleTable, RulesError> {
        RuleTable::parse(text, Path::new("my-rules.toml"))
    }

    const ONE: &str = "[[rule]]\nname = \"a\"\nseverity = \"prohibited\"\nexposure = \"direct\"\n\
                       level = \"Severe\"\nalert = true\n";

    #[test]
    fn the_builtin_table_parses() {
        let table = RuleTable::builtin();
        assert_eq!(table.rules.len(), 16);
        assert_eq!(table.hop_discount, 0.5);
        assert_eq!(table.source, None);
        assert_eq!(table.source_text(), "built-in");
    }

    #[test]
    fn a_minimal_table_parses_with_defaults() {
        let table = parse(ONE).expect("parses");
        assert_eq!(table.hop_discount, 0.5);
        assert_eq!(table.rules[0].direction, Way::Any);
        assert_eq!(table.rules[0].level, RiskLevel::Severe);
        assert_eq!(table.source_text(), "my-rules.toml");
    }

    fn error(text: &str) -> (usize, Option<String>, String) {
        let e = parse(text).expect_err("must fail");
        assert!(
            e.to_string().starts_with("rules file my-rules.toml, line "),
            "{e}"
        );
        (e.line, e.field, e.message)
    }

    #[test]
    fn errors_name_the_line_and_the_field() {
        let bad_value = ONE.replace("\"direct\"", "\"sideways\"");
        let (line, field, message) = error(&bad_value);
        assert_eq!((line, field.as_deref()), (4, Some("exposure")));
        assert!(message.contains("sideways"), "{message}");

        let (line, field, _) = error(&format!("{ONE}colour = \"red\"\n"));
        assert_eq!((line, field.as_deref()), (7, Some("colour")));

        let (line, field, message) = error(&ONE.replace("level = \"Severe\"\n", ""));
        assert_eq!((line, field.as_deref()), (1, Some("level")), "{message}");

        let (line, field, _) = error(&ONE.replace("alert = true", "alert = \"yes\""));
        assert_eq!((line, field.as_deref()), (6, Some("alert")));

        let second = format!("{ONE}\n{ONE}");
        let (line, field, message) = error(&second);
        assert_eq!((line, field.as_deref()), (9, Some("name")));
        assert!(message.contains("line 1"), "{message}");

        let hops = ONE.replace(
            "exposure = \"direct\"",
            "exposure = \"direct\"\nmax_hops = 3",
        );
        let (line, field, message) = error(&hops);
        assert_eq!((line, field.as_deref()), (5, Some("max_hops")));
        assert!(message.contains("rule `a`"), "{message}");

        let share = ONE.replace("level", "min_share = 5.0\nlevel");
        assert_eq!(error(&share).1.as_deref(), Some("min_share"));

        let discount = format!("hop_discount = 2.0\n{ONE}");
        assert_eq!(
            (error(&discount).0, error(&discount).1.as_deref()),
            (1, Some("hop_discount"))
        );

        let (_, field, message) = error("hop_discount = 0.5\n");
        assert_eq!(field, None);
        assert!(message.contains("no [[rule]]"), "{message}");
    }

    #[test]
    fn a_missing_file_is_an_error_naming_it() {
        let e = RuleTable::load(Path::new("/nonexistent/rules.toml")).expect_err("missing");
        assert!(
            e.to_string()
                .starts_with("rules file /nonexistent/rules.toml, line 1: cannot read it"),
            "{e}"
        );
    }
}
