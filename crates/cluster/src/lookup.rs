//! Reading saved clusters: the cluster of an address with its label and the merge that joined
//! it, a cluster's members and evidence, and whole partitions — what the CLI, the server, trace
//! and screen ask.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use chaintrail_core::{Address, Chain};
use chaintrail_labels::Category;
use chaintrail_store::{ChainReader, Store};
use serde::Serialize;

use crate::ClusterError;
use crate::engine::{Collapse, Conflict, NOT_JOINED, tx_text};
use crate::evidence::{Heuristic, RECORD_BYTES, Record, change_names};
use crate::layout::{self, LabelsFile, Manifest, TableRecord};

/// A merge, as a reader sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Merge {
    /// The transaction that shows it.
    pub tx: String,
    /// The heuristic.
    pub heuristic: Heuristic,
    /// For change: the change heuristics that agreed.
    pub detail: Vec<&'static str>,
    /// 0..=1.
    pub confidence: f64,
    /// Whether it entered the partition.
    pub applied: bool,
    /// The addresses it joins.
    pub a: String,
    /// See `a`.
    pub b: String,
}

/// The service a cluster is, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClusterLabel {
    /// The service's name.
    pub name: String,
    /// Its role.
    pub role: Category,
    /// The labelled address in the cluster that carries the label.
    pub labelled_address: String,
}

/// The cluster of an address.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClusterInfo {
    /// The chain.
    pub chain: Chain,
    /// The address asked about.
    pub address: String,
    /// The cluster id (the smallest address id in it).
    pub cluster: u32,
    /// The address with that id.
    pub cluster_address: String,
    /// Addresses in the cluster.
    pub size: u64,
    /// First activity of any member (block timestamp), for clusters of two or more.
    pub first_seen: Option<u64>,
    /// Last activity of any member.
    pub last_seen: Option<u64>,
    /// The service the cluster is, if it holds a labelled service address.
    pub label: Option<ClusterLabel>,
    /// The first merge that joined this address to others.
    pub joined_by: Option<Merge>,
    /// The address appeared after the last clustering (shown as its own cluster).
    pub not_yet_clustered: bool,
}

/// One chain's saved clusters, mapped.
struct ChainClusters {
    reader: ChainReader,
    manifest: Manifest,
    column: memmap2::Mmap,
    joined: memmap2::Mmap,
    evidence: Vec<u8>,
    table: Vec<TableRecord>,
    labels: LabelsFile,
    /// Labelled clusters: cluster id → (label id, the labelled address carrying it).
    labelled: HashMap<u32, (u32, u32)>,
}

fn map_checked(dir: &Path, m: &Manifest, stem: &str) -> Result<memmap2::Mmap, ClusterError> {
    let name = layout::generation_file(m, stem);
    let path = dir.join(&name);
    let io = |source| ClusterError::Io {
        path: path.clone(),
        source,
    };
    let file = std::fs::File::open(&path).map_err(io)?;
    // SAFETY: generation files are written once under a temporary name and never modified
    // after the rename; an update writes a new generation instead.
    let map = unsafe { memmap2::Mmap::map(&file) }.map_err(io)?;
    layout::check(&path, m, &name, &map)?;
    if map.len() as u64 != m.addresses * 4 {
        return Err(ClusterError::Corrupt(format!(
            "{}: {} bytes for {} addresses; run `chaintrail cluster build`",
            path.display(),
            map.len(),
            m.addresses
        )));
    }
    Ok(map)
}

fn at(bytes: &[u8], index: u32) -> Option<u32> {
    let i = index as usize * 4;
    let b = bytes.get(i..i + 4)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

impl ChainClusters {
    fn open(store: &Store, chain: Chain, m: Manifest) -> Result<ChainClusters, ClusterError> {
        let dir = layout::chain_dir(store.dir(), chain);
        let evidence_path = dir.join(&m.evidence_file);
        let mut evidence = std::fs::read(&evidence_path).map_err(|source| ClusterError::Io {
            path: evidence_path.clone(),
            source,
        })?;
        let committed = m.evidence_records as usize * RECORD_BYTES;
        if evidence.len() < committed {
            return Err(ClusterError::Corrupt(format!(
                "{}: shorter than its {} committed records; run `chaintrail cluster build`",
                evidence_path.display(),
                m.evidence_records
            )));
        }
        evidence.truncate(committed);
        let labels: LabelsFile = serde_json::from_slice(&layout::read_checked(&dir, &m, "labels")?)
            .map_err(|e| ClusterError::Corrupt(format!("{}: {e}", dir.display())))?;
        let labelled = labels
            .clusters
            .iter()
            .map(|&(cluster, label, seed)| (cluster, (label, seed)))
            .collect();
        Ok(ChainClusters {
            reader: store.reader(chain)?,
            column: map_checked(&dir, &m, "cluster")?,
            joined: map_checked(&dir, &m, "joined")?,
            table: layout::table(&layout::read_checked(&dir, &m, "table")?),
            evidence,
            labels,
            labelled,
            manifest: m,
        })
    }

    fn cluster(&self, id: u32) -> u32 {
        at(&self.column, id).unwrap_or(id)
    }

    fn record(&self, index: u32) -> Option<Record> {
        let i = index as usize * RECORD_BYTES;
        Record::decode(self.evidence.get(i..i + RECORD_BYTES)?)
    }

    fn merge(&self, record: Record) -> Merge {
        let name = |id| {
            self.reader
                .address(id)
                .map_or_else(|| format!("address #{id}"), |a| a.to_string())
        };
        Merge {
            tx: tx_text(&self.reader, record.tx),
            heuristic: record.heuristic,
            detail: if record.heuristic == Heuristic::Change {
                change_names(record.detail)
            } else {
                Vec::new()
            },
            confidence: record.confidence(),
            applied: record.applied,
            a: name(record.a),
            b: name(record.b),
        }
    }

    fn label(&self, cluster: u32) -> Option<ClusterLabel> {
        let &(label, seed) = self.labelled.get(&cluster)?;
        let l = self.labels.labels.get(label as usize)?;
        Some(ClusterLabel {
            name: l.name.clone(),
            role: l.role,
            labelled_address: self.reader.address(seed)?.to_string(),
        })
    }

    fn info(&self, address: &Address) -> Option<ClusterInfo> {
        let id = self.reader.address_id(address)?;
        let not_yet_clustered = u64::from(id) >= self.manifest.addresses;
        let cluster = self.cluster(id);
        let record = self
            .table
            .binary_search_by_key(&cluster, |r| r.id)
            .ok()
            .map(|i| self.table[i]);
        let joined_by = at(&self.joined, id)
            .filter(|&j| j != NOT_JOINED)
            .and_then(|j| self.record(j))
            .map(|r| self.merge(r));
        Some(ClusterInfo {
            chain: self.reader.chain(),
            address: address.to_string(),
            cluster,
            cluster_address: self
                .reader
                .address(cluster)
                .map_or_else(String::new, |a| a.to_string()),
            size: record.map_or(1, |r| u64::from(r.size)),
            first_seen: record.map(|r| r.seen.first),
            last_seen: record.map(|r| r.seen.last),
            label: self.label(cluster),
            joined_by,
            not_yet_clustered,
        })
    }
}

/// Every chain's saved clusters.
pub struct Clusters {
    chains: BTreeMap<Chain, ChainClusters>,
}

fn read_jsonl<T: for<'de> serde::Deserialize<'de>>(bytes: &[u8]) -> Result<Vec<T>, ClusterError> {
    bytes
        .split(|&b| b == b'\n')
        .filter(|line| !line.is_empty())
        .map(|line| {
            serde_json::from_slice(line)
                .map_err(|e| ClusterError::Corrupt(format!("a cluster report line: {e}")))
        })
        .collect()
}

impl Clusters {
    /// Open the clusters of every chain of `store` that has them (none when never built).
    pub fn open(store: &Store) -> Result<Clusters, ClusterError> {
        let mut chains = BTreeMap::new();
        for chain in store.chains()? {
            if let Some(m) = layout::manifest(&layout::chain_dir(store.dir(), chain))? {
                chains.insert(chain, ChainClusters::open(store, chain, m)?);
            }
        }
        Ok(Clusters { chains })
    }

    /// A digest of which clusters carry a service label and how large they are: it changes when
    /// a service's cluster gains an address (what screening's exposure index depends on), not
    /// with every merge of unlabelled addresses. 0 without clusters.
    pub fn labelled_fingerprint(&self) -> u32 {
        if self.chains.is_empty() {
            return 0;
        }
        let mut hasher = crc32fast::Hasher::new();
        for (chain, c) in &self.chains {
            hasher.update(chain.name().as_bytes());
            for &(cluster, label, _) in &c.labels.clusters {
                let size = c
                    .table
                    .binary_search_by_key(&cluster, |r| r.id)
                    .map_or(1, |i| c.table[i].size);
                hasher.update(&cluster.to_le_bytes());
                hasher.update(&label.to_le_bytes());
                hasher.update(&size.to_le_bytes());
            }
        }
        hasher.finalize()
    }

    /// Every address id of `chain` whose cluster carries a service label, with a digest of what
    /// screening reads about it (the label, the labelled address, the merge that joined it):
    /// two of these, taken before and after a clustering update, tell which addresses'
    /// attribution the update changed. Empty when the chain has no clusters.
    pub fn labelled_members(&self, chain: Chain) -> HashMap<u32, u32> {
        let Some(c) = self.chains.get(&chain) else {
            return HashMap::new();
        };
        let mut members = HashMap::new();
        if c.labelled.is_empty() {
            return members;
        }
        for id in 1..c.manifest.addresses as u32 {
            let Some(&(label, seed)) = c.labelled.get(&c.cluster(id)) else {
                continue;
            };
            let mut hasher = crc32fast::Hasher::new();
            if let Some(l) = c.labels.labels.get(label as usize) {
                hasher.update(l.name.as_bytes());
                hasher.update(l.role.as_str().as_bytes());
            }
            hasher.update(&seed.to_le_bytes());
            let joined = at(&c.joined, id).filter(|&j| j != NOT_JOINED);
            if let Some(record) = joined.and_then(|j| c.record(j)) {
                hasher.update(&record.tx.to_le_bytes());
                hasher.update(record.heuristic.name().as_bytes());
            }
            members.insert(id, hasher.finalize());
        }
        members
    }

    /// No chain has clusters.
    pub fn is_empty(&self) -> bool {
        self.chains.is_empty()
    }

    /// The manifests of the chains that have clusters.
    pub fn manifests(&self) -> Vec<&Manifest> {
        self.chains.values().map(|c| &c.manifest).collect()
    }

    /// The cluster of `address` on `chain`, with its propagated label; `None` when the chain
    /// has no clusters or the address is not in the store.
    pub fn cluster_of(&self, chain: Chain, address: &Address) -> Option<ClusterInfo> {
        self.chains.get(&chain)?.info(address)
    }

    /// The cluster id of address id `id` on `chain`: `None` when the chain has no clusters or
    /// the address came after the last clustering.
    pub fn cluster_id(&self, chain: Chain, id: u32) -> Option<u32> {
        let c = self.chains.get(&chain)?;
        (id != 0 && u64::from(id) < c.manifest.addresses).then(|| c.cluster(id))
    }

    /// The clusters of an address given as text, on every chain (or `chain`) where it parses
    /// and appears.
    pub fn find(&self, text: &str, chain: Option<Chain>) -> Vec<ClusterInfo> {
        self.chains
            .iter()
            .filter(|(c, _)| chain.is_none_or(|wanted| wanted == **c))
            .filter_map(|(&c, clusters)| clusters.info(&Address::parse(c, text.trim()).ok()?))
            .collect()
    }

    /// The addresses of cluster `cluster` on `chain`, in id order (a scan of the column).
    pub fn members(&self, chain: Chain, cluster: u32) -> Vec<String> {
        let Some(c) = self.chains.get(&chain) else {
            return Vec::new();
        };
        (1..c.manifest.addresses as u32)
            .filter(|&id| c.cluster(id) == cluster)
            .filter_map(|id| c.reader.address(id).map(|a| a.to_string()))
            .collect()
    }

    /// Every merge record touching cluster `cluster` on `chain` (applied merges and change
    /// guesses either side of which is in it), in log order.
    pub fn evidence(&self, chain: Chain, cluster: u32) -> Vec<Merge> {
        let Some(c) = self.chains.get(&chain) else {
            return Vec::new();
        };
        c.evidence
            .chunks_exact(RECORD_BYTES)
            .filter_map(Record::decode)
            .filter(|r| c.cluster(r.a) == cluster || c.cluster(r.b) == cluster)
            .map(|r| c.merge(r))
            .collect()
    }

    /// Every record of `heuristic` on `chain` in log order, applied or not — for change, every
    /// guess the heuristics made.
    pub fn merges(&self, chain: Chain, heuristic: Heuristic) -> impl Iterator<Item = Merge> + '_ {
        self.chains.get(&chain).into_iter().flat_map(move |c| {
            c.evidence
                .chunks_exact(RECORD_BYTES)
                .filter_map(Record::decode)
                .filter(move |r| r.heuristic == heuristic)
                .map(move |r| c.merge(r))
        })
    }

    /// The partition of `chain`: (address, cluster id) for every clustered address.
    pub fn partition(&self, chain: Chain) -> impl Iterator<Item = (String, u32)> + '_ {
        let c = self.chains.get(&chain);
        let n = c.map_or(0, |c| c.manifest.addresses as u32);
        (1..n).filter_map(move |id| {
            let c = c?;
            Some((c.reader.address(id)?.to_string(), c.cluster(id)))
        })
    }

    /// The merges refused on `chain` because they would have joined two services.
    pub fn conflicts(&self, store: &Store, chain: Chain) -> Result<Vec<Conflict>, ClusterError> {
        self.report(store, chain, "conflicts")
    }

    /// The merges that made a component pass the collapse threshold on `chain`.
    pub fn collapses(&self, store: &Store, chain: Chain) -> Result<Vec<Collapse>, ClusterError> {
        self.report(store, chain, "collapses")
    }

    fn report<T: for<'de> serde::Deserialize<'de>>(
        &self,
        store: &Store,
        chain: Chain,
        stem: &str,
    ) -> Result<Vec<T>, ClusterError> {
        let Some(c) = self.chains.get(&chain) else {
            return Ok(Vec::new());
        };
        let dir = layout::chain_dir(store.dir(), chain);
        read_jsonl(&layout::read_checked(&dir, &c.manifest, stem)?)
    }
}
