//! Known converter links (bridge joins, mixer deposit ↔ withdrawal links) as screening and
//! tracing use them: the store's links derived from chain data (crate `chaintrail-links`), plus
//! a file the caller names, looked up forward by input transaction and backward by output
//! transaction (which input does a converter's payout come from?), with a fingerprint the
//! exposure index records.

use std::path::{Path, PathBuf};

use chaintrail_core::{Chain, TxHash};
use chaintrail_links::{Link, LinkSet};

pub(crate) use chaintrail_links::{Incoming, rule};

use crate::ScreenError;

/// Converter links the exposure walk crosses: the store's derived links (`<data-dir>/links/`,
/// built from chain data by `chaintrail links build` and every import), plus links an
/// investigator gives in a file.
#[derive(Debug, Clone, Default)]
pub struct KnownLinks {
    set: LinkSet,
    source: Option<PathBuf>,
}

impl KnownLinks {
    /// Links from memory.
    pub fn new(links: Vec<Link>) -> KnownLinks {
        KnownLinks {
            set: LinkSet::new(links, Vec::new()),
            source: None,
        }
    }

    /// Links given in a file (one [`Link`] per line); a bad line is an error naming it.
    pub fn load(path: &Path) -> Result<KnownLinks, ScreenError> {
        if !path.exists() {
            return Err(ScreenError::Links(format!(
                "links file {} does not exist",
                path.display()
            )));
        }
        let links = chaintrail_links::store::read_lines(path)
            .map_err(|e| ScreenError::Links(e.to_string()))?;
        Ok(KnownLinks {
            set: LinkSet::new(links, Vec::new()),
            source: Some(path.to_path_buf()),
        })
    }

    /// The forward lookup, for the tracing engine (`trace_with`) and the exposure walk.
    pub fn converter(&self) -> &LinkSet {
        &self.set
    }

    /// A digest of the links (0 when there are none).
    pub fn fingerprint(&self) -> u32 {
        self.set.fingerprint()
    }

    /// The number of links, derived and from the file together.
    pub fn len(&self) -> usize {
        self.set.len()
    }

    /// `true` when there is no link: the walk then stops at every converter.
    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }

    /// The file extra links were read from, if any.
    pub fn source(&self) -> Option<&Path> {
        self.source.as_deref()
    }

    /// The links whose output transaction is `tx` on `chain`.
    pub(crate) fn paying_out(&self, chain: Chain, tx: &TxHash) -> &[Incoming] {
        self.set.into_tx(chain, tx)
    }
}

/// The store's derived links, plus those of the file the caller names (`--links`).
pub fn load_links(data_dir: &Path, explicit: Option<&Path>) -> Result<KnownLinks, ScreenError> {
    let set = chaintrail_links::store::load_with_file(data_dir, explicit)
        .map_err(|e| ScreenError::Links(e.to_string()))?;
    Ok(KnownLinks {
        set,
        source: explicit.map(Path::to_path_buf),
    })
}
