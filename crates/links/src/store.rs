//! The derived links kept with a store, under `<store dir>/links/`:
//!
//! - `links.jsonl`, `pending.jsonl`: one [`Link`] / [`Pending`] per line;
//! - `attributions.jsonl`: the addresses the decoders attributed (bridge vaults, deposit
//!   addresses), with their evidence;
//! - `manifest.json`: format, version (bumped whenever the content changes), fingerprint,
//!   counts per decoder and when it was built.
//!
//! Every file is written to a temporary name, fsynced and renamed; the manifest goes last, so a
//! reader sees either the old set or the new one.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::LinkError;
use crate::model::{Attribution, Link, Pending};
use crate::set::LinkSet;

/// The directory under the store that holds the links.
pub const LINKS_DIR: &str = "links";
const FORMAT: &str = "chaintrail-links/1";
const MANIFEST: &str = "manifest.json";
const LINKS: &str = "links.jsonl";
const PENDING: &str = "pending.jsonl";
const ATTRIBUTIONS: &str = "attributions.jsonl";

/// What each decoder found in the last build.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DecoderStats {
    /// Events or memos decoded.
    pub decoded: u64,
    /// Links found.
    pub links: u64,
    /// Inbounds left pending.
    pub pending: u64,
    /// Addresses attributed (vaults, deposit addresses, co-spent wallet addresses).
    pub attributions: u64,
    /// Records that could not be joined or read (an outbound whose inbound is on a chain the
    /// store does not hold, an unreadable memo, …).
    pub unmatched: u64,
}

/// The links directory's manifest: what the last build found and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// The file format's name and version.
    pub format: String,
    /// Bumped by every build that changed the links, pending inbounds or attributions.
    pub version: u64,
    /// CRC-32 of the sorted links and pending inbounds, hex; the exposure index records it.
    pub fingerprint: String,
    /// Seconds since the epoch of the build that last changed anything in this manifest (a build
    /// that finds what the last one found writes nothing).
    pub built_at: u64,
    /// What each decoder found.
    pub decoders: BTreeMap<String, DecoderStats>,
    /// Co-spends refused because they would have joined two labelled services.
    #[serde(default)]
    pub refused_merges: u64,
    /// CoinJoin transactions recognised (their co-spends are not merged).
    #[serde(default)]
    pub coinjoins: u64,
}

/// The links directory of a store.
pub fn links_dir(store_dir: &Path) -> PathBuf {
    store_dir.join(LINKS_DIR)
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> LinkError + '_ {
    move |source| LinkError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), LinkError> {
    let tmp = path.with_extension("tmp");
    let write = || -> std::io::Result<()> {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        if let Some(dir) = path.parent() {
            std::fs::File::open(dir)?.sync_all()?;
        }
        Ok(())
    };
    write().map_err(|source| {
        let _ = std::fs::remove_file(&tmp);
        LinkError::Io {
            path: path.to_path_buf(),
            source,
        }
    })
}

fn to_lines<T: Serialize>(items: &[T]) -> Result<Vec<u8>, LinkError> {
    let mut out = Vec::new();
    for item in items {
        serde_json::to_writer(&mut out, item)
            .map_err(|e| LinkError::Corrupt(format!("cannot serialise a link record: {e}")))?;
        out.push(b'\n');
    }
    Ok(out)
}

/// Read JSON lines; a bad line is an error naming the file and line.
pub fn read_lines<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Vec<T>, LinkError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(path)(e)),
    };
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            serde_json::from_str(line).map_err(|e| {
                LinkError::Corrupt(format!(
                    "{}:{}: not a link record ({e}); run `chaintrail links build` to rebuild it",
                    path.display(),
                    i + 1
                ))
            })
        })
        .collect()
}

/// The stored manifest, if links were ever built.
pub fn manifest(store_dir: &Path) -> Result<Option<Manifest>, LinkError> {
    let path = links_dir(store_dir).join(MANIFEST);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            LinkError::Corrupt(format!(
                "{}: {e}; run `chaintrail links build` to rebuild it",
                path.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io(&path)(e)),
    }
}

/// The stored links and pending inbounds (empty when none were built).
pub fn load(store_dir: &Path) -> Result<LinkSet, LinkError> {
    let dir = links_dir(store_dir);
    Ok(LinkSet::new(
        read_lines(&dir.join(LINKS))?,
        read_lines(&dir.join(PENDING))?,
    ))
}

/// The stored attributions.
pub fn load_attributions(store_dir: &Path) -> Result<Vec<Attribution>, LinkError> {
    read_lines(&links_dir(store_dir).join(ATTRIBUTIONS))
}

/// What [`save`] wrote.
pub(crate) struct Saved {
    /// The new manifest (version bumped if anything changed).
    pub manifest: Manifest,
    /// Whether the attributions differ from the stored ones.
    pub attributions_changed: bool,
}

/// Write a build's results.
pub(crate) fn save(
    store_dir: &Path,
    links: &[Link],
    pending: &[Pending],
    attributions: &[Attribution],
    mut manifest: Manifest,
) -> Result<Saved, LinkError> {
    let dir = links_dir(store_dir);
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    let previous = self::manifest(store_dir)?;
    let files = [
        (LINKS, to_lines(links)?),
        (PENDING, to_lines(pending)?),
        (ATTRIBUTIONS, to_lines(attributions)?),
    ];
    // A follower saves after every block, mostly what it saved before: a file that would not
    // change is not written again (nor synced).
    let mut rewrite = Vec::new();
    for (name, bytes) in &files {
        let path = dir.join(name);
        if previous.is_none() || std::fs::read(&path).ok().as_ref() != Some(bytes) {
            rewrite.push((path, bytes));
        }
    }
    let attributions_changed = rewrite.iter().any(|(path, _)| path.ends_with(ATTRIBUTIONS));
    let changed = previous
        .as_ref()
        .is_none_or(|p| p.fingerprint != manifest.fingerprint)
        || attributions_changed;
    manifest.version = match &previous {
        Some(p) if !changed => p.version,
        Some(p) => p.version + 1,
        None => 1,
    };
    manifest.format = FORMAT.to_string();
    for (path, bytes) in rewrite {
        write_atomic(&path, bytes)?;
    }
    let unchanged = previous.as_ref().is_some_and(|p| {
        Manifest {
            built_at: manifest.built_at,
            ..p.clone()
        } == manifest
    });
    if !unchanged {
        let bytes = serde_json::to_vec_pretty(&manifest)
            .map_err(|e| LinkError::Corrupt(format!("cannot serialise the links manifest: {e}")))?;
        write_atomic(&dir.join(MANIFEST), &bytes)?;
    }
    Ok(Saved {
        manifest,
        attributions_changed,
    })
}

/// The store's links plus those of a file an investigator gives (one [`Link`] per line,
/// `decoder` defaulting to `user`): the one loader trace, screen and serve share.
pub fn load_with_file(store_dir: &Path, file: Option<&Path>) -> Result<LinkSet, LinkError> {
    let derived = load(store_dir)?;
    let Some(path) = file else {
        return Ok(derived);
    };
    if !path.exists() {
        return Err(LinkError::Corrupt(format!(
            "links file {} does not exist",
            path.display()
        )));
    }
    Ok(derived.merged(LinkSet::new(read_lines(path)?, Vec::new())))
}
