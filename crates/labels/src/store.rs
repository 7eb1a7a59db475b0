use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use chaintrail_core::{Address, Chain};
use serde::{Deserialize, Serialize};

use crate::category::Category;
use crate::error::{LabelError, Result};
use crate::evm;
use crate::label::{Label, Source, Validity, normalize_key, query_keys};
use crate::listing::{OfacListing, SanctionStatus, unknown_start_text};
use crate::ofac::{self, OfacSnapshot};
use crate::ofac_dates::{DesignationDate, read_designation_dates};
use crate::report::ImportReport;
use crate::resolve::Resolved;
use crate::tagpack::{self, Actor, ActorPack, TagPack, Taxonomy};
use chaintrail_core::Date;

const LABELS_FILE: &str = "labels.jsonl";
const OFAC_FILE: &str = "ofac_snapshots.jsonl";
const OFAC_DATES_FILE: &str = "ofac_designation_dates.jsonl";
const ACTORS_FILE: &str = "actors.jsonl";

/// All labels, indexed by address key, with their provenance. Persisted under
/// `<store dir>/labels/` as JSON lines written atomically (temp file, fsync, rename); OFAC
/// labels are derived from the stored snapshots on load.
#[derive(Debug, Default)]
pub struct LabelStore {
    dir: Option<PathBuf>,
    labels: Vec<Label>,
    ofac: Vec<OfacSnapshot>,
    designations: Vec<DesignationDate>,
    actors: BTreeMap<String, Actor>,
    index: HashMap<String, Vec<u32>>,
    /// Position of each label in strength order (lower = stronger).
    rank: Vec<u32>,
    /// Lookup key of each label.
    keys: Vec<String>,
}

/// One label as `labels show` prints it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LabelView {
    /// The label.
    #[serde(flatten)]
    pub label: Label,
    /// `active`, `delisted since YYYY-MM-DD`, `not valid until YYYY-MM-DD`, `expired YYYY-MM-DD`,
    /// or, at a date before the first evidence of a label whose start is unknown, `unknown:
    /// listed before YYYY-MM-DD (date unknown)`.
    pub status: String,
    /// Did the query match the address exactly or after normalisation (EIP-55 / bech32 case)?
    /// `false` = matched only case-insensitively.
    pub exact_match: bool,
    /// The actor's display label, when the label names a known actor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor_label: Option<String>,
}

/// What the store knows about one address (`labels show`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AddressReport {
    /// The address asked for, as given.
    pub query: String,
    /// The date the answer is for (`None`: now, i.e. the latest state).
    pub at: Option<Date>,
    /// An OFAC SDN listing holds at `at`.
    pub sanctioned: bool,
    /// Sanctioned, not, or unknown at `at` (before the first snapshot listing the address, whose
    /// designation date is unknown).
    pub sanction_status: SanctionStatus,
    /// Listed on OFAC before, no longer: the date of the first snapshot without it.
    pub delisted_since: Option<Date>,
    /// Every OFAC listing of the address (any date), with what is known of its dates.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub listings: Vec<OfacListing>,
    /// Every category of the labels holding at `at`.
    pub categories: Vec<Category>,
    /// What the address is at `at` (now when `None`): its role and flags with provenance
    /// ([`LabelStore::resolve`], for the chain the query's format names).
    pub resolved: Option<Resolved>,
    /// Labels holding at `at`, strongest first (all labels when `at` is `None`).
    pub labels: Vec<LabelView>,
}

/// Summary of one OFAC snapshot.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OfacSnapshotStats {
    pub date: Date,
    pub file: String,
    pub entries: usize,
    pub distinct_addresses: usize,
    pub parties: usize,
}

/// `labels stats`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LabelStats {
    /// Labels stored.
    pub labels: usize,
    /// Distinct addresses labelled.
    pub distinct_addresses: usize,
    /// Labels per source.
    pub by_source: BTreeMap<String, usize>,
    /// Labels per category.
    pub by_category: BTreeMap<String, usize>,
    /// Chain name, or `raw:<currency>` for addresses on chains core does not model.
    pub by_chain: BTreeMap<String, usize>,
    /// Datasets stored.
    pub datasets: usize,
    /// Actors known.
    pub actors: usize,
    /// The OFAC snapshots stored.
    pub ofac_snapshots: Vec<OfacSnapshotStats>,
    /// OFAC labels listed in the latest snapshot.
    pub ofac_active_labels: usize,
    /// OFAC labels no longer listed.
    pub ofac_delisted_labels: usize,
}

/// Result of [`LabelStore::bench_lookups`]; latencies in nanoseconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LookupBench {
    /// Addresses looked up per round.
    pub queries: usize,
    /// Rounds run.
    pub rounds: usize,
    /// Lookups that found a label.
    pub hits: usize,
    /// Median latency.
    pub median_ns: u64,
    /// 90th percentile latency.
    pub p90_ns: u64,
    /// 99th percentile latency.
    pub p99_ns: u64,
    /// Mean latency.
    pub mean_ns: u64,
}

/// Strongest first: OFAC sanctions in force, then other current `sanctioned` labels (unless
/// OFAC has delisted the address: then such secondary claims are `stale`), then the other
/// current labels, then expired ones (delisted OFAC entries); within a tier by confidence,
/// category risk, source and name.
fn strength(a: (&Label, bool), b: (&Label, bool)) -> Ordering {
    let tier = |(l, stale): (&Label, bool)| {
        if l.is_active_sanction() {
            0
        } else if l.valid_to.is_some() {
            3
        } else if l.category == Category::Sanctioned && !stale {
            1
        } else {
            2
        }
    };
    let (la, lb) = (a.0, b.0);
    tier(a)
        .cmp(&tier(b))
        .then(lb.confidence.cmp(&la.confidence))
        .then(la.category.cmp(&lb.category))
        .then(la.source.cmp(&lb.source))
        .then(la.name.cmp(&lb.name))
        .then(lb.valid_to.cmp(&la.valid_to))
}

pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        path.file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().to_string()),
        std::process::id()
    ));
    let write = || -> std::io::Result<()> {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        std::fs::File::open(dir)?.sync_all()
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        LabelError::io(path, e)
    })
}

fn read_jsonl<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Vec<T>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(LabelError::io(path, e)),
    };
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| LabelError::CorruptStore {
                path: path.to_path_buf(),
                line: i + 1,
                message: e.to_string(),
            })
        })
        .collect()
}

fn to_jsonl<T: Serialize>(items: impl Iterator<Item = T>) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    for item in items {
        serde_json::to_writer(&mut out, &item)
            .map_err(|e| LabelError::Invalid(format!("cannot serialise: {e}")))?;
        out.push(b'\n');
    }
    Ok(out)
}

impl LabelStore {
    /// A store that lives only in memory (`save` is a no-op).
    pub fn in_memory() -> LabelStore {
        LabelStore::default()
    }

    /// Open the label store of a chaintrail store directory (`<store_dir>/labels/`); empty if
    /// nothing was saved yet.
    pub fn open(store_dir: &Path) -> Result<LabelStore> {
        let dir = store_dir.join("labels");
        let mut store = LabelStore {
            dir: Some(dir.clone()),
            ..LabelStore::default()
        };
        store.labels = read_jsonl(&dir.join(LABELS_FILE))?;
        store.ofac = read_jsonl(&dir.join(OFAC_FILE))?;
        store.designations = read_jsonl(&dir.join(OFAC_DATES_FILE))?;
        store.actors = read_jsonl::<Actor>(&dir.join(ACTORS_FILE))?
            .into_iter()
            .map(|a| (a.id.clone(), a))
            .collect();
        store.labels.retain(|l| l.source != Source::Ofac);
        for label in &mut store.labels {
            label.normalise_kinds();
        }
        store.rederive_ofac();
        Ok(store)
    }

    /// Write the store atomically (no-op for an in-memory store).
    pub fn save(&self) -> Result<()> {
        let Some(dir) = &self.dir else { return Ok(()) };
        std::fs::create_dir_all(dir).map_err(|e| LabelError::io(dir, e))?;
        let own = self.labels.iter().filter(|l| l.source != Source::Ofac);
        write_atomic(&dir.join(LABELS_FILE), &to_jsonl(own)?)?;
        write_atomic(&dir.join(OFAC_FILE), &to_jsonl(self.ofac.iter())?)?;
        write_atomic(
            &dir.join(OFAC_DATES_FILE),
            &to_jsonl(self.designations.iter())?,
        )?;
        write_atomic(&dir.join(ACTORS_FILE), &to_jsonl(self.actors.values())?)?;
        Ok(())
    }

    /// Every label, in store order.
    pub fn labels(&self) -> &[Label] {
        &self.labels
    }

    /// The OFAC snapshots stored, oldest first.
    pub fn ofac_snapshots(&self) -> &[OfacSnapshot] {
        &self.ofac
    }

    /// The actor of `id` (a TagPack actor), if known.
    pub fn actor(&self, id: &str) -> Option<&Actor> {
        self.actors.get(id)
    }

    fn rebuild_index(&mut self) {
        self.keys = self.labels.iter().map(Label::key).collect();
        // Keys OFAC lists only with expired (delisted) entries.
        let mut ofac_state: HashMap<&str, bool> = HashMap::new();
        for (label, key) in self.labels.iter().zip(&self.keys) {
            if label.source == Source::Ofac {
                *ofac_state.entry(key.as_str()).or_insert(false) |= label.valid_to.is_none();
            }
        }
        let stale: Vec<bool> = self
            .keys
            .iter()
            .map(|k| ofac_state.get(k.as_str()) == Some(&false))
            .collect();
        let mut order: Vec<u32> = (0..self.labels.len() as u32).collect();
        order.sort_by(|&a, &b| {
            let (a, b) = (a as usize, b as usize);
            strength((&self.labels[a], stale[a]), (&self.labels[b], stale[b]))
        });
        self.rank = vec![0; self.labels.len()];
        for (position, &i) in order.iter().enumerate() {
            self.rank[i as usize] = position as u32;
        }
        self.index.clear();
        for (i, key) in self.keys.iter().enumerate() {
            let lower = key.to_lowercase();
            if lower != *key {
                self.index.entry(lower).or_default().push(i as u32);
            }
            self.index.entry(key.clone()).or_default().push(i as u32);
        }
        for ids in self.index.values_mut() {
            ids.sort_by_key(|&i| self.rank[i as usize]);
            ids.dedup();
        }
    }

    /// Re-derive the OFAC labels; the warnings of the derivation: (addresses kept raw,
    /// designation dates not used).
    fn rederive_ofac(&mut self) -> (Vec<String>, Vec<String>) {
        self.labels.retain(|l| l.source != Source::Ofac);
        let derived = ofac::derive_labels(&self.ofac, &self.designations);
        self.labels.extend(derived.labels);
        self.rebuild_index();
        (derived.address_warnings, derived.date_warnings)
    }

    /// Replace the labels of `dataset` with `labels`.
    fn replace_dataset(&mut self, datasets: &BTreeSet<String>, labels: Vec<Label>) {
        self.labels.retain(|l| !datasets.contains(&l.dataset));
        self.labels.extend(labels);
        self.rebuild_index();
    }

    /// Import an OFAC SDN snapshot (advanced XML, plain or bzip2, or a derived CSV). A snapshot
    /// of the same date replaces the stored one. Snapshots may come in any order: listing
    /// intervals are re-derived from all of them.
    pub fn import_ofac(&mut self, path: &Path, date: Option<Date>) -> Result<ImportReport> {
        let (snapshot, mut report) = ofac::read_snapshot(path, date)?;
        if let Some(old) = self.ofac.iter().position(|s| s.date == snapshot.date) {
            let previous = self.ofac.remove(old);
            report.warn(
                &snapshot.file,
                0,
                None,
                format!(
                    "replaces the stored snapshot of {} (from {})",
                    snapshot.date, previous.file
                ),
            );
        }
        let file = snapshot.file.clone();
        self.ofac.push(snapshot);
        self.ofac.sort_by_key(|s| s.date);
        let (addresses, dates) = self.rederive_ofac();
        for w in addresses {
            report.warn(&file, 0, Some("address"), w);
        }
        for w in dates {
            report.warn(&file, 0, Some("date_added"), w);
        }
        Ok(report)
    }

    /// Import the designation dates of SDN addresses from a dated address list
    /// ([`read_designation_dates`]): an OFAC listing whose address it dates is known from that
    /// date on instead of "listed before <first snapshot> (date unknown)". Re-importing a file
    /// of the same name replaces its dates.
    pub fn import_ofac_dates(&mut self, path: &Path) -> Result<ImportReport> {
        let (dates, mut report) = read_designation_dates(path)?;
        let file = ofac::display_name(path);
        self.designations.retain(|d| d.file != file);
        self.designations.extend(dates);
        let (_, dates) = self.rederive_ofac();
        for w in dates {
            report.warn(&file, 0, Some("date_added"), w);
        }
        let listed: BTreeSet<String> = self
            .ofac
            .iter()
            .flat_map(|snapshot| &snapshot.entries)
            .map(|e| normalize_key(None, &e.address))
            .collect();
        let imported = self.designations.iter().filter(|d| d.file == file);
        let (total, unlisted) = imported.fold((0, 0), |(total, unlisted), d| {
            let missing = !listed.contains(&normalize_key(None, &d.address));
            (total + 1, unlisted + usize::from(missing))
        });
        if unlisted > 0 {
            report.warn(
                &file,
                0,
                Some("address"),
                format!(
                    "{unlisted} of {total} dated addresses are in no stored SDN snapshot: their \
                     dates apply once a snapshot lists them"
                ),
            );
        }
        Ok(report)
    }

    /// Import GraphSense TagPacks and ActorPacks: a `.yaml` file or a directory searched
    /// recursively. A file that cannot be parsed is reported in `failed_files`; the others are
    /// imported. Each pack is a dataset (`graphsense:<path below the import root>`).
    pub fn import_tagpacks(&mut self, path: &Path) -> Result<ImportReport> {
        let taxonomy = Taxonomy::builtin();
        let mut report = ImportReport::new("graphsense");
        let mut datasets = BTreeSet::new();
        let mut labels = Vec::new();
        let root = if path.is_dir() {
            path
        } else {
            path.parent().unwrap_or(path)
        };
        for file in tagpack::yaml_files(path)? {
            let name = file
                .strip_prefix(root)
                .unwrap_or(&file)
                .to_string_lossy()
                .to_string();
            let text = match std::fs::read_to_string(&file) {
                Ok(t) => t,
                Err(e) => {
                    report.failed_files.push(crate::report::Issue {
                        file: name,
                        line: 0,
                        field: None,
                        message: format!("cannot read: {e}"),
                    });
                    continue;
                }
            };
            let is_actor_pack = text.lines().any(|l| l.starts_with("actors:"));
            let outcome = if is_actor_pack {
                ActorPack::parse(&text, &name, taxonomy).map(|(pack, r)| {
                    for actor in pack.actors {
                        self.actors.insert(actor.id.clone(), actor);
                    }
                    r
                })
            } else {
                TagPack::parse(&text, &name, taxonomy).map(|(pack, mut r)| {
                    let dataset = format!("graphsense:{name}");
                    labels.extend(pack.to_labels(&dataset, taxonomy, &mut r));
                    datasets.insert(dataset);
                    r
                })
            };
            match outcome {
                Ok(r) => report.merge(r),
                Err(e) => report.failed_files.push(crate::report::Issue {
                    file: name,
                    line: match &e {
                        LabelError::Yaml { line, .. } => *line as u64,
                        LabelError::Data { line, .. } => *line,
                        _ => 0,
                    },
                    field: None,
                    message: e.to_string(),
                }),
            }
        }
        self.replace_dataset(&datasets, labels);
        Ok(report)
    }

    fn import_files(
        &mut self,
        path: &Path,
        source: &str,
        extension: &str,
        read: impl Fn(&Path) -> Result<(Vec<Label>, ImportReport)>,
    ) -> Result<ImportReport> {
        let mut files = Vec::new();
        if path.is_dir() {
            for entry in std::fs::read_dir(path).map_err(|e| LabelError::io(path, e))? {
                let p = entry.map_err(|e| LabelError::io(path, e))?.path();
                if p.extension().is_some_and(|e| e == extension) {
                    files.push(p);
                }
            }
            files.sort();
        } else {
            files.push(path.to_path_buf());
        }
        let mut report = ImportReport::new(source);
        let mut datasets = BTreeSet::new();
        let mut labels = Vec::new();
        for file in files {
            match read(&file) {
                Ok((l, r)) => {
                    if let Some(first) = l.first() {
                        datasets.insert(first.dataset.clone());
                    }
                    labels.extend(l);
                    report.merge(r);
                }
                Err(e) => report.failed_files.push(crate::report::Issue {
                    file: ofac::display_name(&file),
                    line: 0,
                    field: None,
                    message: e.to_string(),
                }),
            }
        }
        self.replace_dataset(&datasets, labels);
        Ok(report)
    }

    /// Import Etherscan-family label clouds: one `<explorer>_{account,token}_labels.json` or a
    /// directory of them.
    pub fn import_explorer(&mut self, path: &Path, chain: Option<Chain>) -> Result<ImportReport> {
        self.import_files(path, "explorer", "json", |p| {
            evm::read_explorer_labels(p, chain)
        })
    }

    /// Import Forta labelled-dataset CSVs: one file or a directory of them.
    pub fn import_forta(&mut self, path: &Path, chain: Option<Chain>) -> Result<ImportReport> {
        self.import_files(path, "forta", "csv", |p| evm::read_forta(p, chain))
    }

    /// Import Tornado Cash's contract list CSV.
    pub fn import_tornado(&mut self, path: &Path) -> Result<ImportReport> {
        self.import_files(path, "tornado_cash", "csv", evm::read_tornado)
    }

    /// Add labels of an outside dataset (attacker addresses of the incident ledger, labels
    /// chaintrail derives from chain data), replacing that dataset's previous labels. Every label
    /// is stored under `dataset` (so that the next replacement finds it), with its role, flags
    /// and categories made to agree ([`Label::normalise_kinds`]).
    pub fn replace_labels(&mut self, dataset: &str, mut labels: Vec<Label>) {
        for label in &mut labels {
            label.dataset = dataset.to_string();
            label.normalise_kinds();
        }
        let datasets = BTreeSet::from([dataset.to_string()]);
        self.replace_dataset(&datasets, labels);
    }

    /// Ids of the labels found under the query's keys, strongest first, each with whether it
    /// matched exactly (not only case-insensitively).
    pub(crate) fn matches(&self, query: &str) -> Vec<(u32, bool)> {
        let mut ids: Vec<(u32, bool)> = Vec::new();
        for key in &query_keys(query) {
            if let Some(found) = self.index.get(key) {
                for &id in found {
                    // Inexact: found only under the lower-cased copy of the label's key.
                    let exact = self.keys[id as usize] == *key;
                    match ids.iter_mut().find(|(i, _)| *i == id) {
                        Some(slot) => slot.1 |= exact,
                        None => ids.push((id, exact)),
                    }
                }
            }
        }
        ids.sort_by_key(|&(i, _)| self.rank[i as usize]);
        ids
    }

    /// All labels of an address (any chain, any validity), strongest first: OFAC sanctions in
    /// force, other `sanctioned` labels, other current labels by confidence and category risk,
    /// then expired labels (delisted OFAC entries).
    pub fn lookup(&self, query: &str) -> Vec<&Label> {
        self.matches(query)
            .into_iter()
            .map(|(i, _)| &self.labels[i as usize])
            .collect()
    }

    /// The labels that hold on `date` (`valid_from <= date < valid_to`), strongest first.
    pub fn lookup_at(&self, query: &str, date: Date) -> Vec<&Label> {
        let mut labels: Vec<&Label> = self
            .lookup(query)
            .into_iter()
            .filter(|l| l.valid_on(date))
            .collect();
        // A sanction in force on that date ranks first, even if it has been lifted since.
        labels.sort_by_key(|l| l.source != Source::Ofac);
        labels
    }

    /// `labels show`: the address's labels (at a date, or all), sanction status, categories.
    pub fn show(&self, query: &str, at: Option<Date>) -> AddressReport {
        let all: Vec<(&Label, bool)> = self
            .matches(query)
            .into_iter()
            .map(|(i, exact)| (&self.labels[i as usize], exact))
            .collect();
        let ofac: Vec<&Label> = all
            .iter()
            .filter(|(l, _)| l.source == Source::Ofac)
            .map(|(l, _)| *l)
            .collect();
        let sanctioned = ofac.iter().any(|l| match at {
            Some(d) => l.valid_on(d),
            None => l.valid_to.is_none(),
        });
        let unknown_from = ofac
            .iter()
            .filter(|l| at.is_some_and(|d| l.validity_on(d) == Validity::Unknown))
            .filter_map(|l| l.valid_from);
        let sanction_status = SanctionStatus::from_claims(sanctioned, unknown_from);
        let mut listings: Vec<OfacListing> =
            ofac.iter().filter_map(|l| OfacListing::of(l)).collect();
        listings.sort_by_key(|l| (l.first_snapshot, l.sdn_uid.clone(), l.asset.clone()));
        let delisted_since = if sanctioned {
            None
        } else {
            ofac.iter()
                .filter_map(|l| l.valid_to)
                .filter(|to| at.is_none_or(|d| *to <= d))
                .max()
        };
        let validity = |l: &Label| at.map_or(Validity::Holds, |d| l.validity_on(d));
        let mut shown: Vec<(&Label, bool)> = all
            .into_iter()
            .filter(|(l, _)| at.is_none() || validity(l) != Validity::DoesNotHold)
            .collect();
        if at.is_some() {
            shown.sort_by_key(|(l, _)| (validity(l) != Validity::Holds, l.source != Source::Ofac));
        }
        let mut categories: Vec<Category> = shown
            .iter()
            .filter(|(l, _)| validity(l) == Validity::Holds)
            .flat_map(|(l, _)| l.categories.iter().copied())
            .collect();
        categories.sort();
        categories.dedup();
        let labels = shown
            .into_iter()
            .map(|(l, exact)| {
                let status = match (l.valid_from, l.valid_to) {
                    (_, Some(to)) if at.is_none_or(|d| d >= to) => {
                        if l.source == Source::Ofac {
                            format!("delisted since {to}")
                        } else {
                            format!("expired {to}")
                        }
                    }
                    (Some(from), _) if at.is_some_and(|d| d < from) => match l.unknown_start {
                        Some(start) => format!("unknown: {}", unknown_start_text(from, start)),
                        None => format!("not valid until {from}"),
                    },
                    _ => "active".to_string(),
                };
                LabelView {
                    actor_label: l
                        .details
                        .get("actor")
                        .and_then(|a| self.actors.get(a))
                        .map(|a| a.label.clone()),
                    label: l.clone(),
                    status,
                    exact_match: exact,
                }
            })
            .collect();
        let resolved = match Address::parse_any(query.trim()) {
            Ok((chain, _)) => self.resolve(chain, query, at),
            Err(_) => self.resolve_any_chain(query, at),
        };
        AddressReport {
            query: query.trim().to_string(),
            at,
            sanctioned,
            sanction_status,
            delisted_since,
            listings,
            categories,
            resolved,
            labels,
        }
    }

    /// `labels stats`.
    pub fn stats(&self) -> LabelStats {
        let mut by_source = BTreeMap::new();
        let mut by_category = BTreeMap::new();
        let mut by_chain = BTreeMap::new();
        let mut datasets = BTreeSet::new();
        let mut keys = BTreeSet::new();
        for l in &self.labels {
            *by_source.entry(l.source.to_string()).or_insert(0) += 1;
            *by_category.entry(l.category.to_string()).or_insert(0) += 1;
            let chain = l
                .chain
                .map_or_else(|| format!("raw:{}", l.currency), |c| c.to_string());
            *by_chain.entry(chain).or_insert(0) += 1;
            datasets.insert(l.dataset.as_str());
            keys.insert(l.key());
        }
        let ofac_labels = self.labels.iter().filter(|l| l.source == Source::Ofac);
        let (active, delisted) = ofac_labels.fold((0, 0), |(a, d), l| {
            if l.valid_to.is_none() {
                (a + 1, d)
            } else {
                (a, d + 1)
            }
        });
        LabelStats {
            labels: self.labels.len(),
            distinct_addresses: keys.len(),
            by_source,
            by_category,
            by_chain,
            datasets: datasets.len(),
            actors: self.actors.len(),
            ofac_snapshots: self
                .ofac
                .iter()
                .map(|s| OfacSnapshotStats {
                    date: s.date,
                    file: s.file.clone(),
                    entries: s.entries.len(),
                    distinct_addresses: s
                        .entries
                        .iter()
                        .map(|e| e.address.as_str())
                        .collect::<BTreeSet<_>>()
                        .len(),
                    parties: s
                        .entries
                        .iter()
                        .map(|e| e.sdn_uid.as_str())
                        .collect::<BTreeSet<_>>()
                        .len(),
                })
                .collect(),
            ofac_active_labels: active,
            ofac_delisted_labels: delisted,
        }
    }

    /// Labels selected for export as a TagPack: by source, dataset and/or category.
    pub fn export_tagpack(
        &self,
        source: Option<Source>,
        dataset: Option<&str>,
        category: Option<Category>,
    ) -> TagPack {
        let selected: Vec<&Label> = self
            .labels
            .iter()
            .filter(|l| source.is_none_or(|s| l.source == s))
            .filter(|l| dataset.is_none_or(|d| l.dataset == d))
            .filter(|l| category.is_none_or(|c| l.categories.contains(&c)))
            .collect();
        let title = match (source, dataset, category) {
            (_, Some(d), _) => format!("chaintrail labels of {d}"),
            (Some(s), _, _) => format!("chaintrail labels from {s}"),
            (_, _, Some(c)) => format!("chaintrail labels of category {c}"),
            _ => "chaintrail labels".to_string(),
        };
        tagpack::labels_to_tagpack(&selected, &title, Taxonomy::builtin())
    }

    /// Time `lookup` over `queries`, `rounds` times each; per-lookup latencies in ns.
    pub fn bench_lookups(&self, queries: &[String], rounds: usize) -> LookupBench {
        time_queries(queries, rounds, |q| !self.lookup(q).is_empty())
    }

    /// Time `resolve` over `queries` (each on the chain its format names; raw strings on
    /// Ethereum), `rounds` times each; per-resolution latencies in ns.
    pub fn bench_resolve(&self, queries: &[String], rounds: usize) -> LookupBench {
        let with_chains: Vec<(&str, Chain)> = queries
            .iter()
            .map(|q| {
                let chain = Address::parse_any(q).map_or(Chain::ETHEREUM, |(c, _)| c);
                (q.as_str(), chain)
            })
            .collect();
        time_queries(&with_chains, rounds, |(q, chain)| {
            self.resolve(*chain, q, None).is_some()
        })
    }
}

/// Time `found` over `queries`, `rounds` times each: latencies in ns and how many found.
fn time_queries<Q>(queries: &[Q], rounds: usize, found: impl Fn(&Q) -> bool) -> LookupBench {
    let mut times = Vec::with_capacity(queries.len() * rounds);
    let mut hits = 0usize;
    for _ in 0..rounds {
        for q in queries {
            let start = Instant::now();
            let hit = found(q);
            let elapsed = start.elapsed().as_nanos();
            hits += usize::from(hit);
            times.push(u64::try_from(elapsed).unwrap_or(u64::MAX));
        }
    }
    times.sort_unstable();
    let pick = |q: f64| {
        times
            .get(((times.len() as f64 - 1.0) * q).round() as usize)
            .copied()
            .unwrap_or(0)
    };
    LookupBench {
        queries: queries.len(),
        rounds,
        hits,
        median_ns: pick(0.5),
        p90_ns: pick(0.9),
        p99_ns: pick(0.99),
        mean_ns: if times.is_empty() {
            0
        } else {
            times.iter().sum::<u64>() / times.len() as u64
        },
    }
}
