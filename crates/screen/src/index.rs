//! The precomputed exposure index: the exposures of every address of the store at one date,
//! persisted atomically as `<store>/screen/index.json`, so that screening is a lookup.
//!
//! An index answers for a date only when nothing it depends on differs at that date: the chain
//! contents (checksums), the labels and the known links (fingerprints), the walk parameters,
//! and the date lies in the
//! window over which no label starts or ends and no later transfer exists.

use std::collections::HashMap;
use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use chaintrail_core::Chain;
use chaintrail_labels::{Date, LabelStore};
use chaintrail_store::ChainReader;
use chaintrail_trace::{PEGS_FILE, Prices};
use serde::{Deserialize, Serialize};

use crate::ScreenError;
use crate::exposure::Params;
use crate::links::KnownLinks;
use crate::model::ChainExposure;

pub const INDEX_FORMAT: &str = "chaintrail-exposure-index/1";
pub const INDEX_FILE: &str = "index.json";

/// A chain as the index saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexedChain {
    pub chain: Chain,
    pub checksum: u32,
    /// Address ids `1..addresses` are covered; an absent id has no exposure.
    pub addresses: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexEntry {
    pub chain: Chain,
    pub id: u32,
    pub address: String,
    pub exposure: ChainExposure,
}

/// The index file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexFile {
    pub format: String,
    /// Unix seconds of the build.
    pub built_at: u64,
    pub at: Date,
    pub valid_from: Date,
    /// First date the index no longer answers for (`None`: open-ended).
    pub valid_until: Option<Date>,
    pub params: Params,
    pub labels_fingerprint: u32,
    /// [`KnownLinks::fingerprint`] of the links the walk crossed (0: none; absent in indexes
    /// built before links were crossed, which had none).
    #[serde(default)]
    pub links_fingerprint: u32,
    /// [`pegs_fingerprint`] of the registered pegs USD values used (0 in indexes built before
    /// pegs could be registered, which had none).
    #[serde(default)]
    pub pegs_fingerprint: u32,
    /// [`crate::RuleTable::fingerprint`] of the rules that rated the exposures (0 in indexes
    /// built before rule tables, which the screener then finds stale).
    #[serde(default)]
    pub rules_fingerprint: u32,
    pub chains: Vec<IndexedChain>,
    pub entries: Vec<IndexEntry>,
}

/// What `build` did.
#[derive(Debug, Clone, Serialize)]
pub struct BuildReport {
    pub path: PathBuf,
    pub at: Date,
    pub valid_from: Date,
    pub valid_until: Option<Date>,
    pub addresses: u64,
    pub with_exposure: u64,
    pub truncated: u64,
    /// Known converter links the walk crossed where they applied.
    pub links: usize,
    pub seconds: f64,
}

/// A loaded index, ready for lookups.
pub struct ExposureIndex {
    pub file_meta: IndexFile,
    entries: HashMap<(Chain, u32), ChainExposure>,
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
    let last_block = readers
        .iter()
        .filter_map(|r| {
            r.block_count()
                .checked_sub(1)
                .map(|i| r.block_effective_time(i))
        })
        .max()
        .and_then(Date::from_unix_seconds);
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

pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ScreenError> {
    let io = |source: std::io::Error| ScreenError::Io {
        path: path.to_path_buf(),
        source,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io)?;
    let tmp = dir.join(format!(".{INDEX_FILE}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        std::fs::File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io)
}

impl ExposureIndex {
    pub fn path(store_dir: &Path) -> PathBuf {
        store_dir.join("screen").join(INDEX_FILE)
    }

    /// Load the index of a store; `Ok(None)` when none was built.
    pub fn load(store_dir: &Path) -> Result<Option<ExposureIndex>, ScreenError> {
        let path = Self::path(store_dir);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(ScreenError::Io { path, source }),
        };
        let mut file: IndexFile =
            serde_json::from_slice(&bytes).map_err(|e| ScreenError::Index {
                path: path.clone(),
                message: format!("{e}; rebuild it with `chaintrail screen build-index`"),
            })?;
        if file.format != INDEX_FORMAT {
            return Err(ScreenError::Index {
                path,
                message: format!(
                    "format `{}`, expected `{INDEX_FORMAT}`; rebuild it with `chaintrail screen \
                     build-index`",
                    file.format
                ),
            });
        }
        let entries = std::mem::take(&mut file.entries)
            .into_iter()
            .map(|e| ((e.chain, e.id), e.exposure))
            .collect();
        Ok(Some(ExposureIndex {
            file_meta: file,
            entries,
        }))
    }

    /// Why the index cannot answer for these chains, labels and links, or `None` when it can.
    pub fn staleness(
        &self,
        readers: &[&ChainReader],
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

    /// Does the index answer for `at` with `params`?
    pub fn covers(&self, at: Date, params: &Params) -> bool {
        let meta = &self.file_meta;
        meta.params == *params
            && meta.valid_from <= at
            && meta.valid_until.is_none_or(|until| at < until)
    }

    /// The stored exposure of an address id: `Some(empty)` when covered and clean, `None` when
    /// the id is not covered.
    pub fn get(&self, chain: Chain, id: u32) -> Option<ChainExposure> {
        if let Some(found) = self.entries.get(&(chain, id)) {
            return Some(found.clone());
        }
        let covered = self
            .file_meta
            .chains
            .iter()
            .any(|c| c.chain == chain && id < c.addresses);
        covered.then(ChainExposure::default)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
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
    pub threads: usize,
}

/// The message a panic carried, when it is text.
fn panic_text(panic: &(dyn std::any::Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

/// Compute every address's exposure with `compute` on `job.threads` threads, and write the index.
/// When `compute` panics for any address the build fails naming it and writes nothing: an
/// address missing from the index would read as clean.
pub(crate) fn build(
    job: &BuildJob<'_>,
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
        threads,
    } = *job;
    let started = Instant::now();
    let (valid_from, valid_until) = validity_window(labels, readers, at);
    let jobs: Vec<(usize, u32)> = readers
        .iter()
        .enumerate()
        .flat_map(|(i, r)| (1..r.address_count() as u32).map(move |id| (i, id)))
        .collect();
    let total = jobs.len() as u64;
    let done = AtomicU64::new(0);
    // Set by the first worker that fails, so that the others stop early.
    let failed = AtomicBool::new(false);
    let threads = threads.max(1);
    let chunks: Vec<&[(usize, u32)]> = jobs.chunks(jobs.len().div_ceil(threads).max(1)).collect();
    let results: Vec<Result<Vec<IndexEntry>, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                let (done, failed) = (&done, &failed);
                scope.spawn(move || {
                    let mut out = Vec::new();
                    for &(i, id) in chunk {
                        if failed.load(Ordering::Relaxed) {
                            break;
                        }
                        let reader = readers[i];
                        // A panic must not leave the address out: absent ids read as clean.
                        let exposure = match catch_unwind(AssertUnwindSafe(|| compute(reader, id)))
                        {
                            Ok(exposure) => exposure,
                            Err(panic) => {
                                failed.store(true, Ordering::Relaxed);
                                return Err(format!(
                                    "computing the exposure of {} address {} (id {id}) panicked: \
                                     {}",
                                    reader.chain(),
                                    reader
                                        .address(id)
                                        .map_or_else(|| "?".to_string(), |a| a.to_string()),
                                    panic_text(panic.as_ref())
                                ));
                            }
                        };
                        let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                        if n.is_multiple_of(4096) || n == total {
                            progress(n, total);
                        }
                        if exposure.exposures.is_empty()
                            && exposure.excluded_dust.is_empty()
                            && !exposure.truncated
                        {
                            continue;
                        }
                        out.push(IndexEntry {
                            chain: reader.chain(),
                            id,
                            address: reader
                                .address(id)
                                .map_or_else(String::new, |a| a.to_string()),
                            exposure,
                        });
                    }
                    Ok(out)
                })
            })
            .collect();
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
    let path = ExposureIndex::path(store_dir);
    let mut chunks = Vec::with_capacity(results.len());
    for result in results {
        chunks.push(result.map_err(|why| ScreenError::Index {
            path: path.clone(),
            message: format!(
                "build failed, nothing written (a previous index, if any, is unchanged): {why}"
            ),
        })?);
    }
    let entries: Vec<IndexEntry> = chunks.into_iter().flatten().collect();
    let truncated = entries.iter().filter(|e| e.exposure.truncated).count() as u64;
    let file = IndexFile {
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
        chains: readers
            .iter()
            .map(|r| IndexedChain {
                chain: r.chain(),
                checksum: r.content_checksum(),
                addresses: r.address_count() as u32,
            })
            .collect(),
        entries,
    };
    let bytes = serde_json::to_vec(&file).map_err(|e| ScreenError::Index {
        path: path.clone(),
        message: format!("cannot serialise: {e}"),
    })?;
    write_atomic(&path, &bytes)?;
    Ok(BuildReport {
        path,
        at,
        valid_from,
        valid_until,
        addresses: total,
        with_exposure: file.entries.len() as u64,
        truncated,
        links: links.len(),
        seconds: started.elapsed().as_secs_f64(),
    })
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

    #[test]
    fn a_panicking_worker_fails_the_build_and_leaves_the_index_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = store(dir.path());
        let reader = store.reader(ETH).expect("reader");
        let readers = [&reader];
        let labels = LabelStore::open(dir.path()).expect("labels");
        let links = KnownLinks::default();
        let prices = Prices::bundled();
        let params = Params::default();
        let job = BuildJob {
            store_dir: dir.path(),
            readers: &readers,
            labels: &labels,
            links: &links,
            prices: &prices,
            at: "2022-04-15".parse().expect("date"),
            params: &params,
            rules_fingerprint: 0,
            threads: 2,
        };
        let report = build(&job, &|_, _| some_exposure(), &|_, _| {}).expect("first build");
        assert_eq!((report.addresses, report.with_exposure), (3, 3));
        let path = ExposureIndex::path(dir.path());
        let before = std::fs::read(&path).expect("index written");

        let second = Address::Evm([2; 20]);
        let panics_on_second = |reader: &ChainReader, id: u32| {
            if reader.address(id).as_ref() == Some(&second) {
                panic!("boom at the second address");
            }
            some_exposure()
        };
        let err = build(&job, &panics_on_second, &|_, _| {}).expect_err("a panic must fail");
        let text = err.to_string();
        assert!(
            text.contains(&format!("address {second} (id 2) panicked"))
                && text.contains("boom at the second address")
                && text.contains("nothing written"),
            "{text}"
        );
        assert_eq!(std::fs::read(&path).expect("index kept"), before);

        std::fs::remove_file(&path).expect("remove");
        build(&job, &panics_on_second, &|_, _| {}).expect_err("a panic must fail");
        assert!(!path.exists(), "no index may be written by a failed build");
    }
}
