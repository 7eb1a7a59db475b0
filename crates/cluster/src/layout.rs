//! The clusters kept with a store, under `<store dir>/clusters/<chain>/` (docs/clustering.md):
//!
//! - `cluster-<g>.u32`: per address id, its cluster id (the smallest address id of the cluster),
//!   little-endian u32 — mapped by readers;
//! - `joined-<g>.u32`: per address id, the index of the first applied merge record that
//!   involved it (`u32::MAX`: none);
//! - `table-<g>.bin`: per cluster of two or more addresses, by id: id u32 · size u32 · first
//!   seen u64 · last seen u64 (block timestamps);
//! - `labels-<g>.json`: the service labels, the labelled addresses, and the label of each
//!   labelled cluster with the labelled address that carries it;
//! - `deposits-<g>.u32`: the deposit addresses whose senders were merged (account chains);
//! - `conflicts-<g>.jsonl`, `collapses-<g>.jsonl`: refused merges and collapse reports;
//! - `evidence-<e>.bin`: the merge-evidence log (`evidence.rs`), append-only: its committed
//!   length is the manifest's; a new file per full rebuild;
//! - `manifest.json`: generation `g`, checkpoint (next transaction to process), settings,
//!   label fingerprint, counters and the CRC-32 of every generation file.
//!
//! An update writes generation g+1's files (temp + fsync + rename) and appends to the evidence
//! log, then replaces the manifest, then removes generation g: a reader sees the old clusters
//! or the new ones, never a mix; an update killed half-way leaves files the next one ignores.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use chaintrail_core::Chain;
use chaintrail_links::unionfind::UnionFind;
use serde::{Deserialize, Serialize};

use crate::ClusterError;
use crate::engine::{Seen, ServiceLabel, State};
use crate::evidence::RECORD_BYTES;
use crate::settings::Settings;

/// The directory under the store that holds the clusters.
pub const CLUSTERS_DIR: &str = "clusters";
const FORMAT: &str = "chaintrail-clusters/1";
const MANIFEST: &str = "manifest.json";
/// Bytes per cluster-table record.
pub const TABLE_RECORD_BYTES: usize = 24;

/// What a chain's clusters were built from and what they hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// The format's name and version.
    pub format: String,
    /// The chain.
    pub chain: Chain,
    /// The generation of the files.
    pub generation: u64,
    /// The evidence log's file name.
    pub evidence_file: String,
    /// Records committed to the evidence log.
    pub evidence_records: u64,
    /// The checkpoint: transactions before this id are clustered.
    pub next_tx: u64,
    /// The hash of the last clustered transaction (id `next_tx - 1`): a store rolled back past
    /// it (a reorg) no longer holds it there, and the clusters are rebuilt. Absent in manifests
    /// written before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_tx: Option<String>,
    /// Address ids covered by the cluster column.
    pub addresses: u64,
    /// Address ids from here on had not appeared in a clustered transaction.
    pub next_fresh: u32,
    /// The settings of the build.
    pub settings: Settings,
    /// CRC-32 of the labelled addresses the clusters were seeded with.
    pub labels_fingerprint: String,
    /// When the clusters were last updated (seconds since the epoch).
    pub updated_at: u64,
    /// When they were last built from scratch.
    pub rebuilt_at: u64,
    /// Applied merges per heuristic, CoinJoins per kind, change guesses, conflicts, collapses.
    pub counts: BTreeMap<String, u64>,
    /// Clusters of two or more addresses.
    pub clusters: u64,
    /// Addresses in those clusters.
    pub clustered_addresses: u64,
    /// The largest cluster's id and size.
    pub largest: (u32, u64),
    /// CRC-32 (hex) of each generation file.
    pub checksums: BTreeMap<String, String>,
}

/// The labels of a chain's clusters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LabelsFile {
    /// The service labels, by label id.
    pub labels: Vec<ServiceLabel>,
    /// Labelled addresses: (address id, label id).
    pub seeds: Vec<(u32, u32)>,
    /// Labelled clusters: (cluster id, label id, the labelled address that carries it).
    pub clusters: Vec<(u32, u32, u32)>,
}

/// The clusters directory of a chain.
pub fn chain_dir(store_dir: &Path, chain: Chain) -> PathBuf {
    store_dir.join(CLUSTERS_DIR).join(chain.name())
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ClusterError + '_ {
    move |source| ClusterError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn corrupt(path: &Path, what: impl std::fmt::Display) -> ClusterError {
    ClusterError::Corrupt(format!(
        "{}: {what}; run `chaintrail cluster build` to rebuild the clusters",
        path.display()
    ))
}

/// The manifest of a chain's clusters, if they were ever built.
pub fn manifest(dir: &Path) -> Result<Option<Manifest>, ClusterError> {
    let path = dir.join(MANIFEST);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice::<Manifest>(&bytes)
            .map_err(|e| corrupt(&path, e))
            .and_then(|m| {
                if m.format == FORMAT {
                    Ok(Some(m))
                } else {
                    Err(corrupt(
                        &path,
                        format!("format {} is not {FORMAT}", m.format),
                    ))
                }
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io(&path)(e)),
    }
}

fn file_name(stem: &str, generation: u64, ext: &str) -> String {
    format!("{stem}-{generation}.{ext}")
}

/// The names of a generation's files, in writing order.
const FILES: [(&str, &str); 7] = [
    ("cluster", "u32"),
    ("joined", "u32"),
    ("table", "bin"),
    ("labels", "json"),
    ("deposits", "u32"),
    ("conflicts", "jsonl"),
    ("collapses", "jsonl"),
];

/// Read a generation file whole, checked against the manifest's CRC-32.
pub fn read_checked(dir: &Path, m: &Manifest, stem: &str) -> Result<Vec<u8>, ClusterError> {
    let (_, ext) = FILES
        .iter()
        .find(|(s, _)| *s == stem)
        .ok_or_else(|| ClusterError::Corrupt(format!("no cluster file {stem}")))?;
    let name = file_name(stem, m.generation, ext);
    let path = dir.join(&name);
    let bytes = std::fs::read(&path).map_err(io(&path))?;
    check(&path, m, &name, &bytes)?;
    Ok(bytes)
}

/// Check bytes against the manifest's CRC-32 of `name`.
pub fn check(path: &Path, m: &Manifest, name: &str, bytes: &[u8]) -> Result<(), ClusterError> {
    let crc = format!("{:08x}", crc32fast::hash(bytes));
    if m.checksums.get(name) != Some(&crc) {
        return Err(corrupt(path, "checksum mismatch (damaged or half-written)"));
    }
    Ok(())
}

/// The name of a generation file of `m`.
pub fn generation_file(m: &Manifest, stem: &str) -> String {
    let ext = FILES
        .iter()
        .find(|(s, _)| *s == stem)
        .map_or("bin", |(_, e)| e);
    file_name(stem, m.generation, ext)
}

/// Little-endian u32s.
pub fn u32s(bytes: &[u8]) -> Vec<u32> {
    bytes
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

fn u32_bytes(values: impl IntoIterator<Item = u32>) -> Vec<u8> {
    values.into_iter().flat_map(u32::to_le_bytes).collect()
}

/// A cluster-table record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableRecord {
    /// The cluster id.
    pub id: u32,
    /// Addresses in it.
    pub size: u32,
    /// First and last activity.
    pub seen: Seen,
}

/// Decode the cluster table.
pub fn table(bytes: &[u8]) -> Vec<TableRecord> {
    bytes
        .chunks_exact(TABLE_RECORD_BYTES)
        .map(|c| {
            let u64_at = |i: usize| {
                let mut b = [0u8; 8];
                b.copy_from_slice(&c[i..i + 8]);
                u64::from_le_bytes(b)
            };
            TableRecord {
                id: u32::from_le_bytes([c[0], c[1], c[2], c[3]]),
                size: u32::from_le_bytes([c[4], c[5], c[6], c[7]]),
                seen: Seen {
                    first: u64_at(8),
                    last: u64_at(16),
                },
            }
        })
        .collect()
}

/// Load a chain's saved clustering to extend it.
pub fn load(dir: &Path, m: &Manifest) -> Result<State, ClusterError> {
    let column = u32s(&read_checked(dir, m, "cluster")?);
    let joined = u32s(&read_checked(dir, m, "joined")?);
    let path = dir.join(generation_file(m, "cluster"));
    if column.len() as u64 != m.addresses || joined.len() != column.len() {
        return Err(corrupt(
            &path,
            "holds a different number of addresses than its manifest",
        ));
    }
    let mut sets = UnionFind::from_representatives(&column).ok_or_else(|| {
        corrupt(
            &path,
            "is not a partition (a cluster id outside its cluster)",
        )
    })?;
    let labels: LabelsFile = serde_json::from_slice(&read_checked(dir, m, "labels")?)
        .map_err(|e| corrupt(&dir.join(generation_file(m, "labels")), e))?;
    for &(cluster, label, _) in &labels.clusters {
        if (cluster as usize) < sets.len() {
            let _ = sets.set_label(cluster, label);
        }
    }
    let seen = table(&read_checked(dir, m, "table")?)
        .into_iter()
        .map(|r| (r.id, r.seen))
        .collect::<HashMap<u32, Seen>>();
    let deposits: BTreeSet<u32> = u32s(&read_checked(dir, m, "deposits")?)
        .into_iter()
        .collect();
    Ok(State {
        sets,
        seen,
        joined,
        evidence_base: m.evidence_records,
        evidence: Vec::new(),
        conflicts: Vec::new(),
        collapses: Vec::new(),
        labels: labels.labels,
        seeds: labels.seeds,
        next_fresh: m.next_fresh,
        deposits,
        counts: m.counts.clone(),
    })
}

/// What [`save`] needs besides the state.
pub struct Checkpoint<'a> {
    /// The chain.
    pub chain: Chain,
    /// Transactions before this id are clustered.
    pub next_tx: u64,
    /// The hash of transaction `next_tx - 1`.
    pub last_tx: Option<String>,
    /// The settings used.
    pub settings: &'a Settings,
    /// The label fingerprint.
    pub labels_fingerprint: String,
    /// The manifest replaced, unless this is a full rebuild.
    pub previous: Option<&'a Manifest>,
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn jsonl<T: Serialize>(previous: Vec<u8>, items: &[T]) -> Result<Vec<u8>, ClusterError> {
    let mut out = previous;
    for item in items {
        serde_json::to_writer(&mut out, item).map_err(|e| {
            ClusterError::Corrupt(format!("cannot serialise a cluster record: {e}"))
        })?;
        out.push(b'\n');
    }
    Ok(out)
}

/// Append records to the evidence log after its committed length; returns the new length.
fn append_evidence(path: &Path, committed: u64, state: &State) -> Result<u64, ClusterError> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(false)
        .open(path)
        .map_err(io(path))?;
    let committed_bytes = committed * RECORD_BYTES as u64;
    let len = file.metadata().map_err(io(path))?.len();
    if len < committed_bytes {
        return Err(corrupt(
            path,
            format!("is {len} bytes, shorter than its {committed} committed records"),
        ));
    }
    file.set_len(committed_bytes).map_err(io(path))?;
    file.seek(SeekFrom::End(0)).map_err(io(path))?;
    let mut bytes = Vec::with_capacity(state.evidence.len() * RECORD_BYTES);
    for record in &state.evidence {
        bytes.extend_from_slice(&record.encode());
    }
    file.write_all(&bytes).map_err(io(path))?;
    file.sync_all().map_err(io(path))?;
    Ok(committed + state.evidence.len() as u64)
}

/// Save a chain's clustering as the next generation; returns its manifest.
pub fn save(dir: &Path, state: &mut State, at: Checkpoint<'_>) -> Result<Manifest, ClusterError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let existing = manifest(dir)?;
    let generation = existing.as_ref().map_or(1, |m| m.generation + 1);
    let (evidence_file, committed) = match at.previous {
        Some(p) => (p.evidence_file.clone(), p.evidence_records),
        None => (format!("evidence-{generation}.bin"), 0),
    };
    let evidence_records = append_evidence(&dir.join(&evidence_file), committed, state)?;
    let column = state.sets.canonical();
    let mut sizes: HashMap<u32, u32> = HashMap::new();
    for &c in &column {
        *sizes.entry(c).or_insert(0) += 1;
    }
    let mut table: Vec<TableRecord> = Vec::new();
    for (&id, &size) in &sizes {
        if size < 2 {
            continue;
        }
        let root = state.sets.find(id);
        let seen = state
            .seen
            .get(&root)
            .copied()
            .unwrap_or(Seen { first: 0, last: 0 });
        table.push(TableRecord { id, size, seen });
    }
    table.sort_by_key(|r| r.id);
    let largest = table
        .iter()
        .map(|r| (r.id, u64::from(r.size)))
        .max_by_key(|&(id, size)| (size, std::cmp::Reverse(id)))
        .unwrap_or((0, 0));
    let mut labelled: BTreeMap<u32, (u32, u32)> = BTreeMap::new();
    for &(seed, label) in &state.seeds {
        if let Some(&cluster) = column.get(seed as usize) {
            labelled.entry(cluster).or_insert((label, seed));
        }
    }
    let labels = LabelsFile {
        labels: state.labels.clone(),
        seeds: state.seeds.clone(),
        clusters: labelled.into_iter().map(|(c, (l, s))| (c, l, s)).collect(),
    };
    let read_previous = |stem: &str| -> Result<Vec<u8>, ClusterError> {
        match at.previous {
            Some(p) => read_checked(dir, p, stem),
            None => Ok(Vec::new()),
        }
    };
    let mut table_bytes = Vec::with_capacity(table.len() * TABLE_RECORD_BYTES);
    for r in &table {
        table_bytes.extend_from_slice(&r.id.to_le_bytes());
        table_bytes.extend_from_slice(&r.size.to_le_bytes());
        table_bytes.extend_from_slice(&r.seen.first.to_le_bytes());
        table_bytes.extend_from_slice(&r.seen.last.to_le_bytes());
    }
    let contents: [Vec<u8>; 7] = [
        u32_bytes(column.iter().copied()),
        u32_bytes(state.joined.iter().copied()),
        table_bytes,
        serde_json::to_vec(&labels)
            .map_err(|e| ClusterError::Corrupt(format!("cannot serialise cluster labels: {e}")))?,
        u32_bytes(state.deposits.iter().copied()),
        jsonl(read_previous("conflicts")?, &state.conflicts)?,
        jsonl(read_previous("collapses")?, &state.collapses)?,
    ];
    let mut checksums = BTreeMap::new();
    for ((stem, ext), bytes) in FILES.iter().zip(&contents) {
        let name = file_name(stem, generation, ext);
        chaintrail_store::write_atomic(&dir.join(&name), bytes)?;
        checksums.insert(name, format!("{:08x}", crc32fast::hash(bytes)));
    }
    let manifest = Manifest {
        format: FORMAT.to_string(),
        chain: at.chain,
        generation,
        evidence_file,
        evidence_records,
        next_tx: at.next_tx,
        last_tx: at.last_tx,
        addresses: column.len() as u64,
        next_fresh: state.next_fresh,
        settings: at.settings.clone(),
        labels_fingerprint: at.labels_fingerprint,
        updated_at: now(),
        rebuilt_at: at.previous.map_or_else(now, |p| p.rebuilt_at),
        counts: state.counts.clone(),
        clusters: table.len() as u64,
        clustered_addresses: table.iter().map(|r| u64::from(r.size)).sum(),
        largest,
        checksums,
    };
    let bytes = serde_json::to_vec_pretty(&manifest).map_err(|e| {
        ClusterError::Corrupt(format!("cannot serialise the cluster manifest: {e}"))
    })?;
    chaintrail_store::write_atomic(&dir.join(MANIFEST), &bytes)?;
    // The old generation (and an old evidence log after a rebuild) is garbage now.
    let keep: BTreeSet<String> = manifest
        .checksums
        .keys()
        .cloned()
        .chain([MANIFEST.to_string(), manifest.evidence_file.clone()])
        .collect();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !keep.contains(&name) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    state.evidence_base = evidence_records;
    state.evidence.clear();
    state.conflicts.clear();
    state.collapses.clear();
    Ok(manifest)
}
