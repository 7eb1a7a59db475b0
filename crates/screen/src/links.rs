//! Known converter links (bridge joins, mixer deposit ↔ withdrawal links) as screening and
//! tracing use them: read once from `<data-dir>/links.jsonl` (or a file named by the caller),
//! looked up forward by input transaction (the tracing engine's [`LinkConverter`]) and backward
//! by output transaction (which input does a converter's payout come from?), with a fingerprint
//! the exposure index records.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chaintrail_core::{Address, Chain, TxHash};
use chaintrail_trace::{Link, LinkConverter};

use crate::ScreenError;

/// Known converter links kept with the store.
pub const LINKS_FILE: &str = "links.jsonl";

/// A link as the backward walk reads it: the link and its parsed recipient.
#[derive(Debug, Clone)]
pub(crate) struct Incoming {
    pub link: Link,
    pub to_address: Option<Address>,
}

/// Known links, forward (a [`LinkConverter`]) and backward (by output transaction).
#[derive(Debug, Clone, Default)]
pub struct KnownLinks {
    converter: LinkConverter,
    by_output: HashMap<(Chain, TxHash), Vec<Incoming>>,
    fingerprint: u32,
    len: usize,
    source: Option<PathBuf>,
}

/// The text a path step shows for a link (the same as the tracing engine's converter rule).
pub(crate) fn rule(link: &Link) -> String {
    format!(
        "{} {} ({}, confidence {})",
        link.kind, link.via, link.evidence, link.confidence
    )
}

impl KnownLinks {
    /// Links from memory. The fingerprint does not depend on their order.
    pub fn new(links: Vec<Link>) -> KnownLinks {
        let mut lines: Vec<String> = links
            .iter()
            .map(|l| serde_json::to_string(l).unwrap_or_else(|_| format!("{l:?}")))
            .collect();
        lines.sort_unstable();
        let fingerprint = if lines.is_empty() {
            0
        } else {
            let mut hasher = crc32fast::Hasher::new();
            for line in &lines {
                hasher.update(line.as_bytes());
                hasher.update(b"\n");
            }
            hasher.finalize()
        };
        let mut by_output: HashMap<(Chain, TxHash), Vec<Incoming>> = HashMap::new();
        for link in &links {
            let to_address = link
                .to_address
                .as_deref()
                .and_then(|a| Address::parse(link.to_chain, a).ok());
            by_output
                .entry((link.to_chain, link.to_tx))
                .or_default()
                .push(Incoming {
                    link: link.clone(),
                    to_address,
                });
        }
        KnownLinks {
            len: links.len(),
            converter: LinkConverter::new(links),
            by_output,
            fingerprint,
            source: None,
        }
    }

    /// Read links from JSON lines (one [`Link`] per line); a bad line is an error naming it.
    pub fn load(path: &Path) -> Result<KnownLinks, ScreenError> {
        let text = std::fs::read_to_string(path).map_err(|source| ScreenError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let mut links = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let link: Link = serde_json::from_str(line).map_err(|e| {
                ScreenError::Links(format!("{}:{}: not a link: {e}", path.display(), i + 1))
            })?;
            links.push(link);
        }
        let mut known = KnownLinks::new(links);
        known.source = Some(path.to_path_buf());
        Ok(known)
    }

    /// The forward lookup, for the tracing engine (`trace_with`) and the exposure walk.
    pub fn converter(&self) -> &LinkConverter {
        &self.converter
    }

    /// A digest of the links (0 when there are none).
    pub fn fingerprint(&self) -> u32 {
        self.fingerprint
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The file the links were read from, if any.
    pub fn source(&self) -> Option<&Path> {
        self.source.as_deref()
    }

    /// The links whose output transaction is `tx` on `chain`.
    pub(crate) fn paying_out(&self, chain: Chain, tx: &TxHash) -> &[Incoming] {
        self.by_output
            .get(&(chain, *tx))
            .map_or(&[], |links| links.as_slice())
    }
}

/// The links file named by the caller (`--links`), or `links.jsonl` in the data dir when
/// present, or no links. `chaintrail trace`, `chaintrail screen` and `chaintrail serve` all read
/// links through this.
pub fn load_links(data_dir: &Path, explicit: Option<&Path>) -> Result<KnownLinks, ScreenError> {
    let default = data_dir.join(LINKS_FILE);
    match explicit {
        Some(path) => KnownLinks::load(path),
        None if default.exists() => KnownLinks::load(&default),
        None => Ok(KnownLinks::default()),
    }
}
