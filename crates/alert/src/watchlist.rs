//! Watchlists: what alerts watch, persisted as `<data dir>/alerts/watchlists.json` (written
//! atomically; the CLI's `chaintrail watch` and the API's `/v1/watchlists` edit the same file).

use std::path::{Path, PathBuf};

use chaintrail_core::{Address, Chain};
use chaintrail_trace::{Policy, Seed, SeedSpec};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::AlertError;

/// The folder of the alert files inside the data directory.
pub const ALERTS_DIR: &str = "alerts";
/// The watchlist file inside [`ALERTS_DIR`].
pub const WATCHLIST_FILE: &str = "watchlists.json";

/// The saved trace of a case: its seeds and how taint is assigned. The tainted holders of its
/// trace are watched, and re-derived as blocks arrive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseTrace {
    /// Seeds as `chaintrail trace --seed` takes them: `<chain>:<tx hash | address | txid:vout>`.
    pub seeds: Vec<String>,
    /// The taint policy (poison, haircut, fifo, lifo, tiho).
    pub policy: String,
    /// Hops followed from the seeds.
    pub max_hops: u32,
    /// Dust threshold in whole units of the asset at each hop.
    pub min_value: String,
}

/// What a watch entry watches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WatchTarget {
    /// One address on one chain.
    Address {
        /// The chain.
        chain: Chain,
        /// The address, canonical.
        address: String,
    },
    /// Every address the labels (or a service-labelled cluster) attribute to an entity of this
    /// name, on every chain; compared without regard to case.
    Entity {
        /// The entity's name, as `chaintrail labels show` prints it.
        name: String,
    },
    /// Every address of the cluster that holds `address` (as clustered when blocks arrive).
    Cluster {
        /// The chain.
        chain: Chain,
        /// An address of the cluster, canonical.
        address: String,
    },
    /// The tainted holders of a saved trace.
    Case(CaseTrace),
}

impl WatchTarget {
    /// An address entry, the address checked and made canonical for its chain.
    pub fn address(chain: Chain, text: &str) -> Result<WatchTarget, AlertError> {
        Ok(WatchTarget::Address {
            chain,
            address: canonical(chain, text)?,
        })
    }

    /// A cluster entry, its address checked and made canonical for its chain.
    pub fn cluster(chain: Chain, text: &str) -> Result<WatchTarget, AlertError> {
        Ok(WatchTarget::Cluster {
            chain,
            address: canonical(chain, text)?,
        })
    }

    /// An address entry from `<chain>:<address>` (as trace seeds name addresses).
    pub fn parse_address(spec: &str) -> Result<WatchTarget, AlertError> {
        let (chain, address) = chain_address(spec)?;
        Ok(WatchTarget::Address { chain, address })
    }

    /// A cluster entry from `<chain>:<address>` of one of its addresses.
    pub fn parse_cluster(spec: &str) -> Result<WatchTarget, AlertError> {
        let (chain, address) = chain_address(spec)?;
        Ok(WatchTarget::Cluster { chain, address })
    }

    /// An entity entry; the name must not be blank.
    pub fn entity(name: &str) -> Result<WatchTarget, AlertError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(AlertError::BadWatch(
                "an entity entry needs the entity's name (as `chaintrail labels show` prints it)"
                    .to_string(),
            ));
        }
        Ok(WatchTarget::Entity {
            name: name.to_string(),
        })
    }

    /// A case entry; its seeds and policy must parse.
    pub fn case(case: CaseTrace) -> Result<WatchTarget, AlertError> {
        if case.seeds.is_empty() {
            return Err(AlertError::BadWatch(
                "a case needs at least one seed: <chain>:<tx hash | address | txid:vout>"
                    .to_string(),
            ));
        }
        for seed in &case.seeds {
            seed.parse::<Seed>()
                .map_err(|e| AlertError::BadWatch(format!("case seed: {e}")))?;
        }
        case.policy
            .parse::<Policy>()
            .map_err(|e| AlertError::BadWatch(format!("case policy: {e}")))?;
        if case.max_hops == 0 {
            return Err(AlertError::BadWatch(
                "a case's max_hops must be at least 1".to_string(),
            ));
        }
        Ok(WatchTarget::Case(case))
    }

    /// What the entry watches, in words (for lists and alerts).
    pub fn describe(&self) -> String {
        match self {
            WatchTarget::Address { chain, address } => format!("address {chain}:{address}"),
            WatchTarget::Entity { name } => format!("entity {name}"),
            WatchTarget::Cluster { chain, address } => {
                format!("cluster of {chain}:{address}")
            }
            WatchTarget::Case(case) => format!(
                "case {} ({}, {} hops)",
                case.seeds.join(" "),
                case.policy,
                case.max_hops
            ),
        }
    }

    /// The entry's id: `w` and 64 bits of SHA-256 over the target's JSON, so the same target
    /// always gets the same id (and alert ids stay stable when the file is rebuilt).
    fn id(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        let digest = Sha256::digest(&json);
        format!("w{}", hex::encode(&digest[..8]))
    }
}

/// `<chain>:<address>`, the address canonical for its chain.
fn chain_address(spec: &str) -> Result<(Chain, String), AlertError> {
    let seed: Seed = spec
        .trim()
        .parse()
        .map_err(|e| AlertError::BadWatch(format!("{e}")))?;
    match seed.spec {
        SeedSpec::Address(address) => Ok((seed.chain, address.to_string())),
        _ => Err(AlertError::BadWatch(format!(
            "`{spec}` names a transaction, not an address: give <chain>:<address>, e.g. \
             ethereum:0x… or bitcoin:bc1q… (watch a theft's transaction as a case: --seed)"
        ))),
    }
}

fn canonical(chain: Chain, text: &str) -> Result<String, AlertError> {
    Address::parse(chain, text.trim())
        .map(|a| a.to_string())
        .map_err(|e| AlertError::BadWatch(format!("`{text}` is not an address of {chain}: {e}")))
}

/// A watch entry as an API request gives it: `kind` (address, entity, cluster, case) and the
/// fields of that kind, all as text, checked by [`WatchRequest::target`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WatchRequest {
    /// address, entity, cluster or case.
    pub kind: String,
    /// The chain (address, cluster).
    pub chain: Option<String>,
    /// The address (address, cluster).
    pub address: Option<String>,
    /// The entity's name (entity).
    pub name: Option<String>,
    /// The case's seeds (case).
    pub seeds: Option<Vec<String>>,
    /// The case's policy; default haircut.
    pub policy: Option<String>,
    /// The case's hop limit; default 20.
    pub max_hops: Option<u32>,
    /// The case's dust threshold; default 0.
    pub min_value: Option<String>,
    /// The investigator's note.
    pub note: Option<String>,
}

impl WatchRequest {
    /// The target the request names, or what is missing or wrong.
    pub fn target(&self) -> Result<WatchTarget, AlertError> {
        let needs = |field: &Option<String>, name: &str| {
            field.clone().ok_or_else(|| {
                AlertError::BadWatch(format!("a `{}` entry needs `{name}`", self.kind))
            })
        };
        let chain = || -> Result<Chain, AlertError> {
            needs(&self.chain, "chain")?
                .parse()
                .map_err(|e| AlertError::BadWatch(format!("chain: {e}")))
        };
        match self.kind.as_str() {
            "address" => WatchTarget::address(chain()?, &needs(&self.address, "address")?),
            "cluster" => WatchTarget::cluster(chain()?, &needs(&self.address, "address")?),
            "entity" => WatchTarget::entity(&needs(&self.name, "name")?),
            "case" => WatchTarget::case(CaseTrace {
                seeds: self.seeds.clone().unwrap_or_default(),
                policy: self.policy.clone().unwrap_or_else(|| "haircut".to_string()),
                max_hops: self.max_hops.unwrap_or(20),
                min_value: self.min_value.clone().unwrap_or_else(|| "0".to_string()),
            }),
            other => Err(AlertError::BadWatch(format!(
                "unknown watch kind `{other}`: use address, entity, cluster or case"
            ))),
        }
    }
}

/// One watch entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchEntry {
    /// Its id (stable: derived from the target).
    pub id: String,
    /// What it watches.
    #[serde(flatten)]
    pub target: WatchTarget,
    /// The investigator's note (a case name, a ticket).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct WatchFile {
    version: u32,
    entries: Vec<WatchEntry>,
}

const WATCH_FILE_VERSION: u32 = 1;

/// The watch entries of a data directory.
#[derive(Debug, Clone)]
pub struct Watchlist {
    path: PathBuf,
    entries: Vec<WatchEntry>,
}

impl Watchlist {
    /// Read the watchlist of `data_dir` (empty when there is none yet).
    pub fn open(data_dir: &Path) -> Result<Watchlist, AlertError> {
        let path = data_dir.join(ALERTS_DIR).join(WATCHLIST_FILE);
        let entries = match std::fs::read(&path) {
            Ok(bytes) => {
                let file: WatchFile =
                    serde_json::from_slice(&bytes).map_err(|e| AlertError::Corrupt {
                        path: path.clone(),
                        reason: format!(
                            "{e}; fix the file or remove it and add the entries again \
                             (`chaintrail watch add`)"
                        ),
                    })?;
                if file.version != WATCH_FILE_VERSION {
                    return Err(AlertError::Corrupt {
                        path,
                        reason: format!(
                            "version {} (this chaintrail reads version {WATCH_FILE_VERSION})",
                            file.version
                        ),
                    });
                }
                file.entries
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(source) => return Err(AlertError::Io { path, source }),
        };
        Ok(Watchlist { path, entries })
    }

    /// The entries, in the order they were added.
    pub fn entries(&self) -> &[WatchEntry] {
        &self.entries
    }

    /// Add an entry and save; an entry watching the same target already is an error naming it.
    pub fn add(
        &mut self,
        target: WatchTarget,
        note: Option<String>,
    ) -> Result<WatchEntry, AlertError> {
        let id = target.id();
        if self.entries.iter().any(|e| e.id == id) {
            return Err(AlertError::AlreadyWatched {
                describes: target.describe(),
                id,
            });
        }
        let entry = WatchEntry { id, target, note };
        self.entries.push(entry.clone());
        self.save()?;
        Ok(entry)
    }

    /// Remove entry `id` and save; an unknown id is an error.
    pub fn remove(&mut self, id: &str) -> Result<WatchEntry, AlertError> {
        let at = self
            .entries
            .iter()
            .position(|e| e.id == id)
            .ok_or_else(|| AlertError::UnknownWatch(id.to_string()))?;
        let removed = self.entries.remove(at);
        self.save()?;
        Ok(removed)
    }

    fn save(&self) -> Result<(), AlertError> {
        let file = WatchFile {
            version: WATCH_FILE_VERSION,
            entries: self.entries.clone(),
        };
        crate::persist::write_json(&self.path, &file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_persist_with_stable_ids_and_duplicates_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut list = Watchlist::open(dir.path()).unwrap();
        let lower = "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed";
        let entry = list
            .add(WatchTarget::address(Chain::ETHEREUM, lower).unwrap(), None)
            .unwrap();
        let again = WatchTarget::address(
            Chain::ETHEREUM,
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        )
        .unwrap();
        let err = list.add(again, None).unwrap_err();
        assert!(err.to_string().contains("already watched"), "{err}");
        list.add(WatchTarget::entity("Binance").unwrap(), Some("hot".into()))
            .unwrap();
        let reread = Watchlist::open(dir.path()).unwrap();
        assert_eq!(reread.entries().len(), 2);
        assert_eq!(reread.entries()[0], entry);
        assert_eq!(
            reread.entries()[0].target,
            WatchTarget::Address {
                chain: Chain::ETHEREUM,
                address: "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed".to_string()
            }
        );
        let mut list = reread;
        list.remove(&entry.id).unwrap();
        assert!(matches!(
            list.remove(&entry.id),
            Err(AlertError::UnknownWatch(_))
        ));
        assert_eq!(Watchlist::open(dir.path()).unwrap().entries().len(), 1);
    }

    #[test]
    fn bad_entries_say_what_is_wrong() {
        let err = WatchTarget::address(Chain::ETHEREUM, "0x1234").unwrap_err();
        assert!(
            err.to_string().contains("not an address of ethereum"),
            "{err}"
        );
        let err = WatchTarget::case(CaseTrace {
            seeds: vec!["narnia:0x00".into()],
            policy: "haircut".into(),
            max_hops: 5,
            min_value: "0".into(),
        })
        .unwrap_err();
        assert!(err.to_string().contains("unknown chain"), "{err}");
        assert!(WatchTarget::entity("  ").is_err());
        let target =
            WatchTarget::parse_address("ethereum:0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed")
                .unwrap();
        assert_eq!(
            target,
            WatchTarget::Address {
                chain: Chain::ETHEREUM,
                address: "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed".to_string()
            }
        );
        let tx = format!("ethereum:0x{}", "ab".repeat(32));
        let err = WatchTarget::parse_cluster(&tx).unwrap_err();
        assert!(err.to_string().contains("names a transaction"), "{err}");
    }
}
