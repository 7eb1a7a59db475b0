//! Screening of chaintrail: is this address risky, and why?
//!
//! This crate owns
//! - the exposure model of docs/exposure.md ([`exposure`]): **ownership** (what the address's own
//!   labels resolve to at the screening date: its role and its flags in force), **direct**
//!   exposure (value exchanged with attributed counterparties) and **indirect** exposure (value
//!   that reached or came from attributed entities through unattributed intermediaries,
//!   haircut-split, up to a hop limit, stopping at every attributed address), per category and
//!   entity (an entity counts under its role and under each flag in force on the day of the
//!   transfer), by direction, in native units and USD, with the paths behind it on request, and
//!   the unsolicited-dust rule;
//! - the risk rule table ([`rules`]): rules per category or severity class, direction,
//!   exposure type, hop range, USD and share thresholds and lapsed flags, mapping to Severe /
//!   High / Medium / Low (TRM scores 15/10/5/1) and an alert yes/no, first match wins; the
//!   built-in table or a user's TOML file (`--rules FILE`); and the overall verdict of a
//!   screening ([`assess`]: risk, the reason naming the rule, the alerts);
//! - the known converter links ([`links`]: `<store>/links.jsonl`), which the walk crosses at
//!   bridges and mixers, possibly onto another chain;
//! - the precomputed exposure index ([`index`]), persisted atomically under `<store>/screen/`;
//! - what the index costs to build ([`bench`], behind `chaintrail bench exposure`);
//! - the [`Screener`], which answers a [`Query`] from the index when it covers the date and by
//!   computation otherwise. The CLI (`chaintrail screen`) and the server call only this.
//!
//! It performs no network I/O and prints nothing.

#![warn(missing_docs)]

pub mod assess;
mod batch;
pub mod bench;
mod changes;
mod codec;
mod dirty;
mod entity_memo;
pub mod exposure;
pub mod index;
mod index_file;
pub mod links;
pub mod model;
mod reach;
pub mod rules;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use chaintrail_core::{Address, Chain};
use chaintrail_labels::{
    Category, Date, Label, LabelError, LabelStore, OfacListing, Resolved, SanctionStatus, Source,
};
use chaintrail_store::{ChainReader, Store, StoreError};
use chaintrail_trace::{Cancel, Prices};

pub use assess::{Assessment, rescore};
pub use batch::read_batch;
pub use changes::{InputChanges, Inputs};
pub use entity_memo::EntityMemo;
pub use exposure::{Attributor, Context, Entity, Params, chain_exposure, end_of_day};
pub use index::{BuildReport, ExposureIndex, IndexFile, IndexedChain};
pub use links::{KnownLinks, load_links};
pub use model::{
    ChainExposure, Direction, ExcludedDust, Exposure, ExposurePath, ExposureType, HopValue,
    NativeValue, Origin, Ownership, PathStep, Screening, Volume,
};
pub use rules::{RiskLevel, RuleTable, RulesError, Severity, Verdict};

/// Everything that can go wrong in screening. Each message says what was wrong and, where the
/// user can act, what to do.
#[derive(Debug, thiserror::Error)]
pub enum ScreenError {
    /// The text is not a valid address (bad checksum, unknown format, wrong network).
    #[error("{0}")]
    BadAddress(String),
    /// The store cannot be opened or read (missing, locked, damaged, indexes behind the data).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The label store cannot be read.
    #[error(transparent)]
    Labels(#[from] LabelError),
    /// A links file that cannot be read as links.
    #[error("{0}")]
    Links(String),
    /// The store's clusters cannot be read.
    #[error("{0}")]
    Clusters(String),
    /// A pegs file that cannot be read as pegs.
    #[error("{0}")]
    Prices(String),
    /// The exposure index cannot be used or written: a legacy or other-format index, a damaged
    /// segment, a build that failed. The message says what to do (usually: rebuild it with
    /// `chaintrail screen build-index`).
    #[error("exposure index {path}: {message}")]
    Index {
        /// The index file (or the legacy `index.json`).
        path: PathBuf,
        /// What is wrong with it and what to do.
        message: String,
    },
    /// The exposure index was written by another version of chaintrail, in another format: the
    /// screener computes instead, and `chaintrail screen build-index` replaces it.
    #[error(
        "exposure index {path} is in format `{found}` of another chaintrail version (this one \
         reads `{expected}`); rebuild it with `chaintrail screen build-index`"
    )]
    IndexFormat {
        /// The index file.
        path: PathBuf,
        /// The format it says it is in.
        found: String,
        /// The format this version reads.
        expected: &'static str,
    },
    /// Writing the exposure index failed (disk full, permissions); the previous index stays.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file being written.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A file the screening reads (a batch file) cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file being read.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A row of a batch file that cannot be screened.
    #[error("{}, line {line}: {message}", path.display())]
    Batch {
        /// The batch file.
        path: PathBuf,
        /// The 1-based line number of the row.
        line: usize,
        /// The row's address and what is wrong with it (an unknown chain name, …).
        message: String,
    },
    /// A rules file that cannot be used (file, line, field).
    #[error(transparent)]
    Rules(#[from] RulesError),
    /// The caller raised the screening's [`Cancel`] flag.
    #[error("the screening was cancelled")]
    Cancelled,
}

/// What to screen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    /// The address as given, in any format chaintrail parses (EVM hex, Bitcoin base58 or
    /// bech32); it is canonicalised before lookup.
    pub address: String,
    /// The chain, when the caller knows it; else inferred from the address format (EVM
    /// addresses: every EVM chain of the store that knows the address).
    pub chain: Option<Chain>,
    /// Screening date (labels valid then, transfers up to its end); default today (UTC).
    pub at: Option<Date>,
    /// Keep the paths behind each exposure (always computed, never from the index).
    pub paths: bool,
}

/// An address's display form and the chains to screen it on, with its id there (if any).
type Target = (String, Vec<(Chain, Option<u32>)>);

/// The screening service over one store: readers, labels, prices and (if built) the index.
pub struct Screener {
    dir: PathBuf,
    readers: BTreeMap<Chain, ChainReader>,
    labels: LabelStore,
    /// The store's address clusters, when built (`<dir>/clusters/`).
    clusters: Option<chaintrail_cluster::Clusters>,
    links: KnownLinks,
    prices: Prices,
    params: Params,
    rules: RuleTable,
    index: Option<ExposureIndex>,
    index_status: String,
    /// What the live walks found the addresses they met to be, per screening date (the last
    /// [`MEMO_DATES`] dates asked): the labels and clusters do not change under a screener.
    memos: Mutex<Vec<(Date, Arc<EntityMemo>)>>,
}

/// Screening dates whose live walks' findings a screener keeps (a bit per address each).
const MEMO_DATES: usize = 4;

fn same_family(a: Chain, b: Chain) -> bool {
    matches!(
        (a, b),
        (Chain::Evm(_), Chain::Evm(_)) | (Chain::Bitcoin(_), Chain::Bitcoin(_))
    )
}

/// The text a Chainalysis-style identification gives for a label's claim of `category`.
fn describe(label: &Label, category: Category) -> (String, Option<String>) {
    let d = &label.details;
    match label.source {
        Source::Ofac => {
            let uid = d.get("sdn_uid").cloned().unwrap_or_default();
            let mut text = format!("OFAC SDN entry {uid}: {}", label.name);
            if let Some(kind) = d.get("party_type") {
                text.push_str(&format!(" ({kind})"));
            }
            if let Some(programs) = d.get("programs").filter(|p| !p.is_empty()) {
                text.push_str(&format!("; programs {programs}"));
            }
            if let Some(listing) = OfacListing::of(label) {
                text.push_str(&format!("; {}", listing.listed));
            }
            if let Some(aka) = d.get("aka") {
                text.push_str(&format!("; also known as {}", aka.replace('|', ", ")));
            }
            let url = (!uid.is_empty())
                .then(|| format!("https://sanctionssearch.ofac.treas.gov/Details.aspx?id={uid}"));
            (text, url)
        }
        _ => {
            let url = ["source_url", "url", "source"]
                .iter()
                .find_map(|k| d.get(*k))
                .filter(|u| u.starts_with("http"))
                .cloned();
            (
                format!(
                    "{} ({category}), from {} {}:{}",
                    label.name, label.source, label.file, label.line
                ),
                url,
            )
        }
    }
}

impl Screener {
    /// Open the store at `dir`: its chains, labels, the links derived from its chains
    /// (`<dir>/links/`), registered pegs (`pegs.jsonl`, when present) and exposure index, if any.
    pub fn open(dir: &Path) -> Result<Screener, ScreenError> {
        let store = Store::open(dir)?;
        let readers = store.readers()?;
        let labels = LabelStore::open(dir)?;
        let clusters = chaintrail_cluster::Clusters::open(&store)
            .map_err(|e| ScreenError::Clusters(e.to_string()))?;
        let clusters = (!clusters.is_empty()).then_some(clusters);
        let links = load_links(dir, None)?;
        let prices = Prices::for_store(dir).map_err(|e| ScreenError::Prices(e.to_string()))?;
        let mut screener = Screener {
            dir: dir.to_path_buf(),
            readers,
            labels,
            clusters,
            links,
            prices,
            params: Params::default(),
            rules: RuleTable::builtin(),
            index: None,
            index_status: "not built (run `chaintrail screen build-index`)".to_string(),
            memos: Mutex::new(Vec::new()),
        };
        screener.load_index()?;
        Ok(screener)
    }

    /// The exposure index, when one is built and answers for this screener's labels, links,
    /// rules and parameters.
    pub fn index(&self) -> Option<&ExposureIndex> {
        self.index.as_ref()
    }

    /// Use other walk parameters (the index answers only for the parameters it was built with).
    pub fn with_params(mut self, params: Params) -> Screener {
        self.params = params;
        self
    }

    /// Use these known links instead of the store's derived links alone (the index answers
    /// only when it was built with the same links).
    pub fn with_links(mut self, links: KnownLinks) -> Result<Screener, ScreenError> {
        self.links = links;
        self.load_index()?;
        Ok(self)
    }

    /// Rate with this rule table instead of the built-in one (the index answers only when it
    /// was built with the same rules).
    pub fn with_rules(mut self, rules: RuleTable) -> Result<Screener, ScreenError> {
        self.rules = rules;
        self.load_index()?;
        Ok(self)
    }

    fn load_index(&mut self) -> Result<(), ScreenError> {
        self.index = None;
        let index = match ExposureIndex::load(&self.dir) {
            Err(e @ ScreenError::IndexFormat { .. }) => {
                self.index_status = format!("stale: {e}");
                return Ok(());
            }
            other => other?,
        };
        if let Some(index) = index {
            let readers: Vec<&ChainReader> = self.readers.values().collect();
            let stale = if index.file_meta.rules_fingerprint != self.rules.fingerprint() {
                Some(format!(
                    "the risk rules ({}) differ from those the index was built with",
                    self.rules.source_text()
                ))
            } else {
                index.staleness(
                    &readers,
                    &self.labels,
                    self.clusters_fingerprint(),
                    &self.links,
                    &self.prices,
                )
            };
            match stale {
                Some(why) => {
                    self.index_status = format!("stale: {why}; rebuild it");
                }
                None => {
                    let m = &index.file_meta;
                    self.index_status = format!(
                        "built for {} ({} addresses with exposure), answers for {} to {}",
                        m.at,
                        index.len(),
                        m.valid_from,
                        m.valid_until
                            .map_or_else(|| "open end".to_string(), |d| d.to_string())
                    );
                    self.index = Some(index);
                }
            }
        }
        Ok(())
    }

    /// The store directory it was opened on.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The labels the screener resolves ownership and attributions from.
    pub fn labels(&self) -> &LabelStore {
        &self.labels
    }

    /// The store's address clusters, when built.
    pub fn clusters(&self) -> Option<&chaintrail_cluster::Clusters> {
        self.clusters.as_ref()
    }

    /// [`chaintrail_cluster::Clusters::labelled_fingerprint`] of the clusters in use (0: none).
    fn clusters_fingerprint(&self) -> u32 {
        self.clusters
            .as_ref()
            .map_or(0, chaintrail_cluster::Clusters::labelled_fingerprint)
    }

    /// The known converter links the exposure walk crosses.
    pub fn links(&self) -> &KnownLinks {
        &self.links
    }

    /// A reader of every chain of the store, keyed by chain.
    pub fn readers(&self) -> &BTreeMap<Chain, ChainReader> {
        &self.readers
    }

    /// The USD prices (with the store's registered pegs) that value transfers.
    pub fn prices(&self) -> &Prices {
        &self.prices
    }

    /// The walk parameters used for computing exposures (and required of the index).
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// The rule table that rates identifications and exposures.
    pub fn rules(&self) -> &RuleTable {
        &self.rules
    }

    /// A sentence on the state of the exposure index.
    pub fn index_status(&self) -> &str {
        &self.index_status
    }

    /// What the exposure walk of an index build for `at` works with: the store's parameters,
    /// transfers up to the end of `at`.
    pub(crate) fn index_context<'a>(
        &'a self,
        at: Date,
        cancel: &'a Cancel,
        entity_memo: &'a EntityMemo,
    ) -> Context<'a> {
        self.context(at, cancel, &self.params, entity_memo)
    }

    /// What the exposure walk for `at` works with under `params`: labels, clusters, links,
    /// prices and rules of this screener, transfers up to the end of `at`.
    fn context<'a>(
        &'a self,
        at: Date,
        cancel: &'a Cancel,
        params: &'a Params,
        entity_memo: &'a EntityMemo,
    ) -> Context<'a> {
        Context {
            readers: &self.readers,
            links: &self.links,
            attr: Attributor {
                labels: &self.labels,
                clusters: self.clusters.as_ref(),
                at,
            },
            entity_memo,
            prices: &self.prices,
            params,
            rules: &self.rules,
            cancel,
            cutoff: end_of_day(at),
        }
    }

    /// Build the exposure index for `at` (default today) and start using it. With `full`
    /// false, an index whose chains only grew since is updated: only the addresses the new
    /// records can change are computed again (see [`index`]); else it is built in full.
    pub fn build_index(
        &mut self,
        at: Option<Date>,
        threads: usize,
        full: bool,
        progress: &(dyn Fn(u64, u64) + Sync),
    ) -> Result<BuildReport, ScreenError> {
        self.write_index(at, threads, full, None, progress)
    }

    /// [`Screener::build_index`] after the labels, clusters or links changed as `changes` says
    /// (a follower re-derives them after each block): when the index was built on the inputs
    /// `changes` starts from, only the addresses the changes and the new records can reach are
    /// computed again; else the index is built in full.
    pub fn update_index(
        &mut self,
        changes: &InputChanges,
        at: Option<Date>,
        threads: usize,
        progress: &(dyn Fn(u64, u64) + Sync),
    ) -> Result<BuildReport, ScreenError> {
        self.write_index(at, threads, false, Some(changes), progress)
    }

    fn write_index(
        &mut self,
        at: Option<Date>,
        threads: usize,
        full: bool,
        changes: Option<&InputChanges>,
        progress: &(dyn Fn(u64, u64) + Sync),
    ) -> Result<BuildReport, ScreenError> {
        let at = at.unwrap_or_else(Date::today);
        let never = Cancel::new();
        let entity_memo = EntityMemo::new(&self.readers);
        let ctx = self.index_context(at, &never, &entity_memo);
        let readers: Vec<&ChainReader> = self.readers.values().collect();
        let compute = |reader: &ChainReader, id: u32| chain_exposure(&ctx, reader.chain(), id);
        let job = index::BuildJob {
            store_dir: &self.dir,
            readers: &readers,
            labels: &self.labels,
            links: &self.links,
            prices: &self.prices,
            at,
            params: &self.params,
            rules_fingerprint: self.rules.fingerprint(),
            clusters_fingerprint: self.clusters_fingerprint(),
            threads,
            changes,
        };
        let previous = if full {
            None
        } else {
            // The index in use may have been set aside as stale: look at the file itself.
            ExposureIndex::load(&self.dir).ok().flatten()
        };
        let updated = match &previous {
            Some(previous) => index::update(&job, previous, &compute, progress)?,
            None => None,
        };
        drop(previous);
        let report = match updated {
            Some(report) => report,
            None => index::build(&job, &compute, progress)?,
        };
        // Stop using the old file before anything else reads it (it was replaced by rename).
        self.index = None;
        self.load_index()?;
        Ok(report)
    }

    /// Resolve the query's address: its display form and the chains (with the store's id of the
    /// address, when the store knows it) to screen it on.
    fn resolve(&self, query: &Query) -> Result<Target, ScreenError> {
        let text = query.address.trim();
        let parsed = match query.chain {
            Some(chain) => Address::parse(chain, text).map(|a| (chain, a)),
            None => Address::parse_any(text),
        };
        match parsed {
            Ok((chain, address)) => {
                let mut chains: Vec<(Chain, Option<u32>)> = match (query.chain, chain) {
                    (None, Chain::Evm(_)) => self
                        .readers
                        .iter()
                        .filter(|(c, _)| matches!(c, Chain::Evm(_)))
                        .filter_map(|(c, r)| r.address_id(&address).map(|id| (*c, Some(id))))
                        .collect(),
                    _ => Vec::new(),
                };
                if chains.is_empty() {
                    let id = self
                        .readers
                        .get(&chain)
                        .and_then(|r| r.address_id(&address));
                    chains.push((chain, id));
                }
                Ok((address.to_string(), chains))
            }
            // An address of a chain chaintrail does not model (Tron, Litecoin, Monero, …) is
            // screened on its labels when the label store knows it.
            Err(err) if query.chain.is_none() && !self.labels.lookup(text).is_empty() => {
                let _ = err;
                Ok((text.to_string(), Vec::new()))
            }
            Err(err) => Err(ScreenError::BadAddress(err.to_string())),
        }
    }

    /// What the address itself is at `at`, as ownership identifications: its resolved role,
    /// then its flags in force (OFAC's dated listing in place of undated sanction claims), then
    /// labels that say neither (category `other`, listed, never risky); and, apart, its flags
    /// whose status at `at` is unknown. On several chains of the store (one EVM address on
    /// several EVM chains), the union of their resolutions.
    fn ownership(
        &self,
        text: &str,
        chains: &[(Chain, Option<u32>)],
        at: Date,
    ) -> (Vec<Ownership>, Vec<Ownership>) {
        let resolutions: Vec<Resolved> = if chains.is_empty() {
            self.labels
                .resolve_any_chain(text, Some(at))
                .into_iter()
                .collect()
        } else {
            chains
                .iter()
                .filter_map(|(chain, _)| self.labels.resolve(*chain, text, Some(at)))
                .collect()
        };
        let all = self.labels.labels();
        let mut out: Vec<Ownership> = Vec::new();
        let mut unknown: Vec<Ownership> = Vec::new();
        let identification = |label: &Label, category: Category, name: &str| {
            let (description, url) = describe(label, category);
            let verdict = self.rules.judge_ownership(category);
            Ownership {
                category,
                name: name.to_string(),
                source: label.source.to_string(),
                description,
                url,
                valid_from: label.valid_from,
                valid_to: label.valid_to,
                unknown_start: label.unknown_start,
                level: verdict.level,
                rule: verdict.rule,
                alert: verdict.alert,
            }
        };
        for resolved in &resolutions {
            for flag in &resolved.unknown {
                if !unknown
                    .iter()
                    .any(|o| o.name == flag.name && o.category == flag.flag)
                {
                    unknown.push(identification(&all[flag.label], flag.flag, &flag.name));
                }
            }
        }
        let mut push = |label: &Label, category: Category, name: &str| {
            if !out.iter().any(|o| o.name == name && o.category == category) {
                out.push(identification(label, category, name));
            }
        };
        for resolved in &resolutions {
            if let Some(role) = &resolved.role {
                push(&all[role.label], role.role, &role.name);
            }
        }
        for resolved in &resolutions {
            for flag in &resolved.flags {
                push(&all[flag.label], flag.flag, &flag.name);
            }
        }
        let applies = |label: &Label| {
            chains.is_empty()
                || label
                    .chain
                    .is_none_or(|lc| chains.iter().any(|(c, _)| same_family(lc, *c)))
        };
        for label in self.labels.lookup_at(text, at) {
            if label.role.is_none() && label.flags.is_empty() && applies(label) {
                push(label, Category::Other, &label.name);
            }
        }
        (out, unknown)
    }

    /// The address's own labels valid at the query's date (no exposure walk): what a sanctions
    /// check needs. Returns the address's display form and its identifications.
    pub fn identify(&self, query: &Query) -> Result<(String, Vec<Ownership>), ScreenError> {
        let at = query.at.unwrap_or_else(Date::today);
        let (address, chains) = self.resolve(query)?;
        let (ownership, _) = self.ownership(&address, &chains, at);
        Ok((address, ownership))
    }

    /// Trace funds over this store with its labels, clusters (when built), known links and
    /// prices: the one composition behind `POST /v1/trace` and the Python package's `trace`.
    pub fn trace(
        &self,
        request: &chaintrail_trace::TraceRequest,
    ) -> Result<chaintrail_trace::TraceReport, chaintrail_trace::TraceError> {
        let links = [self.links.converter() as &dyn chaintrail_trace::Converter];
        match &self.clusters {
            Some(clusters) => {
                let attribution = chaintrail_trace::WithClusters {
                    labels: &self.labels,
                    clusters,
                };
                chaintrail_trace::trace_with(
                    &self.readers,
                    &attribution,
                    &self.prices,
                    &links,
                    request,
                )
            }
            None => chaintrail_trace::trace_with(
                &self.readers,
                &self.labels,
                &self.prices,
                &links,
                request,
            ),
        }
    }

    /// The live walks' memo for screenings at `at`, made when none is kept.
    fn memo_for(&self, at: Date) -> Arc<EntityMemo> {
        // A poisoned lock still holds whole entries: each is pushed whole.
        let mut memos = self.memos.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, memo)) = memos.iter().find(|(date, _)| *date == at) {
            return memo.clone();
        }
        if memos.len() == MEMO_DATES {
            memos.remove(0);
        }
        let memo = Arc::new(EntityMemo::new(&self.readers));
        memos.push((at, memo.clone()));
        memo
    }

    /// Screen one address.
    pub fn screen(&self, query: &Query) -> Result<Screening, ScreenError> {
        self.screen_with(query, &Cancel::new())
    }

    /// [`Screener::screen`] that stops early, with [`ScreenError::Cancelled`], once `cancel` is
    /// raised (the exposure walk checks it with every record it examines).
    pub fn screen_with(&self, query: &Query, cancel: &Cancel) -> Result<Screening, ScreenError> {
        let at = query.at.unwrap_or_else(Date::today);
        let (address, chains) = self.resolve(query)?;
        let (ownership, ownership_unknown) = self.ownership(&address, &chains, at);
        let mut merged = ChainExposure::default();
        let mut origin = Origin::LabelsOnly;
        let params = Params {
            max_paths: if query.paths { 3 } else { 0 },
            ..self.params.clone()
        };
        let memo = self.memo_for(at);
        let ctx = self.context(at, cancel, &params, &memo);
        for &(chain, id) in &chains {
            let (Some(id), true) = (id, self.readers.contains_key(&chain)) else {
                continue;
            };
            let from_index = match self
                .index
                .as_ref()
                .filter(|i| !query.paths && i.covers(at, &self.params))
            {
                Some(index) => index.get(chain, id)?,
                None => None,
            };
            let exposure = match from_index {
                Some(found) => {
                    origin = Origin::Index;
                    found
                }
                None => {
                    origin = Origin::Computed;
                    chain_exposure(&ctx, chain, id)
                }
            };
            merged.exposures.extend(exposure.exposures);
            merged.volume.incoming_usd += exposure.volume.incoming_usd;
            merged.volume.outgoing_usd += exposure.volume.outgoing_usd;
            merged.excluded_dust.extend(exposure.excluded_dust);
            merged.truncated |= exposure.truncated;
        }
        if cancel.is_cancelled() {
            return Err(ScreenError::Cancelled);
        }
        assess::sort_exposures(&mut merged.exposures);
        let verdict = assess::assess(&ownership, &merged.exposures, at);
        let sanctioned = ownership.iter().any(|o| o.category == Category::Sanctioned);
        let sanctions = SanctionStatus::from_claims(
            sanctioned,
            ownership_unknown
                .iter()
                .filter(|o| o.category == Category::Sanctioned)
                .filter_map(|o| o.valid_from),
        );
        Ok(Screening {
            address,
            chains: chains.iter().map(|(c, _)| *c).collect(),
            at,
            risk: verdict.risk,
            risk_reason: verdict.reason,
            risk_rule: verdict.rule,
            alerts: verdict.alerts,
            sanctions,
            ownership,
            ownership_unknown,
            exposures: merged.exposures,
            volume: merged.volume,
            excluded_dust: merged.excluded_dust,
            truncated: merged.truncated,
            origin,
        })
    }
}
