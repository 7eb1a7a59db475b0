//! The precomputed exposure index: the exposures of every address of the store at one date,
//! in one memory-mapped binary file, `<store>/screen/exposure.idx` (`index_file.rs`), so
//! that screening is a lookup and opening the index reads nothing but its metadata.
//!
//! An index answers for a date only when nothing it depends on differs at that date: the chain
//! contents (checksums), the labels, the known links and the risk rules (fingerprints), the walk
//! parameters, and the date lies in the window over which no label starts or ends and no later
//! transfer exists.
//!
//! After an import that only appended blocks, [`crate::Screener::build_index`] recomputes only
//! the addresses whose exposure the new records can change (`dirty.rs`) and copies every
//! other stored value as it is; anything else (other labels, links, pegs, rules, parameters, a
//! date across a label boundary) needs a full build.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;

use chaintrail_core::Chain;
use chaintrail_labels::{Date, LabelStore};
use chaintrail_store::{ChainReader, FileState};
use chaintrail_trace::{PEGS_FILE, Prices};
use serde::{Deserialize, Serialize};

use crate::ScreenError;
use crate::changes::InputChanges;
use crate::codec::Vocabulary;
use crate::dirty::Dirty;
use crate::exposure::Params;
use crate::index_file::{ChainSection, IndexWriter, MappedIndex, section_of};
use crate::links::KnownLinks;
use crate::model::ChainExposure;

/// The format of the index; `/5` puts the metadata last and each chain's values before its
/// offsets (container version 4); `/4` keeps the words values share once, in the metadata;
/// `/3` added the rules fingerprint (`/1` was the JSON index).
pub const INDEX_FORMAT: &str = "chaintrail-exposure-index/5";
/// The exposure index's file name, under `<store>/screen/` (see [`ExposureIndex::path`]).
pub const INDEX_FILE: &str = "exposure.idx";
/// The JSON index of earlier versions; a store that still has one is told to rebuild.
pub const LEGACY_INDEX_FILE: &str = "index.json";

/// A chain as the index saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexedChain {
    /// Which chain of the store this entry describes.
    pub chain: Chain,
    /// [`ChainReader::content_checksum`] of the chain at the build: any change of its committed
    /// content makes the index stale.
    pub checksum: u32,
    /// Address ids `0..addresses` are covered; a covered id without a stored value is clean.
    pub addresses: u32,
    /// Records (transfers, or inputs + outputs) and transactions the chain held, and the hash
    /// of its last transaction: an update checks that the chain only grew since.
    pub records: u64,
    /// Transactions the chain held.
    pub txs: u64,
    /// Hash (hex) of the chain's last transaction at the build; `None` for a chain without any.
    pub last_tx: Option<String>,
}

/// The index's metadata: everything but the stored exposures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexFile {
    /// [`INDEX_FORMAT`] of the build; another value is refused at open.
    pub format: String,
    /// Unix seconds of the build.
    pub built_at: u64,
    /// The date the exposures were computed at (labels and flags as they stand on it).
    pub at: Date,
    /// First date the index answers for (see [`validity_window`]).
    pub valid_from: Date,
    /// First date the index no longer answers for (`None`: open-ended).
    pub valid_until: Option<Date>,
    /// The walk parameters of the build; a query with other parameters is computed instead.
    pub params: Params,
    /// [`labels_fingerprint`] of the label store at the build.
    pub labels_fingerprint: u32,
    /// [`KnownLinks::fingerprint`] of the links the walk crossed (0: none).
    pub links_fingerprint: u32,
    /// [`pegs_fingerprint`] of the registered pegs USD values used (0: none).
    pub pegs_fingerprint: u32,
    /// [`crate::RuleTable::fingerprint`] of the rules that rated the exposures: the screener
    /// finds an index rated by other rules stale, and an update of it builds in full.
    pub rules_fingerprint: u32,
    /// [`chaintrail_cluster::Clusters::labelled_fingerprint`] of the clusters the walk
    /// attributed with (0: none).
    #[serde(default)]
    pub clusters_fingerprint: u32,
    /// The latest effective block time of the chains at the build: an index whose chains had
    /// blocks after the end of its date saw only part of them and cannot be updated.
    pub last_block_time: u64,
    /// The chains indexed, with what an update checks them against.
    pub chains: Vec<IndexedChain>,
    /// Addresses with a stored exposure, and how many of them were cut by the work budget.
    pub with_exposure: u64,
    /// How many of them had their walk cut short by the work budget (their exposures are a lower bound).
    pub truncated: u64,
    /// The words the stored values share (entity names, categories, rules, dates, …), which
    /// they refer to by position.
    pub words: Vec<String>,
    /// Where each chain's values are in the file, and the checksums of the body.
    pub sections: Vec<ChainSection>,
    /// Length and checksums (whole and per segment) of the file's body, the stored exposures.
    pub body: FileState,
}

/// What `build` or `update` did.
#[derive(Debug, Clone, Serialize)]
pub struct BuildReport {
    /// The index file written.
    pub path: PathBuf,
    /// The date the exposures were computed at.
    pub at: Date,
    /// First date the index answers for.
    pub valid_from: Date,
    /// First date it no longer answers for (`None`: open-ended).
    pub valid_until: Option<Date>,
    /// Addresses covered, over all chains (the reserved id 0 not counted).
    pub addresses: u64,
    /// How many of them have a stored exposure.
    pub with_exposure: u64,
    /// How many of them had their walk cut short by the work budget.
    pub truncated: u64,
    /// Addresses whose exposure was computed (all of them in a full build).
    pub computed: u64,
    /// Known converter links the walk crossed where they applied.
    pub links: usize,
    /// Wall-clock seconds the build or update took.
    pub seconds: f64,
}

/// An opened index, ready for lookups: only its metadata is read; each lookup reads one
/// address's value from the mapped file.
pub struct ExposureIndex {
    /// The index's metadata, read at open.
    pub file_meta: IndexFile,
    file: MappedIndex,
}

/// A digest of every label's key, name, category, role, flags, confidence, source and validity
/// (everything resolution decides on).
pub fn labels_fingerprint(labels: &LabelStore) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    for label in labels.labels() {
        hasher.update(label.key().as_bytes());
        hasher.update(label.name.as_bytes());
        hasher.update(label.category.as_str().as_bytes());
        hasher.update(label.role.map_or("-", |r| r.as_str()).as_bytes());
        for flag in &label.flags {
            hasher.update(flag.as_str().as_bytes());
        }
        hasher.update(&[label.confidence]);
        hasher.update(label.source.as_str().as_bytes());
        hasher.update(
            format!(
                "{:?}{:?}{:?}",
                label.valid_from, label.valid_to, label.unknown_start
            )
            .as_bytes(),
        );
    }
    hasher.finalize()
}

/// A digest of the pegs registered with the prices (0 when none): USD values, and so dust,
/// depend on them.
pub fn pegs_fingerprint(prices: &Prices) -> u32 {
    let pegs = prices.pegs();
    if pegs.is_empty() {
        return 0;
    }
    let mut hasher = crc32fast::Hasher::new();
    for (chain, contract, peg) in pegs {
        hasher.update(format!("{chain} {contract} {peg:?}\n").as_bytes());
    }
    hasher.finalize()
}

/// The window of dates around `at` over which the labels do not change and no transfer of the
/// store lies after the date.
pub fn validity_window(
    labels: &LabelStore,
    readers: &[&ChainReader],
    at: Date,
) -> (Date, Option<Date>) {
    let last_block = last_block_time(readers).and_then(Date::from_unix_seconds);
    if last_block.is_some_and(|last| last > at) {
        return (at, at.next_day());
    }
    let mut from = last_block.unwrap_or(at);
    let mut until: Option<Date> = None;
    for label in labels.labels() {
        // The day after a snapshot without the entry, an unknown start begins.
        let unknown_from = label
            .unknown_start
            .and_then(|start| start.absent_on)
            .and_then(Date::next_day);
        for boundary in [label.valid_from, label.valid_to, unknown_from]
            .into_iter()
            .flatten()
        {
            if boundary <= at {
                from = from.max(boundary);
            } else {
                until = Some(until.map_or(boundary, |u| u.min(boundary)));
            }
        }
    }
    (from.min(at), until)
}

impl ExposureIndex {
    /// Where the index of the store in `store_dir` lives: `<store>/screen/exposure.idx`.
    pub fn path(store_dir: &Path) -> PathBuf {
        store_dir.join("screen").join(INDEX_FILE)
    }

    /// Open the index of a store; `Ok(None)` when none was built. Reads the metadata only.
    pub fn load(store_dir: &Path) -> Result<Option<ExposureIndex>, ScreenError> {
        let path = Self::path(store_dir);
        let Some((meta, file)) = MappedIndex::open(&path)? else {
            let legacy = store_dir.join("screen").join(LEGACY_INDEX_FILE);
            if legacy.exists() {
                return Err(ScreenError::Index {
                    path: legacy,
                    message: "this exposure index is in the JSON format of an earlier \
                              chaintrail; rebuild it with `chaintrail screen build-index` (and \
                              delete index.json)"
                        .to_string(),
                });
            }
            return Ok(None);
        };
        Ok(Some(ExposureIndex {
            file_meta: meta,
            file,
        }))
    }

    /// Why the index cannot answer for these chains, labels and links, or `None` when it can.
    pub fn staleness(
        &self,
        readers: &[&ChainReader],
        labels: &LabelStore,
        clusters_fingerprint: u32,
        links: &KnownLinks,
        prices: &Prices,
    ) -> Option<String> {
        if let Some(why) = self.inputs_changed(labels, links, prices) {
            return Some(why);
        }
        if clusters_fingerprint != self.file_meta.clusters_fingerprint {
            return Some(
                "the services' address clusters changed since the index was built".to_string(),
            );
        }
        for reader in readers {
            let indexed = self
                .file_meta
                .chains
                .iter()
                .find(|c| c.chain == reader.chain());
            match indexed {
                None => return Some(format!("chain {} is not in the index", reader.chain())),
                Some(c) if c.checksum != reader.content_checksum() => {
                    return Some(format!(
                        "chain {} changed since the index was built",
                        c.chain
                    ));
                }
                Some(_) => {}
            }
        }
        None
    }

    /// Why labels, links or pegs differ from the index's, or `None`.
    fn inputs_changed(
        &self,
        labels: &LabelStore,
        links: &KnownLinks,
        prices: &Prices,
    ) -> Option<String> {
        if labels_fingerprint(labels) != self.file_meta.labels_fingerprint {
            return Some("the labels changed since the index was built".to_string());
        }
        if pegs_fingerprint(prices) != self.file_meta.pegs_fingerprint {
            return Some(format!(
                "the registered pegs ({} now, {PEGS_FILE}) changed since the index was built",
                prices.pegs().len()
            ));
        }
        if links.fingerprint() != self.file_meta.links_fingerprint {
            return Some(format!(
                "the known links ({} now) changed since the index was built",
                links.len()
            ));
        }
        None
    }

    /// Does the index answer for `at` with `params`?
    pub fn covers(&self, at: Date, params: &Params) -> bool {
        let meta = &self.file_meta;
        meta.params == *params
            && meta.valid_from <= at
            && meta.valid_until.is_none_or(|until| at < until)
    }

    /// The stored exposure of an address id: `Some(empty)` when covered and clean, `None` when
    /// the id is not covered. `Err` when the entry cannot be read (a damaged index).
    pub fn get(&self, chain: Chain, id: u32) -> Result<Option<ChainExposure>, ScreenError> {
        let Some((i, section)) = section_of(&self.file_meta, chain) else {
            return Ok(None);
        };
        if id >= self.file_meta.chains[i].addresses {
            return Ok(None);
        }
        let (bytes, _) = self.file.value(section, id)?;
        self.file.exposure(bytes, &self.file_meta.words).map(Some)
    }

    /// The stored bytes of an id and its truncation flag (for updates, which copy what did not
    /// change).
    fn raw(&self, chain: Chain, id: u32) -> Result<(&[u8], bool), ScreenError> {
        match section_of(&self.file_meta, chain) {
            Some((i, section)) if id < self.file_meta.chains[i].addresses => {
                self.file.value(section, id)
            }
            _ => Ok((&[], false)),
        }
    }

    /// Addresses with a stored exposure.
    pub fn len(&self) -> usize {
        self.file_meta.with_exposure as usize
    }

    /// `true` when no address has a stored exposure.
    pub fn is_empty(&self) -> bool {
        self.file_meta.with_exposure == 0
    }

    /// Verify every checksummed segment of the stored exposures; the damaged ones, as text.
    pub fn verify(&self) -> Vec<String> {
        self.file.verify()
    }

    /// The path of the opened index file.
    pub fn file_path(&self) -> &Path {
        self.file.path()
    }
}

/// What [`build`] works on.
pub(crate) struct BuildJob<'a> {
    pub store_dir: &'a Path,
    pub readers: &'a [&'a ChainReader],
    pub labels: &'a LabelStore,
    pub links: &'a KnownLinks,
    pub prices: &'a Prices,
    pub at: Date,
    pub params: &'a Params,
    pub rules_fingerprint: u32,
    pub clusters_fingerprint: u32,
    pub threads: usize,
    /// What changed in labels, clusters and links since the index, when the caller knows.
    pub changes: Option<&'a InputChanges>,
}

/// The message a panic carried, when it is text.
fn panic_text(panic: &(dyn std::any::Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

/// An encoded exposure (empty: none) and whether its walk was truncated.
type Stored = (Vec<u8>, bool);

/// Addresses computed per batch: the encoded exposures of one batch are held in memory before
/// they are written in id order.
const BATCH: u32 = 1 << 16;

/// Compute every address's exposure with `compute` on `job.threads` threads, and write the index.
/// When `compute` panics for any address the build fails naming it and writes nothing: an
/// address missing from the index would read as clean.
pub(crate) fn build(
    job: &BuildJob<'_>,
    compute: &(dyn Fn(&ChainReader, u32) -> ChainExposure + Sync),
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<BuildReport, ScreenError> {
    write(job, None, compute, progress)
}

/// [`build`] that recomputes only the addresses `previous` cannot answer for after the chains
/// grew by appended blocks, and copies the rest from it. `Ok(None)` when `previous` cannot be
/// updated (the caller builds in full); the reason is logged.
pub(crate) fn update(
    job: &BuildJob<'_>,
    previous: &ExposureIndex,
    compute: &(dyn Fn(&ChainReader, u32) -> ChainExposure + Sync),
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<Option<BuildReport>, ScreenError> {
    match crate::dirty::plan(job, previous) {
        Ok(dirty) => write(job, Some((previous, &dirty)), compute, progress).map(Some),
        Err(why) => {
            tracing::info!(%why, "the exposure index is rebuilt in full");
            Ok(None)
        }
    }
}

fn write(
    job: &BuildJob<'_>,
    previous: Option<(&ExposureIndex, &Dirty)>,
    compute: &(dyn Fn(&ChainReader, u32) -> ChainExposure + Sync),
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<BuildReport, ScreenError> {
    let BuildJob {
        store_dir,
        readers,
        labels,
        links,
        prices,
        at,
        params,
        rules_fingerprint,
        clusters_fingerprint: _,
        threads,
        changes: _,
    } = *job;
    let started = Instant::now();
    let (valid_from, valid_until) = validity_window(labels, readers, at);
    let path = ExposureIndex::path(store_dir);
    let failed = |why: String| ScreenError::Index {
        path: path.clone(),
        message: format!(
            "build failed, nothing written (a previous index, if any, is unchanged): {why}"
        ),
    };
    let needs = |chain_index: usize, id: u32| match previous {
        None => true,
        Some((_, dirty)) => dirty.contains(chain_index, id),
    };
    let total: u64 = readers
        .iter()
        .enumerate()
        .map(|(i, r)| {
            (1..r.address_count() as u32)
                .filter(|&id| needs(i, id))
                .count() as u64
        })
        .sum();
    let done = AtomicU64::new(0);
    // The values copied from the previous index keep the numbers of its words.
    let vocabulary = match previous {
        Some((index, _)) => Vocabulary::from_words(&index.file_meta.words),
        None => Vocabulary::default(),
    };
    let (mut with_exposure, mut truncated) = (0u64, 0u64);
    let mut writer = IndexWriter::create(&path)?;
    let mut chains = Vec::with_capacity(readers.len());
    for (chain_index, reader) in readers.iter().enumerate() {
        let addresses = u32::try_from(reader.address_count())
            .map_err(|_| failed(format!("{} has more than 2^32 addresses", reader.chain())))?;
        let mut batch: Vec<Stored> = Vec::new();
        let mut batch_start = 0u32;
        writer.chain(addresses, |id| {
            if id == 0 || id >= batch_start + batch.len() as u32 {
                batch_start = id;
                let end = addresses.min(id.saturating_add(BATCH));
                let ids: Vec<u32> = (id..end).collect();
                batch = compute_batch(
                    reader,
                    chain_index,
                    &ids,
                    previous,
                    &needs,
                    compute,
                    &vocabulary,
                    threads,
                    &done,
                    total,
                    progress,
                )
                .map_err(&failed)?;
            }
            let value = std::mem::take(&mut batch[(id - batch_start) as usize]);
            with_exposure += u64::from(!value.0.is_empty());
            truncated += u64::from(value.1);
            Ok(value)
        })?;
        chains.push(IndexedChain {
            chain: reader.chain(),
            checksum: reader.content_checksum(),
            addresses,
            records: reader.transfer_count() + reader.input_count() + reader.output_count(),
            txs: reader.tx_count(),
            last_tx: reader
                .tx_count()
                .checked_sub(1)
                .map(|last| reader.tx_hash(last).to_hex()),
        });
    }
    // Reads from a damaged store segment return nothing: write no index computed from them.
    for reader in readers {
        reader.ensure_intact()?;
    }
    let mut meta = IndexFile {
        format: INDEX_FORMAT.to_string(),
        built_at: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        at,
        valid_from,
        valid_until,
        params: params.clone(),
        labels_fingerprint: labels_fingerprint(labels),
        links_fingerprint: links.fingerprint(),
        pegs_fingerprint: pegs_fingerprint(prices),
        rules_fingerprint,
        clusters_fingerprint: job.clusters_fingerprint,
        last_block_time: last_block_time(readers).unwrap_or(0),
        chains,
        with_exposure,
        truncated,
        words: vocabulary.into_words(),
        sections: Vec::new(),
        body: crate::index_file::empty_body(),
    };
    writer.finish(&mut meta)?;
    Ok(BuildReport {
        path,
        at,
        valid_from,
        valid_until,
        addresses: readers
            .iter()
            .map(|r| r.address_count().saturating_sub(1) as u64)
            .sum(),
        with_exposure,
        truncated,
        computed: total,
        links: links.len(),
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// The values of the ids from a position of a batch on, as one worker computed them.
type Piece = (usize, Vec<Stored>);

/// Ids a worker takes at a time: small enough that the workers finish a batch together
/// (walks differ in cost by orders of magnitude), large enough that taking them costs nothing.
const STEP: usize = 64;

/// The encoded values of `ids`: computed on `threads` threads where `needs` says so, copied
/// from the previous index otherwise. Empty for an address without exposure.
#[allow(clippy::too_many_arguments)]
fn compute_batch(
    reader: &ChainReader,
    chain_index: usize,
    ids: &[u32],
    previous: Option<(&ExposureIndex, &Dirty)>,
    needs: &(dyn Fn(usize, u32) -> bool + Sync),
    compute: &(dyn Fn(&ChainReader, u32) -> ChainExposure + Sync),
    vocabulary: &Vocabulary,
    threads: usize,
    done: &AtomicU64,
    total: u64,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<Vec<Stored>, String> {
    let one = |id: u32| -> Result<Stored, String> {
        if id == 0 {
            return Ok((Vec::new(), false));
        }
        if !needs(chain_index, id) {
            return previous
                .map(|(index, _)| {
                    index
                        .raw(reader.chain(), id)
                        .map(|(bytes, truncated)| (bytes.to_vec(), truncated))
                })
                .unwrap_or(Ok((Vec::new(), false)))
                .map_err(|e| e.to_string());
        }
        // A panic must not leave the address out: absent ids read as clean.
        let exposure = catch_unwind(AssertUnwindSafe(|| compute(reader, id))).map_err(|panic| {
            format!(
                "computing the exposure of {} address {} (id {id}) panicked: {}",
                reader.chain(),
                reader
                    .address(id)
                    .map_or_else(|| "?".to_string(), |a| a.to_string()),
                panic_text(panic.as_ref())
            )
        })?;
        let n = done.fetch_add(1, Ordering::Relaxed) + 1;
        if n.is_multiple_of(4096) || n == total {
            progress(n, total);
        }
        if exposure.exposures.is_empty() && exposure.excluded_dust.is_empty() && !exposure.truncated
        {
            return Ok((Vec::new(), false));
        }
        crate::codec::encode(&exposure, vocabulary).map(|bytes| (bytes, exposure.truncated))
    };
    // Set by the first worker that fails, so that the others stop early.
    let failed = AtomicBool::new(false);
    let next = AtomicUsize::new(0);
    let worker = || -> Result<Vec<Piece>, String> {
        let mut pieces = Vec::new();
        loop {
            let start = next.fetch_add(STEP, Ordering::Relaxed);
            if start >= ids.len() || failed.load(Ordering::Relaxed) {
                return Ok(pieces);
            }
            let end = ids.len().min(start + STEP);
            let piece: Result<Vec<Stored>, String> =
                ids[start..end].iter().map(|&id| one(id)).collect();
            match piece {
                Ok(values) => pieces.push((start, values)),
                Err(why) => {
                    failed.store(true, Ordering::Relaxed);
                    return Err(why);
                }
            }
        }
    };
    let results: Vec<Result<Vec<Piece>, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads.max(1)).map(|_| scope.spawn(worker)).collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|panic| {
                    Err(format!(
                        "a worker thread panicked: {}",
                        panic_text(panic.as_ref())
                    ))
                })
            })
            .collect()
    });
    let mut pieces = Vec::new();
    for result in results {
        pieces.extend(result?);
    }
    pieces.sort_unstable_by_key(|&(start, _)| start);
    Ok(pieces.into_iter().flat_map(|(_, values)| values).collect())
}

/// The latest effective block time over the chains (`None` without blocks).
pub(crate) fn last_block_time(readers: &[&ChainReader]) -> Option<u64> {
    readers
        .iter()
        .filter_map(|r| {
            r.block_count()
                .checked_sub(1)
                .map(|i| r.block_effective_time(i))
        })
        .max()
}

#[cfg(test)]
mod tests {
    use chaintrail_core::{AccountTransfer, AccountTx, Address, Amount, AssetKind, BlockRef};
    use chaintrail_core::{TransferKind, TxHash};
    use chaintrail_store::Store;

    use super::*;

    const ETH: Chain = Chain::Evm(31337);

    /// A store of one chain whose transfers give addresses 1..=3 ids (0x01…, 0x02…, 0x03…).
    fn store(dir: &Path) -> Store {
        let store = Store::init(dir).expect("init");
        let mut writer = store.writer(ETH).expect("writer");
        let transfer = |from: u8, to: u8| AccountTransfer {
            from: Some(Address::Evm([from; 20])),
            to: Some(Address::Evm([to; 20])),
            asset: AssetKind::Native,
            amount: Amount::from_u64(5),
            kind: TransferKind::Native,
            success: true,
        };
        let tx = AccountTx {
            hash: TxHash([7; 32]),
            block: BlockRef {
                height: 1,
                timestamp: 1_650_000_000,
            },
            transfers: vec![transfer(1, 2), transfer(2, 3)],
        };
        writer.append_account_tx(&tx).expect("append");
        writer
            .finish("test", serde_json::json!(null))
            .expect("finish");
        store
    }

    /// A truncated walk is stored, so that every address is an index entry.
    fn some_exposure() -> ChainExposure {
        ChainExposure {
            truncated: true,
            ..ChainExposure::default()
        }
    }

    /// Run `test` with a build job over [`store`] in a fresh directory, rated by rules of
    /// fingerprint `rules_fingerprint`.
    fn with_job(rules_fingerprint: u32, test: impl FnOnce(&BuildJob<'_>)) {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = store(dir.path());
        let reader = store.reader(ETH).expect("reader");
        let readers = [&reader];
        let labels = LabelStore::open(dir.path()).expect("labels");
        let links = KnownLinks::default();
        let prices = Prices::bundled();
        let params = Params::default();
        test(&BuildJob {
            store_dir: dir.path(),
            readers: &readers,
            labels: &labels,
            links: &links,
            prices: &prices,
            at: "2022-04-15".parse().expect("date"),
            params: &params,
            rules_fingerprint,
            clusters_fingerprint: 0,
            threads: 2,
            changes: None,
        });
    }

    /// An exposure with every field set, and the same with every optional field at its default
    /// (which the JSON of a value leaves out).
    fn rated_exposure() -> ChainExposure {
        use chaintrail_labels::Category;

        use crate::model::{Direction, ExcludedDust, Exposure, ExposureType, HopValue};
        use crate::model::{NativeValue, Volume};
        use crate::rules::RiskLevel;

        let day = |text: &str| text.parse::<Date>().expect("date");
        let rated = Exposure {
            category: Category::Sanctioned,
            entity: "Tornado Cash".to_string(),
            direction: Direction::Incoming,
            exposure_type: ExposureType::Indirect,
            min_hops: 2,
            usd: 1234.5,
            values: vec![NativeValue {
                chain: ETH,
                asset: "ETH".to_string(),
                units: 0.75,
            }],
            by_hop: vec![HopValue {
                hops: 2,
                usd: 1234.5,
            }],
            share: 0.25,
            level: RiskLevel::Severe,
            rule: Some("prohibited-indirect-incoming-near".to_string()),
            alert: true,
            listing_unknown: true,
            lapsed: true,
            first_day: Some(day("2022-04-01")),
            last_day: Some(day("2022-04-14")),
            paths: Vec::new(),
            via_cluster: Some(
                "cluster of Tornado Cash (labelled address 0x…) via multi-input in tx 0x…"
                    .to_string(),
            ),
        };
        let mut plain = rated.clone();
        plain.direction = Direction::Outgoing;
        (plain.rule, plain.alert) = (None, false);
        (plain.listing_unknown, plain.lapsed) = (false, false);
        (plain.first_day, plain.last_day) = (None, None);
        plain.via_cluster = None;
        ChainExposure {
            exposures: vec![rated, plain],
            volume: Volume {
                incoming_usd: 4938.0,
                outgoing_usd: 20.0,
            },
            excluded_dust: vec![ExcludedDust {
                chain: ETH,
                tx: format!("0x{}", "07".repeat(32)),
                counterparty: Some(Address::Evm([1; 20]).to_string()),
                asset: "ETH".to_string(),
                units: 0.000001,
                usd: Some(0.5),
                categories: vec![Category::Sanctioned],
                reason: "unsolicited dust".to_string(),
            }],
            truncated: false,
        }
    }

    #[test]
    fn exposures_and_their_ratings_come_back_from_the_file_exactly() {
        with_job(0xC0FF_EE01, |job| {
            let second = Address::Evm([2; 20]);
            let compute = |reader: &ChainReader, id: u32| {
                if reader.address(id).as_ref() == Some(&second) {
                    rated_exposure()
                } else {
                    ChainExposure::default()
                }
            };
            let report = build(job, &compute, &|_, _| {}).expect("build");
            assert_eq!((report.addresses, report.with_exposure), (3, 1));

            let index = ExposureIndex::load(job.store_dir)
                .expect("load")
                .expect("built");
            assert_eq!(index.file_meta.format, INDEX_FORMAT);
            assert_eq!(index.file_meta.rules_fingerprint, 0xC0FF_EE01);
            let reader = job.readers[0];
            let id = |byte: u8| reader.address_id(&Address::Evm([byte; 20])).expect("id");
            assert_eq!(index.get(ETH, id(2)).expect("read"), Some(rated_exposure()));
            assert_eq!(
                index.get(ETH, id(1)).expect("read"),
                Some(ChainExposure::default())
            );
            assert_eq!(index.get(ETH, 4).expect("read"), None, "not covered");

            drop(index);
            let path = ExposureIndex::path(job.store_dir);
            let bytes = std::fs::read(&path).expect("read file");
            assert_eq!(&bytes[..12], b"CTEXPIDX\x04\0\0\0");
            assert_eq!(&bytes[bytes.len() - 8..], b"CTEXPIDX", "the footer's magic");
            let refused = |bytes: &[u8]| {
                std::fs::write(&path, bytes).expect("write");
                ExposureIndex::load(job.store_dir).err().expect("refused")
            };
            // The metadata of another format (here the one before the shared words) is not
            // parsed: it is refused as such, which a screener takes as a stale index.
            let at = bytes
                .windows(INDEX_FORMAT.len())
                .position(|w| w == INDEX_FORMAT.as_bytes())
                .expect("the format in the metadata");
            let mut older = bytes.clone();
            older[at + INDEX_FORMAT.len() - 1] = b'3';
            let err = refused(&older);
            assert!(matches!(err, ScreenError::IndexFormat { .. }), "{err}");
            assert_eq!(
                err.to_string(),
                format!(
                    "exposure index {} is in format `chaintrail-exposure-index/3` of another \
                     chaintrail version (this one reads `chaintrail-exposure-index/5`); rebuild \
                     it with `chaintrail screen build-index`",
                    path.display()
                )
            );
            // A file of version 3 kept its metadata in front: its format is read from there.
            let meta = br#"{"format":"chaintrail-exposure-index/4"}"#;
            let mut version_3 = b"CTEXPIDX\x03\0\0\0".to_vec();
            version_3.extend_from_slice(&(meta.len() as u32).to_le_bytes());
            version_3.extend_from_slice(meta);
            let err = refused(&version_3);
            assert!(
                err.to_string()
                    .contains("is in format `chaintrail-exposure-index/4` of another"),
                "{err}"
            );
            // Of an older version still, only the version is known.
            let mut version_2 = bytes.clone();
            version_2[8] = 2;
            let err = refused(&version_2);
            assert!(matches!(err, ScreenError::IndexFormat { .. }), "{err}");
            assert!(
                err.to_string()
                    .contains("is in format `CTEXPIDX version 2`"),
                "{err}"
            );
            // A copy cut short has lost its metadata: an error, not a stale index.
            let err = refused(&bytes[..bytes.len() - 3]);
            assert_eq!(
                err.to_string(),
                format!(
                    "exposure index {}: its end is missing (a copy cut short?); rebuild it \
                     with `chaintrail screen build-index`",
                    path.display()
                )
            );
            // A body that lost bytes no longer matches its metadata.
            // The header is 16 bytes; drop the body's first 8.
            let mut short_body = bytes[..16].to_vec();
            short_body.extend_from_slice(&bytes[16 + 8..]);
            let err = refused(&short_body);
            assert!(err.to_string().contains("its body holds"), "{err}");
            std::fs::write(&path, &bytes).expect("write");
            assert!(ExposureIndex::load(job.store_dir).expect("read").is_some());
        });
    }

    #[test]
    fn a_panicking_worker_fails_the_build_and_leaves_the_index_alone() {
        with_job(0, |job| {
            let report = build(job, &|_, _| some_exposure(), &|_, _| {}).expect("first build");
            assert_eq!((report.addresses, report.with_exposure), (3, 3));
            let path = ExposureIndex::path(job.store_dir);
            let before = std::fs::read(&path).expect("index written");

            let second = Address::Evm([2; 20]);
            let panics_on_second = |reader: &ChainReader, id: u32| {
                if reader.address(id).as_ref() == Some(&second) {
                    panic!("boom at the second address");
                }
                some_exposure()
            };
            let err = build(job, &panics_on_second, &|_, _| {}).expect_err("a panic must fail");
            let text = err.to_string();
            assert!(
                text.contains(&format!("address {second} (id 2) panicked"))
                    && text.contains("boom at the second address")
                    && text.contains("nothing written"),
                "{text}"
            );
            assert_eq!(std::fs::read(&path).expect("index kept"), before);

            std::fs::remove_file(&path).expect("remove");
            build(job, &panics_on_second, &|_, _| {}).expect_err("a panic must fail");
            assert!(!path.exists(), "no index may be written by a failed build");
        });
    }

    #[test]
    fn a_build_removes_what_a_killed_build_left_and_spares_a_running_one() {
        with_job(0, |job| {
            let dir = ExposureIndex::path(job.store_dir)
                .parent()
                .expect("screen dir")
                .to_path_buf();
            std::fs::create_dir_all(&dir).expect("dir");
            // A killed build: its files, locked by nobody.
            let killed = dir.join(".exposure.idx.tmp-4000000001");
            let killed_offsets = dir.join(".exposure.idx.tmp-4000000001.offsets");
            std::fs::write(&killed, b"CTEXPIDX half written").expect("write");
            std::fs::write(&killed_offsets, [0u8; 16]).expect("write");
            // A build still running: its file locked (here by this test).
            let running = dir.join(".exposure.idx.tmp-4000000002");
            let held = std::fs::File::create(&running).expect("create");
            held.try_lock().expect("lock");
            let other = dir.join("notes.txt");
            std::fs::write(&other, b"kept").expect("write");

            let report = build(job, &|_, _| some_exposure(), &|_, _| {}).expect("build");
            assert_eq!(report.with_exposure, 3);
            assert!(
                !killed.exists() && !killed_offsets.exists(),
                "abandoned files removed"
            );
            assert!(running.exists(), "a running build's file is left alone");
            assert_eq!(std::fs::read(&other).expect("kept"), b"kept");
            let mut left: Vec<String> = std::fs::read_dir(&dir)
                .expect("list")
                .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
                .collect();
            left.sort();
            assert_eq!(
                left,
                [".exposure.idx.tmp-4000000002", "exposure.idx", "notes.txt"]
            );
        });
    }
}
