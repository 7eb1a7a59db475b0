//! The screening evaluation behind `chaintrail eval screening`: how many innocent users a rule
//! table rates High or Severe (alert fatigue), and how many laundering addresses it still rates
//! High or above (recall), on a simulated world.
//!
//! The world goes the user's way: simulated, exported, imported through the real importers,
//! given its day-one TagPack, what `chaintrail_links::refresh` derives from the chains and the
//! address clusters (`chaintrail_cluster::refresh`, as every import builds them), then
//! every address of both chains is screened the day after the world ends. Three label
//! situations ([`Scenario`]): the day-one labels; plus the world's mixer pools tagged
//! sanctioned by a TagPack without dates (`abuse: sanction`); plus an OFAC-like dated listing
//! of the pools for the world's second day only (snapshots with and without them, and their
//! designation date through `import_ofac_dates`), which replaces the undated claims. The walk
//! does not depend on the rules, so every address is screened once per scenario and rated
//! again with each table ([`chaintrail_screen::rescore`]).
//!
//! Who is who comes from the ground truth, read for scoring only: an *innocent user* is an
//! address of no entity (or of the `user` entity, the token issuer) and of no heist's
//! `laundering_addresses`; a *clean* innocent user also never transacted directly (hop 1) with a
//! prohibited or illicit party. A laundering address is *within the walk's reach* when its
//! screening finds incoming exposure to its heist's thief (or identifies it as the thief):
//! whether the rules then rate it High is what the table decides.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use chaintrail_core::Chain;
use chaintrail_labels::{Date, LabelStore};
use chaintrail_screen::rules::{Severity, severity};
use chaintrail_screen::{
    Direction, ExposureType, Query, RiskLevel, RuleTable, Screener, Screening, rescore,
};
use chaintrail_sim::{Category as SimCategory, GroundTruth, Role, SimConfig};
use chaintrail_store::Store;
use serde::Serialize;

use crate::{EvalError, import_world, world_prices};

/// The label situations the world is screened in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scenario {
    /// The day-one TagPack and the derived labels.
    DayOne,
    /// Plus the mixer pools tagged `abuse: sanction` by a TagPack, without dates.
    UndatedSanction,
    /// Plus an OFAC-like listing of the pools on the world's second day only.
    DatedSanction,
}

impl Scenario {
    pub const ALL: [Scenario; 3] = [
        Scenario::DayOne,
        Scenario::UndatedSanction,
        Scenario::DatedSanction,
    ];

    pub fn describe(self) -> &'static str {
        match self {
            Scenario::DayOne => "day-one labels",
            Scenario::UndatedSanction => "mixer pools sanctioned (TagPack, no dates)",
            Scenario::DatedSanction => "mixer pools on an OFAC-like list on day 2 only",
        }
    }
}

/// How one rule table rates the world in one scenario.
#[derive(Debug, Clone, Serialize)]
pub struct TableOutcome {
    pub scenario: Scenario,
    pub table: String,
    pub innocent: usize,
    /// Innocent users rated High or Severe.
    pub innocent_high: usize,
    /// Innocent users with at least one alert.
    pub innocent_alerted: usize,
    /// Innocent users who never transacted directly with a prohibited or illicit party.
    pub clean: usize,
    pub clean_high: usize,
    /// Innocent users rated High or Severe, by the rule that set the risk: (rule, all, clean).
    pub by_rule: Vec<(String, usize, usize)>,
    pub laundering: usize,
    /// Laundering addresses whose screening finds incoming exposure to their heist's thief.
    pub in_reach: usize,
    /// … of them rated High or Severe.
    pub in_reach_high: usize,
    /// Laundering addresses within reach rated below High (for diagnosis).
    pub missed: Vec<String>,
}

impl TableOutcome {
    pub fn innocent_high_share(&self) -> f64 {
        ratio(self.innocent_high, self.innocent)
    }

    pub fn clean_high_share(&self) -> f64 {
        ratio(self.clean_high, self.clean)
    }

    pub fn recall(&self) -> f64 {
        ratio(self.in_reach_high, self.in_reach)
    }
}

fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// The screening evaluation of one world.
#[derive(Debug, Clone, Serialize)]
pub struct ScreeningEvaluation {
    pub seed: u64,
    pub scale: u64,
    pub at: Date,
    /// The day the OFAC-like list holds the pools.
    pub listed_on: Date,
    pub pools: usize,
    /// (table name, where it comes from).
    pub tables: Vec<(String, String)>,
    pub outcomes: Vec<TableOutcome>,
}

/// The comparison tables shipped with the evaluation (docs/exposure.md): the table before
/// directions were told apart, a stricter and a looser one.
pub fn comparison_tables() -> Vec<(String, RuleTable)> {
    let parse = |name: &str, text: &str| {
        // Compiled-in files, parsed by a test.
        RuleTable::parse(text, Path::new(&format!("crates/eval/rules/{name}.toml")))
            .map(|t| (name.to_string(), t))
            .expect("a compiled-in comparison table parses (tested)")
    };
    vec![
        parse("previous", include_str!("../rules/previous.toml")),
        ("built-in".to_string(), RuleTable::builtin()),
        parse("strict", include_str!("../rules/strict.toml")),
        parse("loose", include_str!("../rules/loose.toml")),
    ]
}

/// What an address of the world is, by the ground truth.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Innocent,
    /// A laundering address of the heist whose thief entity is named.
    Laundering(String),
    Other,
}

fn classify(truth: &GroundTruth) -> impl Fn(&str) -> Kind + Sync + '_ {
    let mut laundering: BTreeMap<String, String> = BTreeMap::new();
    for heist in &truth.heists {
        for a in &heist.laundering_addresses {
            laundering.insert(a.address.to_lowercase(), heist.thief_entity.clone());
        }
    }
    let services: HashSet<String> = truth
        .entities
        .iter()
        .filter(|e| e.category != SimCategory::User)
        .flat_map(|e| e.addresses.iter().map(|a| a.address.to_lowercase()))
        .collect();
    move |address: &str| {
        let key = address.to_lowercase();
        match laundering.get(&key) {
            Some(thief) => Kind::Laundering(thief.clone()),
            None if services.contains(&key) => Kind::Other,
            None => Kind::Innocent,
        }
    }
}

/// Did the address transact directly with a prohibited or illicit party?
fn direct_contact(s: &Screening) -> bool {
    s.exposures.iter().any(|e| {
        e.exposure_type == ExposureType::Direct && severity(e.category) >= Severity::Illicit
    })
}

/// Does the screening find the heist's thief as a source of the address's funds?
fn reaches(s: &Screening, thief: &str) -> bool {
    s.ownership.iter().any(|o| o.name == thief)
        || s.exposures
            .iter()
            .any(|e| e.entity == thief && e.direction == Direction::Incoming)
}

/// Tallies of one (scenario, table).
struct Tally {
    outcome: TableOutcome,
    by_rule: BTreeMap<String, (usize, usize)>,
}

impl Tally {
    fn add(&mut self, kind: &Kind, s: &Screening) {
        let o = &mut self.outcome;
        let high = s.risk >= RiskLevel::High;
        match kind {
            Kind::Innocent => {
                let clean = !direct_contact(s);
                o.innocent += 1;
                o.clean += usize::from(clean);
                o.innocent_alerted += usize::from(!s.alerts.is_empty());
                if high {
                    o.innocent_high += 1;
                    o.clean_high += usize::from(clean);
                    let rule = s.risk_rule.clone().unwrap_or_else(|| "-".to_string());
                    let entry = self.by_rule.entry(rule).or_default();
                    entry.0 += 1;
                    entry.1 += usize::from(clean);
                }
            }
            Kind::Laundering(thief) => {
                o.laundering += 1;
                if reaches(s, thief) {
                    o.in_reach += 1;
                    if high {
                        o.in_reach_high += 1;
                    } else {
                        o.missed.push(s.address.clone());
                    }
                }
            }
            Kind::Other => {}
        }
    }

    fn finish(mut self) -> TableOutcome {
        let mut by_rule: Vec<(String, usize, usize)> = self
            .by_rule
            .into_iter()
            .map(|(rule, (all, clean))| (rule, all, clean))
            .collect();
        by_rule.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        self.outcome.by_rule = by_rule;
        self.outcome
    }
}

fn io<'a>(path: &'a Path, action: &'static str) -> impl FnOnce(std::io::Error) -> EvalError + 'a {
    move |source| EvalError::Io {
        path: path.to_path_buf(),
        action,
        source,
    }
}

/// The world's mixer pools: (chain, address, entity name).
fn pools(truth: &GroundTruth) -> Vec<(Chain, String, String)> {
    truth
        .entities
        .iter()
        .filter(|e| e.category == SimCategory::Mixer)
        .flat_map(|e| {
            e.addresses
                .iter()
                .filter(|a| a.role == Role::Pool)
                .map(|a| (a.chain, a.address.clone(), e.name.clone()))
        })
        .collect()
}

fn currency(chain: Chain) -> &'static str {
    match chain {
        Chain::Bitcoin(_) => "BTC",
        Chain::Evm(_) => "ETH",
    }
}

/// A TagPack marking the pools sanctioned, without dates (as GraphSense's Tornado Cash pack
/// with `abuse: sanction` would).
fn sanction_tagpack(pools: &[(Chain, String, String)]) -> String {
    let mut out = String::from(
        "title: mixer pools on a sanctions list (no dates)\ncreator: chaintrail-eval\n\
         source: chaintrail-eval\nconfidence: authority_data\ntags:\n",
    );
    for (chain, address, name) in pools {
        let cur = currency(*chain);
        out.push_str(&format!(
            "- address: '{address}'\n  label: '{name}'\n  category: mixing_service\n  \
             abuse: sanction\n  currency: {cur}\n  network: {cur}\n"
        ));
    }
    out
}

/// An OFAC-like derived CSV snapshot of `date` listing `pools` (none: an issue without them).
fn ofac_snapshot(pools: &[(Chain, String, String)], date: Date) -> String {
    let mut out = String::from(
        "address,asset,sdn_uid,primary_name,party_type,programs,entry_date,aka_names,\
         sdn_issue_date\n",
    );
    for (chain, address, name) in pools {
        let ticker = match chain {
            Chain::Bitcoin(_) => "XBT",
            Chain::Evm(_) => "ETH",
        };
        out.push_str(&format!(
            "{address},{ticker},99001,\"{}\",Entity,CYBER2,{date},,{date}\n",
            name.to_uppercase()
        ));
    }
    if pools.is_empty() {
        // An issue still lists someone: a party of no chain the world models.
        out.push_str(&format!(
            "TXq0000000000000000000000000000000,TRX,99002,\"SOMEONE ELSE\",Entity,CYBER2,\
             {date},,{date}\n"
        ));
    }
    out
}

/// Put the labels of `scenario` into the store (each scenario adds to the previous one).
fn set_labels(
    store_dir: &Path,
    scenario: Scenario,
    pools: &[(Chain, String, String)],
    listed_on: Date,
) -> Result<(), EvalError> {
    let write = |name: &str, text: String| -> Result<std::path::PathBuf, EvalError> {
        let path = store_dir.join("eval-labels").join(name);
        let dir = store_dir.join("eval-labels");
        std::fs::create_dir_all(&dir).map_err(io(&dir, "create"))?;
        std::fs::write(&path, text).map_err(io(&path, "write"))?;
        Ok(path)
    };
    let mut labels = LabelStore::open(store_dir)?;
    match scenario {
        Scenario::DayOne => return Ok(()),
        Scenario::UndatedSanction => {
            let pack = write("pools_sanctioned.yaml", sanction_tagpack(pools))?;
            labels.import_tagpacks(&pack)?;
        }
        Scenario::DatedSanction => {
            let delisted = listed_on.next_day().unwrap_or(listed_on);
            let listed = write(
                &format!("sdn_digital_currency_addresses_{listed_on}.csv"),
                ofac_snapshot(pools, listed_on),
            )?;
            let after = write(
                &format!("sdn_digital_currency_addresses_{delisted}.csv"),
                ofac_snapshot(&[], delisted),
            )?;
            let mut dates = String::from("date_added,address\n");
            for (_, address, _) in pools {
                dates.push_str(&format!("{listed_on},{address}\n"));
            }
            let dates = write("designation_dates.csv", dates)?;
            labels.import_ofac(&listed, None)?;
            labels.import_ofac(&after, None)?;
            labels.import_ofac_dates(&dates)?;
        }
    }
    labels.save()?;
    Ok(())
}

/// Screen every address of interest with `screener` on `threads` threads.
fn screen_all(
    screener: &Screener,
    targets: &[(Chain, String, Kind)],
    at: Date,
    threads: usize,
) -> Result<Vec<Screening>, EvalError> {
    let failed = AtomicBool::new(false);
    let chunk = targets.len().div_ceil(threads.max(1)).max(1);
    let parts: Vec<Result<Vec<Screening>, EvalError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = targets
            .chunks(chunk)
            .map(|part| {
                let failed = &failed;
                scope.spawn(move || {
                    let mut out = Vec::with_capacity(part.len());
                    for (chain, address, _) in part {
                        if failed.load(Ordering::Relaxed) {
                            break;
                        }
                        let query = Query {
                            address: address.clone(),
                            chain: Some(*chain),
                            at: Some(at),
                            paths: false,
                        };
                        match screener.screen(&query) {
                            Ok(s) => out.push(s),
                            Err(e) => {
                                failed.store(true, Ordering::Relaxed);
                                return Err(EvalError::Screen(e));
                            }
                        }
                    }
                    Ok(out)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|panic| {
                    let text = panic
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_default();
                    Err(EvalError::Setup(format!(
                        "a screening thread panicked: {text}"
                    )))
                })
            })
            .collect()
    });
    let mut all = Vec::with_capacity(targets.len());
    for part in parts {
        all.extend(part?);
    }
    Ok(all)
}

/// Simulate a world into `work_dir`, import it and screen it in every [`Scenario`], rating
/// each screening with every table of `tables` (name, table).
pub fn evaluate_screening(
    seed: u64,
    scale: u64,
    work_dir: &Path,
    tables: &[(String, RuleTable)],
    threads: usize,
) -> Result<ScreeningEvaluation, EvalError> {
    let config = SimConfig::new(seed, scale);
    let store = Store::init(work_dir)?;
    let side = work_dir.join("sim");
    let truth = chaintrail_sim::write_dir(&config, &side)?.truth;
    import_world(&store, &side)?;
    let mut labels = LabelStore::open(store.dir())?;
    labels.import_tagpacks(&side.join("tagpacks"))?;
    labels.save()?;
    chaintrail_links::refresh(&store)?;
    chaintrail_cluster::refresh(&store, None, chaintrail_cluster::Mode::Incremental)?;
    let pegs = work_dir.join(chaintrail_trace::PEGS_FILE);
    world_prices(&truth)
        .save_pegs(&pegs)
        .map_err(io(&pegs, "write"))?;
    let start = Date::from_unix_seconds(truth.start_timestamp)
        .ok_or(EvalError::Setup("the world starts before 1970".to_string()))?;
    let listed_on = start
        .next_day()
        .ok_or(EvalError::Setup("the world has no second day".to_string()))?;
    let mut at = start;
    for _ in 0..config.days {
        at = at.next_day().ok_or(EvalError::Setup(
            "the world ends after the calendar".to_string(),
        ))?;
    }
    let pools = pools(&truth);
    let kind_of = classify(&truth);
    let mut targets: Vec<(Chain, String, Kind)> = Vec::new();
    for (chain, reader) in store.readers()? {
        for id in 1..reader.address_count() as u32 {
            let Some(address) = reader.address(id) else {
                continue;
            };
            let text = address.to_string();
            let kind = kind_of(&text);
            if kind != Kind::Other {
                targets.push((chain, text, kind));
            }
        }
    }
    let mut outcomes = Vec::new();
    for scenario in Scenario::ALL {
        set_labels(store.dir(), scenario, &pools, listed_on)?;
        let screener = Screener::open(store.dir())?;
        let screenings = screen_all(&screener, &targets, at, threads)?;
        let mut tallies: Vec<Tally> = tables
            .iter()
            .map(|(name, _)| Tally {
                outcome: TableOutcome {
                    scenario,
                    table: name.clone(),
                    innocent: 0,
                    innocent_high: 0,
                    innocent_alerted: 0,
                    clean: 0,
                    clean_high: 0,
                    by_rule: Vec::new(),
                    laundering: 0,
                    in_reach: 0,
                    in_reach_high: 0,
                    missed: Vec::new(),
                },
                by_rule: BTreeMap::new(),
            })
            .collect();
        for ((_, _, kind), screening) in targets.iter().zip(&screenings) {
            for ((_, table), tally) in tables.iter().zip(&mut tallies) {
                let mut rated = screening.clone();
                rescore(&mut rated, table);
                tally.add(kind, &rated);
            }
        }
        outcomes.extend(tallies.into_iter().map(Tally::finish));
    }
    Ok(ScreeningEvaluation {
        seed,
        scale,
        at,
        listed_on,
        pools: pools.len(),
        tables: tables
            .iter()
            .map(|(name, t)| (name.clone(), t.source_text()))
            .collect(),
        outcomes,
    })
}

fn percent(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

/// The evaluation as markdown tables (docs/exposure.md, "Alert fatigue").
pub fn screening_markdown(e: &ScreeningEvaluation, command: &str) -> String {
    let mut out = format!(
        "Generated by `{command}` (seed {}, scale {}; every address screened on {}; {} mixer \
         pool addresses; OFAC-like listing on {} only).\n\n\
         | scenario | table | innocent users High+ | never in direct contact: High+ | alerted \
         | laundering addresses in reach | of them High+ |\n|---|---|---:|---:|---:|---:|---:|\n",
        e.seed, e.scale, e.at, e.pools, e.listed_on
    );
    for o in &e.outcomes {
        out.push_str(&format!(
            "| {} | {} | {} of {} ({}) | {} of {} ({}) | {} ({}) | {} of {} | {} ({}) |\n",
            o.scenario.describe(),
            o.table,
            o.innocent_high,
            o.innocent,
            percent(o.innocent_high_share()),
            o.clean_high,
            o.clean,
            percent(o.clean_high_share()),
            o.innocent_alerted,
            percent(ratio(o.innocent_alerted, o.innocent)),
            o.in_reach,
            o.laundering,
            o.in_reach_high,
            percent(o.recall()),
        ));
    }
    out.push_str(
        "\nInnocent users rated High or Severe, by the rule that set the risk (all / never in \
         direct contact):\n\n| scenario | table | rule | users |\n|---|---|---|---:|\n",
    );
    for o in &e.outcomes {
        for (rule, all, clean) in &o.by_rule {
            out.push_str(&format!(
                "| {} | {} | `{rule}` | {all} / {clean} |\n",
                o.scenario.describe(),
                o.table
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_comparison_tables_parse() {
        let tables = comparison_tables();
        let names: Vec<&str> = tables.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["previous", "built-in", "strict", "loose"]);
        let fingerprints: HashSet<u32> = tables.iter().map(|(_, t)| t.fingerprint()).collect();
        assert_eq!(fingerprints.len(), 4, "the tables must differ");
        // The previous table rates both directions alike: no rule names a direction.
        assert!(
            tables[0]
                .1
                .rules
                .iter()
                .all(|r| r.direction == chaintrail_screen::rules::Way::Any)
        );
        // The loose table counts only sanctions in force at the screening date.
        assert!(
            tables[3]
                .1
                .rules
                .iter()
                .filter(|r| r.severity == Some(Severity::Prohibited)
                    && r.exposure != chaintrail_screen::rules::ExposureKind::Ownership)
                .all(|r| r.historical == Some(false))
        );
    }
}
