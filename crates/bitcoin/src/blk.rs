//! Bitcoin Core's block files, read directly.
//!
//! A blocks directory holds `blk00000.dat`, `blk00001.dat`, … Each file is a sequence of records
//! `magic (4) | length (4, little endian) | block (length bytes)`, followed by zero padding where
//! Core preallocated space. Since Core 28 every byte is XORed with the 8-byte key in `xor.dat`,
//! indexed by the byte's position in its file (no `xor.dat`, or an all-zero key, means plain).
//! Blocks are written in the order they arrived, not in height order, and stale blocks (those
//! that lost a race) stay in the files.
//!
//! [`ingest_blocks_dir`] therefore reads in two passes: it frames every record and indexes its
//! header (88 bytes read per block), picks the chain of headers with the most cumulative work,
//! and then decodes that chain's blocks in height order, two threads deep (one decodes, one
//! appends to the store). The same index, kept open ([`BestChain::open_live`]), follows a running
//! node: [`BestChain::refresh`] frames only what was appended since and updates the best chain in
//! place.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use bitcoin::block::Header;
use bitcoin::consensus::Decodable;
use bitcoin::pow::Work;
use bitcoin::{Block, BlockHash};
use chaintrail_core::{BitcoinNetwork, Chain, UtxoTx};
use chaintrail_ingest::{ImportOptions, ImportReport};
use chaintrail_store::Store;
use serde::{Deserialize, Serialize};

use crate::BitcoinError;
use crate::convert::block_txs;

/// Core never writes a block larger than this (`MAX_BLOCK_SERIALIZED_SIZE`).
pub const MAX_BLOCK_BYTES: u32 = 4_000_000;
/// The smallest possible block: a header, a one-byte count and a minimal coinbase.
const MIN_BLOCK_BYTES: u32 = 80 + 1 + 60;
/// Core starts a new block file past this size (`MAX_BLOCKFILE_SIZE`).
pub const MAX_FILE_BYTES: u64 = 0x800_0000;

/// The obfuscation key of a blocks directory (`xor.dat`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct XorKey(pub [u8; 8]);

impl XorKey {
    /// No obfuscation.
    pub const NONE: XorKey = XorKey([0; 8]);

    /// The key of `dir`: its `xor.dat`, or no key when there is none (Core before 28).
    pub fn read_from_dir(dir: &Path) -> Result<XorKey, BitcoinError> {
        let path = dir.join("xor.dat");
        match std::fs::read(&path) {
            Ok(bytes) => {
                let key =
                    <[u8; 8]>::try_from(bytes.as_slice()).map_err(|_| BitcoinError::Framing {
                        path: path.clone(),
                        offset: 0,
                        reason: format!(
                            "xor.dat must hold an 8-byte key, it holds {} bytes",
                            bytes.len()
                        ),
                    })?;
                Ok(XorKey(key))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(XorKey::NONE),
            Err(source) => Err(BitcoinError::Io { path, source }),
        }
    }

    /// Whether the files are not obfuscated (no `xor.dat`, or a zero key).
    pub fn is_none(&self) -> bool {
        self.0 == [0; 8]
    }

    /// XOR `buf`, which sits at `file_offset` in its file, with the key (its own inverse).
    pub fn apply(&self, buf: &mut [u8], file_offset: u64) {
        if self.is_none() {
            return;
        }
        let start = (file_offset % 8) as usize;
        for (i, byte) in buf.iter_mut().enumerate() {
            *byte ^= self.0[(start + i) % 8];
        }
    }
}

/// The message-start bytes that open each record, per network. Testnet also accepts testnet4
/// and the default signet, which share its address encoding.
pub fn magics(network: BitcoinNetwork) -> &'static [[u8; 4]] {
    match network {
        BitcoinNetwork::Mainnet => &[[0xf9, 0xbe, 0xb4, 0xd9]],
        BitcoinNetwork::Testnet => &[
            [0x0b, 0x11, 0x09, 0x07],
            [0x1c, 0x16, 0x3f, 0x28],
            [0x0a, 0x03, 0xcf, 0x40],
        ],
        BitcoinNetwork::Regtest => &[[0xfa, 0xbf, 0xb5, 0xda]],
    }
}

/// The genesis block hashes a network accepts (testnet: testnet3, testnet4 and default signet).
pub fn genesis_hashes(network: BitcoinNetwork) -> Vec<BlockHash> {
    use bitcoin::Network;
    let networks: &[Network] = match network {
        BitcoinNetwork::Mainnet => &[Network::Bitcoin],
        BitcoinNetwork::Testnet => &[Network::Testnet, Network::Testnet4, Network::Signet],
        BitcoinNetwork::Regtest => &[Network::Regtest],
    };
    networks
        .iter()
        .map(|&n| bitcoin::constants::genesis_block(n).block_hash())
        .collect()
}

fn network_of_magic(magic: [u8; 4]) -> Option<BitcoinNetwork> {
    [
        BitcoinNetwork::Mainnet,
        BitcoinNetwork::Testnet,
        BitcoinNetwork::Regtest,
    ]
    .into_iter()
    .find(|&n| magics(n).contains(&magic))
}

/// Positioned reads, so that framing works on files and on byte slices alike.
pub trait ReadAt {
    fn size(&self) -> std::io::Result<u64>;
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<()>;
}

impl ReadAt for File {
    fn size(&self) -> std::io::Result<u64> {
        Ok(self.metadata()?.len())
    }

    #[cfg(unix)]
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
        std::os::unix::fs::FileExt::read_exact_at(self, buf, offset)
    }

    #[cfg(windows)]
    fn read_exact_at(&self, mut buf: &mut [u8], mut offset: u64) -> std::io::Result<()> {
        while !buf.is_empty() {
            match std::os::windows::fs::FileExt::seek_read(self, buf, offset)? {
                0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
                n => {
                    buf = &mut buf[n..];
                    offset += n as u64;
                }
            }
        }
        Ok(())
    }
}

impl ReadAt for [u8] {
    fn size(&self) -> std::io::Result<u64> {
        Ok(self.len() as u64)
    }

    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
        let start = usize::try_from(offset).map_err(|_| std::io::ErrorKind::UnexpectedEof)?;
        let src = start
            .checked_add(buf.len())
            .and_then(|end| self.get(start..end))
            .ok_or(std::io::ErrorKind::UnexpectedEof)?;
        buf.copy_from_slice(src);
        Ok(())
    }
}

/// One framed record: where its block starts and its decoded header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record {
    /// Offset of the block's first byte (just after magic and length).
    pub offset: u64,
    pub len: u32,
    pub header: Header,
}

/// Why a file could not be framed: at `offset`, for `reason`.
#[derive(Debug, thiserror::Error)]
pub enum FramingError {
    #[error("{reason}")]
    Bad { offset: u64, reason: String },
    #[error("read failed at offset {offset}: {source}")]
    Io { offset: u64, source: std::io::Error },
}

/// Where a scan of a block file stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanEnd {
    /// Every record is framed: the data ends at `offset` (end of file, or zero padding where
    /// Core preallocated space, which a running node fills next).
    Complete {
        /// Where the next record will start.
        offset: u64,
    },
    /// The file ends inside the record that starts at `offset`: a truncated file, or a record
    /// a running node is still writing.
    Partial {
        /// Where the incomplete record starts.
        offset: u64,
        /// What is missing.
        reason: String,
    },
}

/// Frame the records of one block file and call `each` for every record in file order. Stops
/// at the end of the data (end of file, or zero padding where a magic would be); a record the
/// file holds only in part is an error (a truncated file).
pub fn scan_records<R: ReadAt + ?Sized>(
    src: &R,
    key: &XorKey,
    network: BitcoinNetwork,
    each: impl FnMut(Record),
) -> Result<(), FramingError> {
    match scan_records_from(src, key, network, 0, each)? {
        ScanEnd::Complete { .. } => Ok(()),
        ScanEnd::Partial { offset, reason } => Err(FramingError::Bad { offset, reason }),
    }
}

/// Frame the records of one block file from byte `start` (a record boundary: 0, or where an
/// earlier scan ended) and call `each` for every record in file order. Says where it stopped:
/// at the end of the data, or at a record the file holds only in part.
pub fn scan_records_from<R: ReadAt + ?Sized>(
    src: &R,
    key: &XorKey,
    network: BitcoinNetwork,
    start: u64,
    mut each: impl FnMut(Record),
) -> Result<ScanEnd, FramingError> {
    let io = |offset| move |source| FramingError::Io { offset, source };
    let size = src.size().map_err(io(0))?;
    let mut pos = start;
    while pos < size {
        let remaining = size - pos;
        let mut prefix = [0u8; 8];
        let take = remaining.min(8) as usize;
        src.read_exact_at(&mut prefix[..take], pos)
            .map_err(io(pos))?;
        if prefix[..take.min(4)].iter().all(|&b| b == 0) {
            // Preallocated space: Core fills it with zeros that were never XORed.
            return Ok(ScanEnd::Complete { offset: pos });
        }
        if remaining < 8 {
            return Ok(ScanEnd::Partial {
                offset: pos,
                reason: format!(
                    "the file ends {remaining} bytes into a record prefix (truncated file)"
                ),
            });
        }
        let raw_magic = [prefix[0], prefix[1], prefix[2], prefix[3]];
        key.apply(&mut prefix, pos);
        let magic = [prefix[0], prefix[1], prefix[2], prefix[3]];
        if !magics(network).contains(&magic) {
            return Err(FramingError::Bad {
                offset: pos,
                reason: bad_magic_reason(magic, raw_magic, key, network),
            });
        }
        let len = u32::from_le_bytes([prefix[4], prefix[5], prefix[6], prefix[7]]);
        if !(MIN_BLOCK_BYTES..=MAX_BLOCK_BYTES).contains(&len) {
            return Err(FramingError::Bad {
                offset: pos,
                reason: format!(
                    "record length {len} is impossible for a block \
                     ({MIN_BLOCK_BYTES}..={MAX_BLOCK_BYTES} bytes): corrupt file"
                ),
            });
        }
        let start = pos + 8;
        if u64::from(len) > size - start {
            return Ok(ScanEnd::Partial {
                offset: pos,
                reason: format!(
                    "the record says its block has {len} bytes but the file ends after {} \
                     (truncated file; if the node is still writing it, stop the node or \
                     leave this file out)",
                    size - start
                ),
            });
        }
        let mut raw = [0u8; 80];
        src.read_exact_at(&mut raw, start).map_err(io(start))?;
        key.apply(&mut raw, start);
        let header =
            Header::consensus_decode(&mut raw.as_slice()).map_err(|e| FramingError::Bad {
                offset: start,
                reason: format!("block header does not decode: {e}"),
            })?;
        each(Record {
            offset: start,
            len,
            header,
        });
        pos = start + u64::from(len);
    }
    Ok(ScanEnd::Complete { offset: pos })
}

fn bad_magic_reason(magic: [u8; 4], raw: [u8; 4], key: &XorKey, network: BitcoinNetwork) -> String {
    let expected = Chain::Bitcoin(network);
    let hex = |bytes: &[u8]| hex::encode(bytes);
    if !key.is_none() && magics(network).contains(&raw) {
        return format!(
            "found the {expected} magic {} only without the XOR key: this file is not \
             obfuscated, so xor.dat does not belong to it (wrong XOR key)",
            hex(&raw)
        );
    }
    if let Some(other) = network_of_magic(magic) {
        return format!(
            "found the magic of {} ({}), not {expected}: choose the network the files are from",
            Chain::Bitcoin(other),
            hex(&magic)
        );
    }
    if key.is_none() && network_of_magic(raw).is_none() {
        return format!(
            "expected the {expected} magic {}, found {}: corrupt file, or the files are \
             obfuscated and xor.dat is missing",
            hex(&magics(network)[0]),
            hex(&magic)
        );
    }
    format!(
        "expected the {expected} magic {}, found {} after XOR with key {}: corrupt file or \
         wrong XOR key (xor.dat)",
        hex(&magics(network)[0]),
        hex(&magic),
        hex(&key.0)
    )
}

/// Writes `blk*.dat` files the way Core does (for tests, benchmarks and fixtures).
pub struct BlkWriter {
    dir: PathBuf,
    key: XorKey,
    magic: [u8; 4],
    max_file_bytes: u64,
    file_number: u32,
    file: Option<std::io::BufWriter<File>>,
    pos: u64,
}

impl BlkWriter {
    /// Start writing into `dir` (created if needed); writes `xor.dat` unless `key` is none.
    pub fn create(
        dir: &Path,
        network: BitcoinNetwork,
        key: XorKey,
        max_file_bytes: u64,
    ) -> std::io::Result<BlkWriter> {
        std::fs::create_dir_all(dir)?;
        if !key.is_none() {
            std::fs::write(dir.join("xor.dat"), key.0)?;
        }
        Ok(BlkWriter {
            dir: dir.to_path_buf(),
            key,
            magic: magics(network)[0],
            max_file_bytes,
            file_number: 0,
            file: None,
            pos: 0,
        })
    }

    /// Append one serialized block; returns the file number and the offset of its first byte.
    pub fn write_block(&mut self, block: &[u8]) -> std::io::Result<(u32, u64)> {
        let len = u32::try_from(block.len()).map_err(|_| std::io::ErrorKind::InvalidInput)?;
        if self.file.is_some() && self.pos + 8 + u64::from(len) > self.max_file_bytes {
            self.finish_file()?;
            self.file_number += 1;
        }
        if self.file.is_none() {
            let path = self.dir.join(format!("blk{:05}.dat", self.file_number));
            self.file = Some(std::io::BufWriter::new(File::create(path)?));
            self.pos = 0;
        }
        let mut record = Vec::with_capacity(8 + block.len());
        record.extend_from_slice(&self.magic);
        record.extend_from_slice(&len.to_le_bytes());
        record.extend_from_slice(block);
        self.key.apply(&mut record, self.pos);
        let at = (self.file_number, self.pos + 8);
        if let Some(file) = self.file.as_mut() {
            file.write_all(&record)?;
        }
        self.pos += record.len() as u64;
        Ok(at)
    }

    /// Add zero padding to the current file, as Core's preallocation leaves it.
    pub fn pad(&mut self, bytes: usize) -> std::io::Result<()> {
        if let Some(file) = self.file.as_mut() {
            file.write_all(&vec![0u8; bytes])?;
            self.pos += bytes as u64;
        }
        Ok(())
    }

    /// Close the current file; the next block starts the next `blk*.dat`.
    pub fn next_file(&mut self) -> std::io::Result<()> {
        if self.file.is_some() {
            self.finish_file()?;
            self.file_number += 1;
        }
        Ok(())
    }

    fn finish_file(&mut self) -> std::io::Result<()> {
        if let Some(mut file) = self.file.take() {
            file.flush()?;
        }
        Ok(())
    }

    /// Finish the last file (its size padded as Core pads it).
    pub fn finish(mut self) -> std::io::Result<()> {
        self.finish_file()
    }
}

/// The `blk*.dat` files of `dir` in file-number order. `dir` may also be a data directory that
/// holds `blocks/`.
pub fn block_files(dir: &Path) -> Result<(PathBuf, Vec<PathBuf>), BitcoinError> {
    let list = |dir: &Path| -> Result<Vec<(u32, PathBuf)>, BitcoinError> {
        let entries = std::fs::read_dir(dir).map_err(|source| BitcoinError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let mut files = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|source| BitcoinError::Io {
                path: dir.to_path_buf(),
                source,
            })?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if let Some(number) = name
                .strip_prefix("blk")
                .and_then(|rest| rest.strip_suffix(".dat"))
                .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|n| n.parse::<u32>().ok())
            {
                files.push((number, entry.path()));
            }
        }
        files.sort();
        Ok(files)
    };
    let mut dir = dir.to_path_buf();
    let mut files = list(&dir)?;
    if files.is_empty() && dir.join("blocks").is_dir() {
        dir = dir.join("blocks");
        files = list(&dir)?;
    }
    if files.is_empty() {
        return Err(BitcoinError::Chain {
            path: dir,
            reason: "no blk*.dat files here: give Bitcoin Core's blocks directory \
                     (e.g. ~/.bitcoin/blocks)"
                .to_string(),
        });
    }
    Ok((dir, files.into_iter().map(|(_, path)| path).collect()))
}

/// Where a block is, and what its header says.
#[derive(Debug, Clone, Copy)]
struct Indexed {
    prev: BlockHash,
    file: u32,
    offset: u64,
    len: u32,
    work: Work,
    /// Position in file order: the earlier of two equal-work tips was seen first.
    seq: u32,
    /// Cumulative work from the root of its tree, its depth below that root, and whether the
    /// root is a genesis block: set when the best chain is chosen.
    total: Work,
    depth: u32,
    rooted: bool,
}

/// The headers of every block in the files, extended as the files grow.
struct BlockIndex {
    files: Vec<PathBuf>,
    /// Per file, where its next record starts: every record before it is indexed.
    framed_to: Vec<u64>,
    blocks: HashMap<BlockHash, Indexed>,
    duplicates: u64,
    next_seq: u32,
    /// Blocks indexed since the best chain was last chosen, in file order.
    added: Vec<BlockHash>,
    /// The parents that roots other than a genesis block are missing: should one arrive, the
    /// work under it must be counted again.
    missing_parents: HashSet<BlockHash>,
    /// A duplicate replaced an entry, and with it its counted work.
    recount: bool,
}

impl BlockIndex {
    fn new() -> BlockIndex {
        BlockIndex {
            files: Vec::new(),
            framed_to: Vec::new(),
            blocks: HashMap::new(),
            duplicates: 0,
            next_seq: 0,
            added: Vec::new(),
            missing_parents: HashSet::new(),
            recount: false,
        }
    }

    /// Index the records appended to `files` since the last call; `files` are the directory's
    /// files now, which must begin with those indexed before. Checks each header's proof of
    /// work against its own target, so that a corrupt header is caught here. With `live`, the
    /// records of the last file are read whole and checked (decoding, merkle root) before they
    /// are indexed, and one that is cut short, does not frame or fails the check (a record
    /// half written, at the end of the file or inside preallocated zeros) is taken for one the
    /// node is writing: it is left for the next call instead of refused. On an error the records before the bad one stay
    /// indexed, and the next call starts at it.
    fn extend(
        &mut self,
        files: Vec<PathBuf>,
        key: &XorKey,
        network: BitcoinNetwork,
        live: bool,
    ) -> Result<(), BitcoinError> {
        if let Some((gone, _)) = self
            .files
            .iter()
            .zip(files.iter().map(Some).chain(std::iter::repeat(None)))
            .find(|(was, now)| Some(*was) != *now)
        {
            return Err(BitcoinError::Chain {
                path: gone.clone(),
                reason: "this block file was indexed and is gone now (a pruned node, or \
                         another directory): follow from a directory that keeps its files"
                    .to_string(),
            });
        }
        self.framed_to.resize(files.len(), 0);
        self.files = files;
        let last = self.files.len().saturating_sub(1);
        for number in 0..self.files.len() {
            let path = &self.files[number];
            let from = self.framed_to[number];
            let file = File::open(path).map_err(|source| BitcoinError::Io {
                path: path.clone(),
                source,
            })?;
            let size = file.metadata().map_err(|source| BitcoinError::Io {
                path: path.clone(),
                source,
            })?;
            if size.len() == from {
                // Finished files (Core cuts their preallocation off) are read once.
                continue;
            }
            if size.len() < from {
                return Err(BitcoinError::Framing {
                    path: path.clone(),
                    offset: size.len(),
                    reason: format!(
                        "the file shrank below the {from} bytes already indexed: it was \
                         replaced; index the directory again"
                    ),
                });
            }
            // In the file a node is writing, each record is read whole and checked before it
            // is indexed: inside Core's preallocated zeros a half-written header could
            // otherwise pass as a block (regtest's target is met by every other hash).
            let check_whole = live && number == last;
            let mut rejected: Option<(u64, String)> = None;
            let mut indexed_to = from;
            let framing_error = |offset, reason| BitcoinError::Framing {
                path: path.clone(),
                offset,
                reason,
            };
            let scanned = scan_records_from(&file, key, network, from, |record| {
                if rejected.is_some() {
                    return;
                }
                let header = record.header;
                let Ok(hash) = header.validate_pow(header.target()) else {
                    rejected = Some((
                        record.offset,
                        "block header fails its own proof of work: corrupt header".to_string(),
                    ));
                    return;
                };
                if check_whole && let Err(reason) = whole_block(&file, key, &record) {
                    rejected = Some((record.offset, reason));
                    return;
                }
                let entry = Indexed {
                    prev: header.prev_blockhash,
                    file: number as u32,
                    offset: record.offset,
                    len: record.len,
                    work: header.work(),
                    seq: self.next_seq,
                    total: header.work(),
                    depth: 0,
                    rooted: false,
                };
                self.next_seq += 1;
                indexed_to = record.offset + u64::from(record.len);
                if self.blocks.insert(hash, entry).is_some() {
                    self.duplicates += 1;
                    self.recount = true;
                } else {
                    self.added.push(hash);
                }
            });
            self.framed_to[number] = indexed_to;
            let stopped = match scanned {
                Err(FramingError::Io { offset, source }) => {
                    return Err(framing_error(offset, source.to_string()));
                }
                _ if rejected.is_some() => rejected,
                Ok(ScanEnd::Complete { offset }) => {
                    self.framed_to[number] = offset;
                    None
                }
                Ok(ScanEnd::Partial { offset, reason }) => Some((offset, reason)),
                Err(FramingError::Bad { offset, reason }) => Some((offset, reason)),
            };
            if let Some((offset, reason)) = stopped {
                // In the file a node is writing, a record can be seen half written: cut short
                // at the end of the file, or inside the zeros Core preallocated. Read it again
                // next time; once a later file exists, it is damage.
                if !live || number != last {
                    return Err(framing_error(offset, reason));
                }
                tracing::debug!(
                    file = %path.display(),
                    offset,
                    reason,
                    "a record is not complete yet; reading it again next time"
                );
            }
        }
        Ok(())
    }

    /// Records indexed so far, duplicates included.
    fn records(&self) -> u64 {
        self.blocks.len() as u64 + self.duplicates
    }

    fn len(&self) -> usize {
        self.blocks.len()
    }

    /// Bring `chain`, the best chain (root first), up to the blocks indexed since the last
    /// call. Blocks on top of counted ones — what a node appends — are counted one by one and
    /// the chain is spliced at the fork, in place; a block that is the missing parent of
    /// counted ones, a genesis block, a duplicate or an empty chain make it count every block
    /// again. Returns the new chain instead when it may start at another root (and leaves
    /// `chain` as it was).
    fn update_chain(
        &mut self,
        network: BitcoinNetwork,
        chain: &mut Vec<BlockHash>,
    ) -> Option<Vec<BlockHash>> {
        let added = std::mem::take(&mut self.added);
        let genesis = genesis_hashes(network);
        let mut recount = self.recount
            || chain.is_empty()
            || added
                .iter()
                .any(|h| genesis.contains(h) || self.missing_parents.contains(h));
        for hash in &added {
            if recount {
                break;
            }
            let Some(entry) = self.blocks.get(hash).copied() else {
                continue;
            };
            let counted = match self.blocks.get(&entry.prev) {
                // Its parent came later in the files: not counted yet.
                Some(parent) if parent.seq > entry.seq => {
                    recount = true;
                    continue;
                }
                Some(parent) => (parent.total + entry.work, parent.depth + 1, parent.rooted),
                None => {
                    self.missing_parents.insert(entry.prev);
                    (entry.work, 0, false)
                }
            };
            if let Some(entry) = self.blocks.get_mut(hash) {
                (entry.total, entry.depth, entry.rooted) = counted;
            }
        }
        if recount {
            return Some(self.count_all(network));
        }
        let has_genesis = genesis.iter().any(|g| self.blocks.contains_key(g));
        let Some(mut best) = chain
            .last()
            .and_then(|h| Some((*h, self.blocks.get(h)?.total)))
        else {
            return Some(self.count_all(network));
        };
        for hash in &added {
            if let Some(entry) = self.blocks.get(hash)
                && (entry.rooted || !has_genesis)
                && entry.total > best.1
            {
                best = (*hash, entry.total);
            }
        }
        if chain.last() == Some(&best.0) {
            return None;
        }
        // Walk down from the new tip to the first block on the chain, and splice there.
        let mut branch = Vec::new();
        let mut at = best.0;
        while let Some(entry) = self.blocks.get(&at) {
            if chain.get(entry.depth as usize) == Some(&at) {
                chain.truncate(entry.depth as usize + 1);
                chain.extend(branch.into_iter().rev());
                return None;
            }
            branch.push(at);
            if entry.depth == 0 {
                break;
            }
            at = entry.prev;
        }
        // Another tree.
        branch.reverse();
        Some(branch)
    }

    /// Count every block's cumulative work, and return the best chain, root first: among the
    /// trees rooted at the network's genesis block (or, when the files do not hold it, rooted
    /// at any block whose parent is missing), the path to the tip with the most cumulative
    /// work; the tip seen first wins a tie, as in Core.
    fn count_all(&mut self, network: BitcoinNetwork) -> Vec<BlockHash> {
        self.recount = false;
        self.missing_parents.clear();
        let genesis = genesis_hashes(network);
        let has_genesis = genesis.iter().any(|g| self.blocks.contains_key(g));
        // hash -> (cumulative work from the root, depth, rooted at genesis)
        let mut total: HashMap<BlockHash, (Work, u32, bool)> = HashMap::with_capacity(self.len());
        let mut order: Vec<(BlockHash, u32)> =
            self.blocks.iter().map(|(h, e)| (*h, e.seq)).collect();
        order.sort_by_key(|&(_, seq)| seq);
        let mut stack = Vec::new();
        for &(hash, _) in &order {
            let mut at = hash;
            while !total.contains_key(&at) {
                stack.push(at);
                match self.blocks.get(&at) {
                    Some(entry) if self.blocks.contains_key(&entry.prev) => at = entry.prev,
                    _ => break,
                }
            }
            while let Some(h) = stack.pop() {
                let entry = &self.blocks[&h];
                let value = match total.get(&entry.prev) {
                    Some(&(work, depth, rooted)) => (work + entry.work, depth + 1, rooted),
                    None => {
                        if !genesis.contains(&h) {
                            self.missing_parents.insert(entry.prev);
                        }
                        (entry.work, 0, genesis.contains(&h))
                    }
                };
                total.insert(h, value);
            }
        }
        let mut best: Option<(BlockHash, Work)> = None;
        for &(hash, _) in &order {
            let (work, depth, rooted) = total[&hash];
            if let Some(entry) = self.blocks.get_mut(&hash) {
                (entry.total, entry.depth, entry.rooted) = (work, depth, rooted);
            }
            // In file order, so that a later tip must have strictly more work to win.
            if (rooted || !has_genesis) && best.is_none_or(|(_, most)| work > most) {
                best = Some((hash, work));
            }
        }
        let mut chain = Vec::new();
        let mut at = best.map(|(h, _)| h);
        while let Some(hash) = at {
            chain.push(hash);
            at = self
                .blocks
                .get(&hash)
                .map(|e| e.prev)
                .filter(|p| self.blocks.contains_key(p));
        }
        chain.reverse();
        chain
    }

    fn location(&self, hash: &BlockHash) -> Option<Indexed> {
        self.blocks.get(hash).copied()
    }
}

/// Whether `record` of `file` holds a whole block: it decodes and its transactions hash to its
/// header's merkle root.
fn whole_block(file: &File, key: &XorKey, record: &Record) -> Result<(), String> {
    let mut bytes = vec![0u8; record.len as usize];
    file.read_exact_at(&mut bytes, record.offset)
        .map_err(|e| format!("cannot read the block: {e}"))?;
    key.apply(&mut bytes, record.offset);
    let block: Block = bitcoin::consensus::deserialize(&bytes)
        .map_err(|e| format!("the block does not decode (not completely written yet?): {e}"))?;
    if block.check_merkle_root() {
        Ok(())
    } else {
        Err(
            "the block's transactions do not match its header's merkle root (not completely \
             written yet?)"
                .to_string(),
        )
    }
}

/// Reads whole blocks by location, de-obfuscated.
struct BlockReader<'a> {
    index: &'a BlockIndex,
    key: XorKey,
    open: HashMap<u32, File>,
}

impl BlockReader<'_> {
    fn read(&mut self, hash: &BlockHash) -> Result<(Block, Indexed), BitcoinError> {
        let entry = self
            .index
            .location(hash)
            .ok_or_else(|| BitcoinError::Chain {
                path: PathBuf::new(),
                reason: format!("block {hash} vanished from the index"),
            })?;
        let path = &self.index.files[entry.file as usize];
        let file = match self.open.entry(entry.file) {
            std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(File::open(path).map_err(|source| BitcoinError::Io {
                    path: path.clone(),
                    source,
                })?)
            }
        };
        let mut bytes = vec![0u8; entry.len as usize];
        file.read_exact_at(&mut bytes, entry.offset)
            .map_err(|e| BitcoinError::Framing {
                path: path.clone(),
                offset: entry.offset,
                reason: format!("cannot read block {hash}: {e}"),
            })?;
        self.key.apply(&mut bytes, entry.offset);
        let corrupt = |reason: String| BitcoinError::CorruptBlock {
            path: path.clone(),
            offset: entry.offset,
            block: hash.to_string(),
            reason,
        };
        let block: Block = bitcoin::consensus::deserialize(&bytes)
            .map_err(|e| corrupt(format!("does not decode: {e}")))?;
        if block.block_hash() != *hash {
            return Err(corrupt(
                "its header changed since the files were indexed".to_string(),
            ));
        }
        Ok((block, entry))
    }
}

/// Resume position of a blocks-directory ingest: the last complete block.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct BlkCursor {
    height: u64,
    hash: String,
}

/// A decoded block on its way to the store.
struct Decoded {
    height: u64,
    hash: BlockHash,
    bytes: u64,
    txs: Vec<UtxoTx>,
}

/// The best chain of a blocks directory, numbered, ready to decode. [`BestChain::refresh`]
/// reads what the node appended since, so that a running node can be followed.
pub struct BestChain {
    /// The blocks directory actually read.
    pub dir: PathBuf,
    index: BlockIndex,
    key: XorKey,
    network: BitcoinNetwork,
    live: bool,
    /// Root first.
    hashes: Vec<BlockHash>,
    /// Height of the root: 0 at genesis, else its BIP34 height.
    pub root_height: u64,
}

impl BestChain {
    /// Index `dir` (or a data directory holding `blocks/`) and choose its best chain. A record
    /// that a file holds only in part is an error (a truncated file).
    pub fn open(dir: &Path, network: BitcoinNetwork) -> Result<BestChain, BitcoinError> {
        BestChain::open_with(dir, network, false)
    }

    /// As [`BestChain::open`], for the directory of a running node: the records of the last
    /// file are read whole and checked before they are indexed, and one that is not complete
    /// yet is left for a later [`BestChain::refresh`].
    pub fn open_live(dir: &Path, network: BitcoinNetwork) -> Result<BestChain, BitcoinError> {
        BestChain::open_with(dir, network, true)
    }

    fn open_with(
        dir: &Path,
        network: BitcoinNetwork,
        live: bool,
    ) -> Result<BestChain, BitcoinError> {
        let (dir, files) = block_files(dir)?;
        let key = XorKey::read_from_dir(&dir)?;
        let mut index = BlockIndex::new();
        index.extend(files, &key, network, live)?;
        let mut best = BestChain {
            dir,
            index,
            key,
            network,
            live,
            hashes: Vec::new(),
            root_height: 0,
        };
        best.choose()?;
        let (blocks, chain) = (best.index.len(), best.hashes.len());
        tracing::info!(
            blocks,
            best_chain = chain,
            stale = blocks - chain,
            duplicates = best.index.duplicates,
            "indexed block files"
        );
        let stale = blocks - chain;
        if stale > 100 && stale * 100 > blocks {
            tracing::warn!(
                stale,
                blocks,
                "many blocks are not on the best chain: are some blk*.dat files missing?"
            );
        }
        Ok(best)
    }

    /// Index the records appended to the directory's files since the last look (and the
    /// files that appeared), and choose the best chain again. Returns the number of records
    /// read; reads only the files that grew, each from where the last look stopped. On an
    /// error the records before the bad one are kept, and the next call starts at it.
    pub fn refresh(&mut self) -> Result<u64, BitcoinError> {
        let (_, files) = block_files(&self.dir)?;
        let before = self.index.records();
        let extended = self.index.extend(files, &self.key, self.network, self.live);
        let read = self.index.records() - before;
        if read > 0 || self.index.recount {
            self.choose()?;
        }
        extended.map(|()| read)
    }

    /// Choose the chain with the most work among the indexed headers, and number it. On an
    /// error the chain stays as it was.
    fn choose(&mut self) -> Result<(), BitcoinError> {
        let Some(hashes) = self.index.update_chain(self.network, &mut self.hashes) else {
            return Ok(());
        };
        let Some(root) = hashes.first().copied() else {
            return Err(BitcoinError::Chain {
                path: self.dir.clone(),
                reason: "the block files hold no blocks".to_string(),
            });
        };
        if self.hashes.first() != Some(&root) {
            self.root_height = self.height_of_root(&root).inspect_err(|_| {
                // The index counted the new blocks, the chain did not take them: next time,
                // count again.
                self.index.recount = true;
            })?;
        }
        self.hashes = hashes;
        Ok(())
    }

    fn height_of_root(&self, root: &BlockHash) -> Result<u64, BitcoinError> {
        if genesis_hashes(self.network).contains(root) {
            return Ok(0);
        }
        let (block, entry) = self.reader().read(root)?;
        block
            .bip34_block_height()
            .map_err(|e| BitcoinError::CorruptBlock {
                path: self.index.files[entry.file as usize].clone(),
                offset: entry.offset,
                block: root.to_string(),
                reason: format!(
                    "the files do not start at the genesis block, and this first block of \
                     the best chain carries no BIP34 height to number the chain from ({e})"
                ),
            })
    }

    fn reader(&self) -> BlockReader<'_> {
        BlockReader {
            index: &self.index,
            key: self.key,
            open: HashMap::new(),
        }
    }

    /// The height of the best chain's tip.
    pub fn tip_height(&self) -> u64 {
        // `choose` refuses an empty chain.
        self.root_height + (self.hashes.len() as u64).saturating_sub(1)
    }

    /// The hash of the best chain's block at `height`, if the chain has one there.
    pub fn hash_at(&self, height: u64) -> Option<BlockHash> {
        let at = usize::try_from(height.checked_sub(self.root_height)?).ok()?;
        self.hashes.get(at).copied()
    }

    /// The best chain's block at `height`: its header and its transactions, decoded and
    /// checked as an ingest decodes them.
    pub fn block_at(&self, height: u64) -> Result<(Header, Vec<UtxoTx>), BitcoinError> {
        let hash = self.hash_at(height).ok_or_else(|| BitcoinError::Chain {
            path: self.dir.clone(),
            reason: format!(
                "the best chain has no block {height}: it spans {}..={}",
                self.root_height,
                self.tip_height()
            ),
        })?;
        let (header, decoded) = self.decode(&mut self.reader(), &hash, height)?;
        Ok((header, decoded.txs))
    }

    /// Blocks on the best chain.
    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    /// Whether the best chain has no block.
    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    /// Blocks in the files that are not on the best chain (stale forks, orphans).
    pub fn stale(&self) -> usize {
        self.index.len() - self.hashes.len()
    }

    /// Serialized bytes of the best chain's blocks from position `start` on.
    pub fn bytes_from(&self, start: usize) -> u64 {
        self.hashes[start.min(self.hashes.len())..]
            .iter()
            .filter_map(|h| self.index.location(h))
            .map(|e| u64::from(e.len))
            .sum()
    }

    /// Read block `hash` at `height` and convert its transactions.
    fn decode(
        &self,
        reader: &mut BlockReader<'_>,
        hash: &BlockHash,
        height: u64,
    ) -> Result<(Header, Decoded), BitcoinError> {
        let (block, entry) = reader.read(hash)?;
        let txs = block_txs(&block, height, self.network).map_err(|reason| {
            BitcoinError::CorruptBlock {
                path: self.index.files[entry.file as usize].clone(),
                offset: entry.offset,
                block: format!("{hash} (height {height})"),
                reason: reason.to_string(),
            }
        })?;
        let decoded = Decoded {
            height,
            hash: *hash,
            bytes: u64::from(entry.len),
            txs,
        };
        Ok((block.header, decoded))
    }

    /// Decode the blocks from position `start` in height order, handing each to `sink` until
    /// it returns `false`. Stops after the first error, which it hands over too.
    fn decode_from(
        &self,
        start: usize,
        mut sink: impl FnMut(Result<Decoded, BitcoinError>) -> bool,
    ) {
        let mut reader = self.reader();
        let first_height = self.root_height + start as u64;
        for (i, hash) in self.hashes.iter().enumerate().skip(start) {
            let height = first_height + (i - start) as u64;
            let decoded = self
                .decode(&mut reader, hash, height)
                .map(|(_, decoded)| decoded);
            let failed = decoded.is_err();
            if !sink(decoded) || failed {
                return;
            }
        }
    }

    /// Decode the whole best chain without a store, calling `each(height, transactions)` in
    /// height order (for tools and benchmarks that only parse).
    pub fn for_each_block(
        &self,
        mut each: impl FnMut(u64, Vec<UtxoTx>),
    ) -> Result<(), BitcoinError> {
        let mut outcome = Ok(());
        self.decode_from(0, |decoded| match decoded {
            Ok(d) => {
                each(d.height, d.txs);
                true
            }
            Err(e) => {
                outcome = Err(e);
                false
            }
        });
        outcome
    }
}

/// Ingest the best chain found in Bitcoin Core's blocks directory `dir` (or a data directory
/// holding `blocks/`). Resumes after the last complete block of an earlier run of the same
/// directory; commits at block boundaries only (every `options.checkpoint_every` transactions),
/// and on a decode error keeps the blocks before it and names the file and offset.
pub fn ingest_blocks_dir(
    store: &Store,
    dir: &Path,
    network: BitcoinNetwork,
    options: &ImportOptions<'_>,
) -> Result<ImportReport, BitcoinError> {
    let best = BestChain::open(dir, network)?;
    let dir = best.dir.clone();
    let root_height = best.root_height;
    let chain = Chain::Bitcoin(network);
    let mut writer = store.writer(chain)?;
    let canonical = dir.canonicalize().map_err(|source| BitcoinError::Io {
        path: dir.clone(),
        source,
    })?;
    let cursor_key = format!("bitcoin-blk:{}", canonical.display());
    let saved = writer
        .cursor(&cursor_key)
        .and_then(|v| serde_json::from_value::<BlkCursor>(v.clone()).ok());
    let mut start = 0usize;
    let resumed = saved.is_some();
    if let Some(saved) = &saved {
        let at = saved
            .height
            .checked_sub(root_height)
            .and_then(|i| usize::try_from(i).ok())
            .filter(|&i| i < best.len());
        match at {
            Some(i) if best.hashes[i].to_string() == saved.hash => start = i + 1,
            _ => {
                return Err(BitcoinError::Diverged(format!(
                    "the store holds {} up to block {} ({}), which is not on the best chain of \
                     {} (a reorg, or other files): `ingest` only appends; `chaintrail follow \
                     --blocks-dir` rolls reorgs back, or ingest into a new store",
                    chain,
                    saved.height,
                    saved.hash,
                    dir.display()
                )));
            }
        }
    }
    let total_bytes = best.bytes_from(start);

    let mut txs_read = 0u64;
    let mut since_checkpoint = 0u64;
    let mut bytes_done = 0u64;
    let mut last: Option<BlkCursor> = saved;
    let outcome: Result<(), BitcoinError> = std::thread::scope(|scope| {
        let (send, receive) = mpsc::sync_channel::<Result<Decoded, BitcoinError>>(16);
        let best = &best;
        scope.spawn(move || best.decode_from(start, |decoded| send.send(decoded).is_ok()));
        for decoded in receive {
            let decoded = decoded?;
            for tx in &decoded.txs {
                writer.append_utxo_tx(tx)?;
            }
            txs_read += decoded.txs.len() as u64;
            since_checkpoint += decoded.txs.len() as u64;
            bytes_done += decoded.bytes;
            last = Some(BlkCursor {
                height: decoded.height,
                hash: decoded.hash.to_string(),
            });
            if since_checkpoint >= options.checkpoint_every {
                writer.commit(&cursor_key, cursor_value(last.as_ref()))?;
                (options.on_progress)(bytes_done, total_bytes);
                since_checkpoint = 0;
            }
        }
        Ok(())
    });
    if let Err(err) = outcome {
        // A source error leaves whole blocks behind it: keep them, indexed, so that the store
        // stays readable. A store error may have left part of a transaction: commit nothing.
        if !matches!(err, BitcoinError::Store(_)) {
            writer.finish(&cursor_key, cursor_value(last.as_ref()))?;
        }
        return Err(err);
    }
    let totals = writer.finish(&cursor_key, cursor_value(last.as_ref()))?;
    (options.on_progress)(bytes_done, total_bytes);
    Ok(ImportReport {
        chain,
        format: "bitcoin-blk".to_string(),
        source: dir,
        txs_read,
        resumed,
        totals,
    })
}

fn cursor_value(cursor: Option<&BlkCursor>) -> serde_json::Value {
    cursor
        .and_then(|c| serde_json::to_value(c).ok())
        .unwrap_or(serde_json::Value::Null)
}
