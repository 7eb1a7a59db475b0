use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use chaintrail_core::{
    Address, Amount, Asset, BlockRef, Chain, ChainModel, OutPoint, TransferKind, TxFingerprint,
    TxHash,
};
use serde::Serialize;

use crate::checkpoint::Checkpoint;
use crate::column::{Column, DamageLatch};
use crate::error::StoreError;
use crate::files::MappedFile;
use crate::lookup;
use crate::manifest::{CHAIN_MANIFEST, ChainManifest, read_json};
use crate::schema::{
    self, AssetEntry, DeltaList, FINGERPRINT_BYTES, FileGroup, Framing, NO_ADDRESS, NullDataEntry,
    OverflowAmount, TxId, UnlinkedInput, WideAmount, col, unpack_fingerprint,
};

/// How far a chain's content reaches ([`ChainReader::extent`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extent {
    /// Transactions: ids `0..txs`.
    pub txs: u64,
    /// Records: transfers (account chains), or inputs plus outputs (UTXO chains).
    pub records: u64,
    /// The last transaction's hash (`None` for an empty chain).
    pub last_tx: Option<TxHash>,
}

/// Read access to one chain. Opening maps the files and checks their lengths; each segment of a
/// file is verified against the manifest's checksum the first time something is read from it
/// (docs/schema.md, *Manifest, checksums, checkpoints*). A read from a damaged segment returns
/// nothing and is remembered: [`ChainReader::ensure_intact`] then fails naming the file and the
/// byte range, and every operation over the store calls it before it answers. Lookups by
/// address or hash build their hash maps on first use.
pub struct ChainReader {
    dir: PathBuf,
    manifest: ChainManifest,
    files: HashMap<&'static str, MappedFile>,
    damage: DamageLatch,
    assets: Vec<Asset>,
    address_ids: OnceLock<HashMap<Box<[u8]>, u32>>,
    tx_ids: OnceLock<HashMap<[u8; 32], TxId>>,
    /// Effective block times ([`ChainReader::block_effective_time`]), kept only when the chain's
    /// timestamps are not already in order (`None` then: each block's own time is its effective
    /// time).
    effective_times: OnceLock<Option<Box<[u64]>>>,
}

/// One account transfer with everything resolved.
#[derive(Debug, Clone, Serialize)]
pub struct TransferView {
    /// Its row in the `transfers.*` columns.
    pub row: u64,
    /// Id of the transaction it belongs to.
    pub tx: TxId,
    /// Its index among that transaction's transfers (0 = first).
    pub position: u32,
    /// Height and header timestamp of its block (not the effective time).
    pub block: BlockRef,
    /// Address id of the sender ([`NO_ADDRESS`](crate::schema::NO_ADDRESS) for minted value);
    /// [`ChainReader::address`] gives the address.
    pub from: u32,
    /// Address id of the recipient ([`NO_ADDRESS`](crate::schema::NO_ADDRESS) for burnt value).
    pub to: u32,
    /// Per-chain asset id (0 = the native coin); [`ChainReader::asset`] gives its metadata.
    pub asset: u32,
    /// The exact amount in the asset's base units (wei for ether), large amounts resolved.
    pub amount: Amount,
    /// What moved the value: a native or internal transfer, a token transfer, a fee, a burn, a mint.
    pub kind: TransferKind,
    /// `false` for a transfer of a reverted call: it is stored but moved nothing.
    pub success: bool,
}

/// One UTXO output.
#[derive(Debug, Clone, Serialize)]
pub struct OutputView {
    /// Its row in the `outputs.*` columns.
    pub row: u64,
    /// Id of the transaction that created it.
    pub tx: TxId,
    /// Its index among that transaction's outputs.
    pub vout: u32,
    /// Its value in satoshi.
    pub value: u64,
    /// Address id of what it pays (a typed script identity when the script has no address);
    /// [`ChainReader::address`] gives the address.
    pub address: u32,
    /// Id of the transaction spending it; `None` while unspent.
    pub spent_by: Option<TxId>,
}

/// One UTXO input: the output it spends when linked, or what the source said when not.
#[derive(Debug, Clone, Serialize)]
pub struct InputView {
    /// Its row in the `inputs.*` columns.
    pub row: u64,
    /// Id of the transaction it belongs to (the spender).
    pub tx: TxId,
    /// `true` for a coinbase input; every other field is then `None`.
    pub coinbase: bool,
    /// Row of the output it spends when the store holds it; `None` for coinbase and unlinked inputs.
    pub spent_output: Option<u64>,
    /// The (txid, vout) it spends: the linked output's, or what the source said for an unlinked
    /// input (all-zero txid when it named none). `None` for coinbase inputs.
    pub prevout: Option<OutPoint>,
    /// The value it spends, in satoshi: the linked output's, or the source's for an unlinked
    /// input (`None` when the source did not say).
    pub value: Option<u64>,
    /// Address id of the output it spends: the linked output's, or the source's for an unlinked
    /// input (`None` when the source did not say).
    pub address: Option<u32>,
}

/// What an output carries and who spent it, without its transaction: what a walk that
/// arrived by the transaction needs ([`ChainReader::output_funds`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputFunds {
    /// Its value in satoshi.
    pub value: u64,
    /// Address id of what it pays.
    pub address: u32,
    /// Id of the transaction spending it; `None` while unspent.
    pub spent_by: Option<TxId>,
}

/// What an input spends, without its transaction or the outpoint's hash
/// ([`ChainReader::input_source`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputSource {
    /// A coinbase input: it spends nothing.
    Coinbase,
    /// The row of the stored output it spends.
    Output(u64),
    /// An output the store does not hold, with the value and address the source gave, if any.
    Unlinked {
        /// The value spent, in satoshi.
        value: Option<u64>,
        /// Address id of the spent output.
        address: Option<u32>,
        /// The (txid, vout) the source named (`None`: its record is missing).
        prevout: Option<OutPoint>,
    },
}

/// The transfer columns, read row by row (each segment verified on first read) or, for scans,
/// whole with [`Column::all`].
#[derive(Clone, Copy)]
pub struct TransferColumns<'a> {
    /// `transfers.from`: sender address ids.
    pub from: Column<'a, u32>,
    /// `transfers.to`: recipient address ids.
    pub to: Column<'a, u32>,
    /// `transfers.meta`: asset, kind and success, unpacked by [`schema::unpack_meta`].
    pub meta: Column<'a, u32>,
    /// `transfers.amount`: base units, or a marker resolved by
    /// [`ChainReader::transfer_amount`].
    pub amount: Column<'a, u64>,
}

/// The UTXO columns. `input_spent` holds output rows or the [`schema::INPUT_COINBASE`] /
/// [`schema::INPUT_UNLINKED`] markers.
#[derive(Clone, Copy)]
pub struct UtxoColumns<'a> {
    /// `outputs.value`: satoshi per output row.
    pub output_value: Column<'a, u64>,
    /// `outputs.address`: address id per output row.
    pub output_address: Column<'a, u32>,
    /// `inputs.spent`: the spent output row (or a marker) per input row.
    pub input_spent: Column<'a, u64>,
}

/// One file of a chain directory with its committed size, as `chaintrail stats` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct FileStats {
    /// The file name within the chain directory (`transfers.amount`, `index.in.adj`, …).
    pub name: String,
    /// Its committed length in bytes, as the manifest records it.
    pub bytes: u64,
}

/// Committed bytes of a chain's files, per [`FileGroup`].
#[derive(Debug, Clone, Default, Serialize)]
pub struct GroupBytes {
    /// Value-flow records with their block/tx framing (what the density target counts).
    pub records: u64,
    /// Adjacency and spent-by indexes.
    pub adjacency: u64,
    /// Hash lookups of addresses and transactions.
    pub lookups: u64,
    /// The address dictionary (`addresses.keys`, `addresses.ends`).
    pub address_dictionary: u64,
    /// Transaction hashes (`txs.hash`, 32 bytes per transaction).
    pub tx_hashes: u64,
    /// Asset metadata (`assets.jsonl`).
    pub assets: u64,
    /// OP_RETURN payloads and their row index (UTXO chains).
    pub null_data: u64,
}

/// What `chaintrail stats` reports for a chain.
#[derive(Debug, Clone, Serialize)]
pub struct ChainStats {
    /// The chain reported on.
    pub chain: Chain,
    /// Its value-flow model: account or UTXO.
    pub model: ChainModel,
    /// Blocks stored.
    pub blocks: u64,
    /// Transactions stored (not counting skipped duplicates).
    pub txs: u64,
    /// Transfers (account chains) or inputs + outputs (UTXO chains).
    pub records: u64,
    /// Transfers stored (0 on UTXO chains).
    pub transfers: u64,
    /// Inputs stored, coinbase and unlinked ones included (0 on account chains).
    pub inputs: u64,
    /// Outputs stored, OP_RETURN ones included (0 on account chains).
    pub outputs: u64,
    /// Addresses, not counting the reserved id 0 ("no address").
    pub addresses: u64,
    /// Assets with an id, the native coin (id 0) included.
    pub assets: u64,
    /// Transfers whose amount does not fit the `u64` column (`amounts.overflow` + `amounts.wide`).
    pub overflow_amounts: u64,
    /// Inputs whose spent output the store does not hold (partial imports).
    pub unlinked_inputs: u64,
    /// Transactions the writers skipped over the chain's life because the hash was already
    /// stored (re-imports; BIP30's rule on UTXO chains).
    pub duplicate_txs_skipped: u64,
    /// Committed bytes per group.
    pub bytes: GroupBytes,
    /// Records-group bytes per record: the figure the density target (≤ 24 B per transfer, ≤ 16 B
    /// per input or output) is judged by; 0 when there are no records.
    pub bytes_per_record: f64,
    /// Adjacency-group bytes per record; 0 when there are no records.
    pub adjacency_bytes_per_record: f64,
    /// Address-dictionary bytes per address (id 0 not counted); 0 when there are none.
    pub address_dictionary_bytes_per_address: f64,
    /// Transaction-hash bytes per record (not per transaction); 0 when there are no records.
    pub tx_hash_bytes_per_record: f64,
    /// Every file the manifest lists, data files then indexes, each in name order.
    pub files: Vec<FileStats>,
}

impl ChainReader {
    pub(crate) fn open(dir: &Path) -> Result<ChainReader, StoreError> {
        let manifest: ChainManifest = read_json(&dir.join(CHAIN_MANIFEST))?;
        if manifest.indexed_records != manifest.records() || manifest.indexes.is_empty() {
            return Err(StoreError::StaleIndex {
                chain: manifest.chain,
            });
        }
        let segment_bytes = manifest.segment_bytes;
        let mut files = HashMap::new();
        for &name in schema::columns(manifest.model) {
            files.insert(
                name,
                MappedFile::open(&dir.join(name), &manifest.file(name), segment_bytes)?,
            );
        }
        for name in manifest.indexes.keys() {
            let Some(&known) = col::INDEXES.iter().find(|k| **k == name) else {
                continue;
            };
            files.insert(
                known,
                MappedFile::open(&dir.join(known), &manifest.index(known), segment_bytes)?,
            );
        }
        check_null_data_end(dir, &files)?;
        let mut assets: BTreeMap<u32, Asset> = BTreeMap::new();
        let assets_file = &files[col::ASSETS];
        assets_file.verify_all()?;
        for (line_no, line) in assets_file.bytes().split(|&b| b == b'\n').enumerate() {
            if line.is_empty() {
                continue;
            }
            let entry: AssetEntry =
                serde_json::from_slice(line).map_err(|e| StoreError::Corrupt {
                    file: dir.join(col::ASSETS),
                    reason: format!("line {}: {e}", line_no + 1),
                })?;
            assets.insert(entry.id, entry.asset);
        }
        Ok(ChainReader {
            dir: dir.to_path_buf(),
            manifest,
            files,
            damage: DamageLatch::default(),
            assets: assets.into_values().collect(),
            address_ids: OnceLock::new(),
            tx_ids: OnceLock::new(),
            effective_times: OnceLock::new(),
        })
    }

    /// The chain this reader reads.
    pub fn chain(&self) -> Chain {
        self.manifest.chain
    }

    /// The chain's value-flow model: which record tables it has.
    pub fn model(&self) -> ChainModel {
        self.manifest.model
    }

    /// The chain's directory, `<store>/chains/<chain>`.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `Ok` while every segment read so far was intact; else the damage met first, naming the
    /// file and its byte range. Reads from a damaged segment return nothing, so every operation
    /// over the store checks this before it answers.
    pub fn ensure_intact(&self) -> Result<(), StoreError> {
        self.damage.check()
    }

    /// A column, verified as it is read.
    fn column<T: bytemuck::Pod>(&self, name: &str) -> Column<'_, T> {
        Column::new(self.files.get(name), &self.damage)
    }

    /// Values in a column, without reading it.
    fn count<T: bytemuck::Pod>(&self, name: &str) -> usize {
        self.files.get(name).map_or(0, |f| f.as_slice::<T>().len())
    }

    /// A whole column that is small (per block), verified.
    fn small<T: bytemuck::Pod>(&self, name: &str) -> &[T] {
        self.column(name).range(0..usize::MAX)
    }

    // ---- blocks and transactions ----

    /// The number of blocks stored; block indexes (not heights) run `0..block_count()`.
    pub fn block_count(&self) -> usize {
        self.count::<u64>(col::BLOCK_HEIGHT)
    }

    /// Height and header timestamp of block `index` (an index into the blocks table, not a height);
    /// zeros out of range or when damaged.
    pub fn block(&self, index: usize) -> BlockRef {
        BlockRef {
            height: self
                .column::<u64>(col::BLOCK_HEIGHT)
                .get(index)
                .unwrap_or(0),
            timestamp: self
                .column::<u64>(col::BLOCK_TIMESTAMP)
                .get(index)
                .unwrap_or(0),
        }
    }

    /// The time by which events of block `index` are ordered: the latest block timestamp up to
    /// and including it (a running maximum). Block timestamps need not increase — a Bitcoin
    /// block may carry an earlier time than its parent — but effective times never decrease
    /// along the chain, so ordering by them keeps every block after its parent, and a time
    /// cutoff (`effective time <= until`) is a prefix of the chain. `0` for an index out of
    /// range.
    pub fn block_effective_time(&self, index: usize) -> u64 {
        let times = self.small::<u64>(col::BLOCK_TIMESTAMP);
        let table = self.effective_times.get_or_init(|| {
            // Chains whose timestamps already increase (every EVM chain) keep no table.
            if times.is_sorted() {
                return None;
            }
            let mut latest = 0;
            Some(
                times
                    .iter()
                    .map(|&t| {
                        latest = latest.max(t);
                        latest
                    })
                    .collect(),
            )
        });
        match table {
            Some(table) => table.get(index).copied().unwrap_or(0),
            None => times.get(index).copied().unwrap_or(0),
        }
    }

    /// [`Self::block_effective_time`] of the block holding transaction `tx`.
    pub fn tx_effective_time(&self, tx: TxId) -> u64 {
        self.block_effective_time(self.tx_block_index(tx))
    }

    /// [`Self::block_effective_time`] of the block holding transfer `row` (account chains).
    pub fn transfer_effective_time(&self, row: u64) -> u64 {
        let framing = self.transfer_framing();
        self.block_effective_time(framing.block_of_tx(framing.tx_of_row(row)))
    }

    /// The number of transactions stored: tx ids run `0..tx_count()`.
    pub fn tx_count(&self) -> u64 {
        self.count::<[u8; 32]>(col::TX_HASH) as u64
    }

    /// The hash of transaction `tx`; all zeros out of range or when damaged.
    pub fn tx_hash(&self, tx: TxId) -> TxHash {
        TxHash(
            usize::try_from(tx)
                .ok()
                .and_then(|tx| self.column::<[u8; 32]>(col::TX_HASH).get(tx))
                .unwrap_or_default(),
        )
    }

    /// The wallet fingerprint of transaction `tx` (UTXO chains): nVersion, nLockTime and
    /// replace-by-fee signalling; `None` when the source gave none, out of range or when damaged.
    pub fn tx_fingerprint(&self, tx: TxId) -> Option<TxFingerprint> {
        let tx = usize::try_from(tx).ok()?;
        let bytes = self
            .column::<[u8; FINGERPRINT_BYTES]>(col::TX_FINGERPRINT)
            .get(tx)?;
        unpack_fingerprint(bytes)
    }

    /// The id of the transaction with this hash (the first, should several share it).
    pub fn tx_id(&self, hash: &TxHash) -> Option<TxId> {
        let same = |id: TxId| self.tx_hash(id) == *hash;
        let at = lookup::tx_hash_hash(&hash.0);
        if self.files.contains_key(col::IDX_TX_LOOKUP) {
            return lookup::find::<u32>(self.column(col::IDX_TX_LOOKUP), at, same);
        }
        if self.files.contains_key(col::IDX_TX_LOOKUP_WIDE) {
            return lookup::find::<u64>(self.column(col::IDX_TX_LOOKUP_WIDE), at, same);
        }
        // A store indexed before the lookups existed: a map of every hash, built once.
        self.tx_ids
            .get_or_init(|| {
                let hashes = self.column::<[u8; 32]>(col::TX_HASH).range(0..usize::MAX);
                let mut ids = HashMap::with_capacity(hashes.len());
                for (id, hash) in hashes.iter().enumerate() {
                    ids.entry(*hash).or_insert(id as TxId);
                }
                ids
            })
            .get(&hash.0)
            .copied()
    }

    fn framing(&self, first: &'static str, offset: &'static str, records: u64) -> Framing<'_> {
        Framing {
            block_first_tx: self.small(col::BLOCK_FIRST_TX),
            block_first_record: self.small(first),
            tx_offset: self.column(offset),
            records,
        }
    }

    fn transfer_framing(&self) -> Framing<'_> {
        self.framing(
            col::BLOCK_FIRST_TRANSFER,
            col::TX_TRANSFER_OFFSET,
            self.transfer_count(),
        )
    }

    fn input_framing(&self) -> Framing<'_> {
        self.framing(
            col::BLOCK_FIRST_INPUT,
            col::TX_INPUT_OFFSET,
            self.input_count(),
        )
    }

    fn output_framing(&self) -> Framing<'_> {
        self.framing(
            col::BLOCK_FIRST_OUTPUT,
            col::TX_OUTPUT_OFFSET,
            self.output_count(),
        )
    }

    /// Height and header timestamp of the block holding transaction `tx` (for an id past the end,
    /// the last block).
    pub fn tx_block(&self, tx: TxId) -> BlockRef {
        self.block(self.tx_block_index(tx))
    }

    /// Ids of the transactions of block `index` (an index into the blocks table), in order;
    /// empty out of range.
    pub fn block_txs(&self, index: usize) -> std::ops::Range<TxId> {
        let firsts = self.small::<u64>(col::BLOCK_FIRST_TX);
        let end_of_chain = self.tx_count();
        let start = firsts.get(index).copied().unwrap_or(end_of_chain);
        let end = firsts.get(index + 1).copied().unwrap_or(end_of_chain);
        start..end.max(start)
    }

    /// The index (into the blocks table) of the block holding transaction `tx`.
    fn tx_block_index(&self, tx: TxId) -> usize {
        self.small::<u64>(col::BLOCK_FIRST_TX)
            .partition_point(|&f| f <= tx)
            .saturating_sub(1)
    }

    // ---- addresses and assets ----

    /// Number of address ids, including the reserved id 0.
    pub fn address_count(&self) -> usize {
        self.count::<u64>(col::ADDRESS_ENDS)
    }

    /// The address with this id; `None` for the reserved id 0 and for ids out of range.
    pub fn address(&self, id: u32) -> Option<Address> {
        if id == NO_ADDRESS {
            return None;
        }
        Address::from_key(self.chain(), self.address_key(id)?).ok()
    }

    /// The key of address `id` in the dictionary (`None` when damaged or out of range).
    fn address_key(&self, id: u32) -> Option<&[u8]> {
        let id = id as usize;
        let ends = self.column::<u64>(col::ADDRESS_ENDS);
        let end = usize::try_from(ends.get(id)?).ok()?;
        let start = match id.checked_sub(1) {
            Some(prev) => usize::try_from(ends.get(prev)?).ok()?,
            None => 0,
        };
        let key = self.column::<u8>(col::ADDRESS_KEYS).range(start..end);
        (start <= end && key.len() == end - start).then_some(key)
    }

    /// The id of `address` on this chain; `None` when the chain never saw it. Through
    /// `index.address_lookup`, or, for a store indexed before that existed, a map of every key
    /// built on the first call.
    pub fn address_id(&self, address: &Address) -> Option<u32> {
        let key = address.to_key();
        if self.files.contains_key(col::IDX_ADDRESS_LOOKUP) {
            let same = |id: u64| self.address_key(id as u32) == Some(key.as_slice());
            return lookup::find::<u32>(
                self.column(col::IDX_ADDRESS_LOOKUP),
                lookup::key_hash(&key),
                same,
            )
            .map(|id| id as u32)
            .filter(|&id| id != NO_ADDRESS);
        }
        // A store indexed before the lookups existed: a map of every key, built once.
        self.address_ids
            .get_or_init(|| {
                let ends = self.column::<u64>(col::ADDRESS_ENDS).range(0..usize::MAX);
                let keys = self.column::<u8>(col::ADDRESS_KEYS).range(0..usize::MAX);
                let mut ids = HashMap::with_capacity(ends.len());
                let mut start = 0usize;
                for (id, &end) in ends.iter().enumerate() {
                    let end = end as usize;
                    if let Some(key) = keys.get(start..end) {
                        ids.insert(Box::<[u8]>::from(key), id as u32);
                    }
                    start = end;
                }
                ids
            })
            .get(key.as_slice())
            .copied()
            .filter(|&id| id != NO_ADDRESS)
    }

    /// Every asset of the chain as last registered, in id order (the position is the id).
    pub fn assets(&self) -> &[Asset] {
        &self.assets
    }

    /// The commits this chain can be rolled back to, oldest first, with the cursors each
    /// committed (a follower's cursor holds the hash of the block it applied).
    pub fn checkpoints(&self) -> impl DoubleEndedIterator<Item = &Checkpoint> + ExactSizeIterator {
        self.manifest.checkpoints.iter()
    }

    /// Metadata of asset `id` (0 = the native coin); `None` when there is no such id.
    pub fn asset(&self, id: u32) -> Option<&Asset> {
        self.assets.get(id as usize)
    }

    // ---- account chains ----

    /// The number of transfers (0 on UTXO chains): rows run `0..transfer_count()`.
    pub fn transfer_count(&self) -> u64 {
        self.count::<u32>(col::TRANSFER_FROM) as u64
    }

    /// The transfer columns, for row-by-row reads or whole-column scans.
    pub fn transfer_columns(&self) -> TransferColumns<'_> {
        TransferColumns {
            from: self.column(col::TRANSFER_FROM),
            to: self.column(col::TRANSFER_TO),
            meta: self.column(col::TRANSFER_META),
            amount: self.column(col::TRANSFER_AMOUNT),
        }
    }

    /// The amount of transfer `row`, resolving amounts that overflow the u64 column.
    pub fn transfer_amount(&self, row: u64) -> Amount {
        let small = self.column::<u64>(col::TRANSFER_AMOUNT).at(row);
        match small {
            schema::AMOUNT_OVERFLOW => {
                let table = self.column::<OverflowAmount>(col::AMOUNT_OVERFLOW);
                match find_by_row(table, row, |o| o.row) {
                    Some(o) => Amount::from_u128(u128::from_le_bytes(o.value_le)),
                    None => self.missing_amount(col::AMOUNT_OVERFLOW, row),
                }
            }
            schema::AMOUNT_WIDE => {
                let table = self.column::<WideAmount>(col::AMOUNT_WIDE);
                match find_by_row(table, row, |o| o.row) {
                    Some(o) => Amount::from_be_bytes(o.value_be),
                    None => self.missing_amount(col::AMOUNT_WIDE, row),
                }
            }
            _ => Amount::from_u64(small),
        }
    }

    /// A transfer marked as holding its amount in `table` that has no entry there: the marker is
    /// not an amount, so the read counts as damage (reported by [`ChainReader::ensure_intact`])
    /// and reads zero rather than 2^64 − 1 wei.
    fn missing_amount(&self, table: &str, row: u64) -> Amount {
        self.damage.record(StoreError::Corrupt {
            file: self.dir.join(table),
            reason: format!(
                "transfer row {row} is marked as holding its amount in {table}, which has no \
                 entry for it; run `chaintrail verify-store` and re-import the affected range"
            ),
        });
        Amount::ZERO
    }

    /// Transfer `row` with its transaction, position, block, asset and amount resolved; `None` out
    /// of range or when damaged.
    pub fn transfer(&self, row: u64) -> Option<TransferView> {
        let columns = self.transfer_columns();
        let i = usize::try_from(row).ok()?;
        let (asset, kind, success) = schema::unpack_meta(columns.meta.get(i)?);
        let framing = self.transfer_framing();
        let tx = framing.tx_of_row(row);
        Some(TransferView {
            row,
            tx,
            position: (row.saturating_sub(framing.start(tx))) as u32,
            block: self.block(framing.block_of_tx(tx)),
            from: columns.from.get(i)?,
            to: columns.to.get(i)?,
            asset,
            amount: self.transfer_amount(row),
            kind,
            success,
        })
    }

    /// Rows of the transfers of transaction `tx`, in order.
    pub fn tx_transfers(&self, tx: TxId) -> std::ops::Range<u64> {
        self.transfer_framing().range(tx)
    }

    fn adjacency(&self, offsets: &str, adj: &str, node: u32) -> DeltaList<'_> {
        let node = node as usize;
        let bounds = self.column::<u64>(offsets).range(node..node + 2);
        let list = match bounds {
            [start, end] => match (usize::try_from(*start), usize::try_from(*end)) {
                (Ok(start), Ok(end)) if start <= end => {
                    let list = self.column::<u8>(adj).range(start..end);
                    if list.len() == end - start { list } else { &[] }
                }
                _ => &[],
            },
            _ => &[],
        };
        DeltaList::new(list)
    }

    /// Transfer rows sent by an address, in time order (account chains).
    pub fn outgoing(&self, address: u32) -> DeltaList<'_> {
        self.adjacency(col::IDX_OUT_OFFSETS, col::IDX_OUT_ADJ, address)
    }

    /// Transfer rows received by an address (account chains), or output rows paying it (UTXO
    /// chains), in time order.
    pub fn incoming(&self, address: u32) -> DeltaList<'_> {
        self.adjacency(col::IDX_IN_OFFSETS, col::IDX_IN_ADJ, address)
    }

    // ---- UTXO chains ----

    /// The number of inputs (0 on account chains): rows run `0..input_count()`.
    pub fn input_count(&self) -> u64 {
        self.count::<u64>(col::INPUT_SPENT) as u64
    }

    /// The number of outputs (0 on account chains): rows run `0..output_count()`.
    pub fn output_count(&self) -> u64 {
        self.count::<u64>(col::OUTPUT_VALUE) as u64
    }

    /// The value of output `row` (satoshi); `None` out of range or damaged.
    pub fn output_value(&self, row: u64) -> Option<u64> {
        self.column::<u64>(col::OUTPUT_VALUE)
            .get(usize::try_from(row).ok()?)
    }

    /// Every output value, verified: for scans and totals.
    pub fn output_values(&self) -> Result<&[u64], StoreError> {
        self.column::<u64>(col::OUTPUT_VALUE).all()
    }

    /// The input and output columns.
    pub fn utxo_columns(&self) -> UtxoColumns<'_> {
        UtxoColumns {
            output_value: self.column(col::OUTPUT_VALUE),
            output_address: self.column(col::OUTPUT_ADDRESS),
            input_spent: self.column(col::INPUT_SPENT),
        }
    }

    /// Rows of the inputs of transaction `tx`, in order (UTXO chains).
    pub fn tx_inputs(&self, tx: TxId) -> std::ops::Range<u64> {
        self.input_framing().range(tx)
    }

    /// Rows of the outputs of transaction `tx`, in vout order (UTXO chains).
    pub fn tx_outputs(&self, tx: TxId) -> std::ops::Range<u64> {
        self.output_framing().range(tx)
    }

    /// The transaction spending output `row`, from whichever spent-by index the chain has.
    fn spent_by(&self, row: usize) -> Option<TxId> {
        if self.files.contains_key(col::IDX_SPENT_BY_WIDE) {
            self.column::<u64>(col::IDX_SPENT_BY_WIDE)
                .get(row)
                .filter(|&t| t != schema::UNSPENT_WIDE)
        } else {
            self.column::<u32>(col::IDX_SPENT_BY)
                .get(row)
                .filter(|&t| t != schema::UNSPENT)
                .map(TxId::from)
        }
    }

    /// Value, address and spender of output `row`, without finding its transaction (a binary
    /// search over blocks and transactions that [`Self::output`] pays); `None` out of range or
    /// when damaged.
    pub fn output_funds(&self, row: u64) -> Option<OutputFunds> {
        let i = usize::try_from(row).ok()?;
        Some(OutputFunds {
            value: self.column::<u64>(col::OUTPUT_VALUE).get(i)?,
            address: self.column::<u32>(col::OUTPUT_ADDRESS).get(i)?,
            spent_by: self.spent_by(i),
        })
    }

    /// The transaction that created output `row`.
    pub fn output_tx(&self, row: u64) -> TxId {
        self.output_framing().tx_of_row(row)
    }

    /// Output `row` with its transaction, vout and spender; `None` out of range or when damaged.
    pub fn output(&self, row: u64) -> Option<OutputView> {
        let funds = self.output_funds(row)?;
        let framing = self.output_framing();
        let tx = framing.tx_of_row(row);
        Some(OutputView {
            row,
            tx,
            vout: row.saturating_sub(framing.start(tx)) as u32,
            value: funds.value,
            address: funds.address,
            spent_by: funds.spent_by,
        })
    }

    /// What input `row` spends, without finding its own transaction or the spent output's
    /// (the searches [`Self::input`] pays); `None` out of range or when damaged.
    pub fn input_source(&self, row: u64) -> Option<InputSource> {
        let i = usize::try_from(row).ok()?;
        Some(match self.column::<u64>(col::INPUT_SPENT).get(i)? {
            schema::INPUT_COINBASE => InputSource::Coinbase,
            schema::INPUT_UNLINKED => {
                let unlinked = self.column::<UnlinkedInput>(col::INPUT_UNLINKED);
                let u = find_by_row(unlinked, row, |u| u.row);
                InputSource::Unlinked {
                    value: u.filter(|u| u.has_value != 0).map(|u| u.value),
                    address: u.map(|u| u.address).filter(|&a| a != NO_ADDRESS),
                    prevout: u.map(|u| OutPoint {
                        tx: TxHash(u.prev_tx),
                        vout: u.vout,
                    }),
                }
            }
            output_row => InputSource::Output(output_row),
        })
    }

    /// Input `row` with the output it spends resolved; `None` out of range or when damaged
    /// (its own row or the linked output's).
    pub fn input(&self, row: u64) -> Option<InputView> {
        let source = self.input_source(row)?;
        let mut view = InputView {
            row,
            tx: self.input_framing().tx_of_row(row),
            coinbase: source == InputSource::Coinbase,
            spent_output: None,
            prevout: None,
            value: None,
            address: None,
        };
        match source {
            InputSource::Coinbase => {}
            InputSource::Unlinked {
                value,
                address,
                prevout,
            } => {
                view.prevout = prevout;
                view.value = value;
                view.address = address;
            }
            InputSource::Output(output_row) => {
                let output = self.output(output_row)?;
                view.spent_output = Some(output_row);
                view.prevout = Some(OutPoint {
                    tx: self.tx_hash(output.tx),
                    vout: output.vout,
                });
                view.value = Some(output.value);
                view.address = Some(output.address);
            }
        }
        Some(view)
    }

    /// The payloads of OP_RETURN outputs as (output row, payload), in row order. A store written
    /// before payloads were kept has none.
    pub fn null_data(&self) -> impl Iterator<Item = (u64, &[u8])> + '_ {
        self.null_data_from(0)
    }

    /// The payloads of OP_RETURN outputs from output row `first` on, as [`Self::null_data`]
    /// gives them: what the blocks appended since an output count added.
    pub fn null_data_from(&self, first: u64) -> impl Iterator<Item = (u64, &[u8])> + '_ {
        let entries = self.column::<NullDataEntry>(col::NULL_DATA_ROWS);
        let start = partition_by_row(entries, first, |e| e.row);
        (start..entries.len()).filter_map(move |i| {
            let entry = entries.get(i)?;
            Some((entry.row, self.null_data_at(i)))
        })
    }

    /// The payload of output `row` when it is an OP_RETURN output with one stored.
    pub fn output_data(&self, row: u64) -> Option<&[u8]> {
        let entries = self.column::<NullDataEntry>(col::NULL_DATA_ROWS);
        let at = partition_by_row(entries, row, |e| e.row);
        entries
            .get(at)
            .filter(|e| e.row == row)
            .map(|_| self.null_data_at(at))
    }

    /// Payload `i` of `null_data.bytes`: from the previous entry's end to its own.
    fn null_data_at(&self, i: usize) -> &[u8] {
        let entries = self.column::<NullDataEntry>(col::NULL_DATA_ROWS);
        let end = entries.get(i).map_or(0, |e| e.end);
        let start = i
            .checked_sub(1)
            .and_then(|prev| entries.get(prev))
            .map_or(0, |e| e.end);
        match (usize::try_from(start), usize::try_from(end)) {
            (Ok(start), Ok(end)) if start <= end => {
                let bytes = self.column::<u8>(col::NULL_DATA_BYTES).range(start..end);
                if bytes.len() == end - start {
                    bytes
                } else {
                    &[]
                }
            }
            _ => &[],
        }
    }

    /// Σ inputs − Σ outputs; `None` for coinbase transactions and when an input's value is unknown.
    pub fn tx_fee(&self, tx: TxId) -> Option<u64> {
        let mut total_in: u64 = 0;
        for row in self.tx_inputs(tx) {
            let input = self.input(row)?;
            if input.coinbase {
                return None;
            }
            total_in = total_in.checked_add(input.value?)?;
        }
        let mut total_out: u64 = 0;
        for row in self.tx_outputs(tx) {
            total_out = total_out.checked_add(self.output_value(row)?)?;
        }
        total_in.checked_sub(total_out)
    }

    // ---- integrity and stats ----

    /// Where the chain's content ends: what [`Self::extends`] compares a later reader with.
    pub fn extent(&self) -> Extent {
        let txs = self.tx_count();
        Extent {
            txs,
            records: self.transfer_count() + self.input_count() + self.output_count(),
            last_tx: txs.checked_sub(1).map(|last| self.tx_hash(last)),
        }
    }

    /// Whether this chain holds everything `earlier` covered, in the same order (the same last
    /// transaction at the same position), with or without blocks appended: false after a
    /// rollback past it. The records from `earlier.records` on are the appended ones.
    pub fn extends(&self, earlier: &Extent) -> bool {
        let now = self.extent();
        now.txs >= earlier.txs
            && now.records >= earlier.records
            && earlier.txs.checked_sub(1).map(|last| self.tx_hash(last)) == earlier.last_tx
    }

    /// A digest of all committed content (the manifest's per-file checksums, in order). Two stores
    /// with identical rows have identical digests.
    pub fn content_checksum(&self) -> u32 {
        let mut hasher = crc32fast::Hasher::new();
        for (name, state) in &self.manifest.files {
            hasher.update(name.as_bytes());
            hasher.update(&state.bytes.to_le_bytes());
            hasher.update(&state.crc32.to_le_bytes());
        }
        hasher.finalize()
    }

    /// Counts and committed bytes per file and group, from the manifest and the column lengths:
    /// reads no record.
    pub fn stats(&self) -> ChainStats {
        let mut bytes = GroupBytes::default();
        let mut files = Vec::new();
        let all = self
            .manifest
            .files
            .iter()
            .chain(self.manifest.indexes.iter());
        for (name, state) in all {
            let slot = match schema::group_of(name) {
                FileGroup::Records => &mut bytes.records,
                FileGroup::Adjacency => &mut bytes.adjacency,
                FileGroup::Lookups => &mut bytes.lookups,
                FileGroup::AddressDictionary => &mut bytes.address_dictionary,
                FileGroup::TxHashes => &mut bytes.tx_hashes,
                FileGroup::Assets => &mut bytes.assets,
                FileGroup::NullData => &mut bytes.null_data,
            };
            *slot += state.bytes;
            files.push(FileStats {
                name: name.clone(),
                bytes: state.bytes,
            });
        }
        let (transfers, inputs, outputs) = (
            self.transfer_count(),
            self.input_count(),
            self.output_count(),
        );
        let records = transfers + inputs + outputs;
        let per = |b: u64, n: u64| if n == 0 { 0.0 } else { b as f64 / n as f64 };
        let addresses = self.address_count().saturating_sub(1) as u64;
        ChainStats {
            chain: self.chain(),
            model: self.model(),
            blocks: self.block_count() as u64,
            txs: self.tx_count(),
            records,
            transfers,
            inputs,
            outputs,
            addresses,
            assets: self.assets.len() as u64,
            overflow_amounts: (self.count::<OverflowAmount>(col::AMOUNT_OVERFLOW)
                + self.count::<WideAmount>(col::AMOUNT_WIDE)) as u64,
            unlinked_inputs: self.count::<UnlinkedInput>(col::INPUT_UNLINKED) as u64,
            duplicate_txs_skipped: self.manifest.duplicate_txs_skipped,
            bytes_per_record: per(bytes.records, records),
            adjacency_bytes_per_record: per(bytes.adjacency, records),
            address_dictionary_bytes_per_address: per(bytes.address_dictionary, addresses),
            tx_hash_bytes_per_record: per(bytes.tx_hashes, records),
            bytes,
            files,
        }
    }
}

/// The position of the first entry of a row-sorted table whose row is at least `row`, reading
/// only the entries the binary search probes.
fn partition_by_row<T: bytemuck::Pod>(
    table: Column<'_, T>,
    row: u64,
    row_of: impl Fn(&T) -> u64,
) -> usize {
    let (mut low, mut high) = (0, table.len());
    while low < high {
        let mid = low + (high - low) / 2;
        match table.get(mid) {
            Some(entry) if row_of(&entry) < row => low = mid + 1,
            Some(_) => high = mid,
            // Damaged: recorded in the latch; stop searching.
            None => return table.len(),
        }
    }
    low
}

/// The entry of a row-sorted table for `row`, if any.
fn find_by_row<T: bytemuck::Pod>(
    table: Column<'_, T>,
    row: u64,
    row_of: impl Fn(&T) -> u64,
) -> Option<T> {
    table
        .get(partition_by_row(table, row, &row_of))
        .filter(|entry| row_of(entry) == row)
}

/// The payload index must end where `null_data.bytes` ends (checked at open, from its last
/// entry); the rest of its invariants are checked by [`crate::verify`].
fn check_null_data_end(
    dir: &Path,
    files: &HashMap<&'static str, MappedFile>,
) -> Result<(), StoreError> {
    let (Some(entries), Some(bytes)) = (
        files.get(col::NULL_DATA_ROWS),
        files.get(col::NULL_DATA_BYTES),
    ) else {
        return Ok(());
    };
    let count = entries.as_slice::<NullDataEntry>().len();
    let last = entries.checked::<NullDataEntry>(count.saturating_sub(1)..count)?;
    let last_end = last.first().map_or(0, |e| e.end);
    let stored = bytes.bytes().len() as u64;
    if last_end != stored {
        return Err(StoreError::Corrupt {
            file: dir.join(col::NULL_DATA_ROWS),
            reason: format!("payloads end at byte {last_end}, but null_data.bytes holds {stored}"),
        });
    }
    Ok(())
}
