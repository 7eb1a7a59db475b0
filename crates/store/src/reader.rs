use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use chaintrail_core::{
    Address, Amount, Asset, BlockRef, Chain, ChainModel, OutPoint, TransferKind, TxHash,
};
use serde::Serialize;

use crate::error::StoreError;
use crate::files::MappedFile;
use crate::manifest::{CHAIN_MANIFEST, ChainManifest, read_json};
use crate::schema::{
    self, AssetEntry, DeltaList, FileGroup, Framing, NO_ADDRESS, NullDataEntry, OverflowAmount,
    UnlinkedInput, WideAmount, col,
};

/// Read access to one chain. Every file is verified against the manifest's checksum when the
/// reader opens; lookups by address or hash build their hash maps on first use.
pub struct ChainReader {
    dir: PathBuf,
    manifest: ChainManifest,
    files: HashMap<&'static str, MappedFile>,
    assets: Vec<Asset>,
    address_ids: OnceLock<HashMap<Box<[u8]>, u32>>,
    tx_ids: OnceLock<HashMap<[u8; 32], u32>>,
    /// Effective block times ([`ChainReader::block_effective_time`]), kept only when the chain's
    /// timestamps are not already in order (`None` then: each block's own time is its effective
    /// time).
    effective_times: OnceLock<Option<Box<[u64]>>>,
}

/// One account transfer with everything resolved.
#[derive(Debug, Clone, Serialize)]
pub struct TransferView {
    pub row: u64,
    pub tx: u32,
    pub position: u32,
    pub block: BlockRef,
    pub from: u32,
    pub to: u32,
    pub asset: u32,
    pub amount: Amount,
    pub kind: TransferKind,
    pub success: bool,
}

/// One UTXO output.
#[derive(Debug, Clone, Serialize)]
pub struct OutputView {
    pub row: u64,
    pub tx: u32,
    pub vout: u32,
    pub value: u64,
    pub address: u32,
    pub spent_by: Option<u32>,
}

/// One UTXO input: the output it spends when linked, or what the source said when not.
#[derive(Debug, Clone, Serialize)]
pub struct InputView {
    pub row: u64,
    pub tx: u32,
    pub coinbase: bool,
    pub spent_output: Option<u64>,
    pub prevout: Option<OutPoint>,
    pub value: Option<u64>,
    pub address: Option<u32>,
}

/// The raw transfer columns, for scans.
pub struct TransferColumns<'a> {
    pub from: &'a [u32],
    pub to: &'a [u32],
    pub meta: &'a [u32],
    pub amount: &'a [u64],
}

/// The raw UTXO columns, for scans. `input_spent` holds output rows or the
/// [`schema::INPUT_COINBASE`] / [`schema::INPUT_UNLINKED`] markers.
pub struct UtxoColumns<'a> {
    pub output_value: &'a [u64],
    pub output_address: &'a [u32],
    pub input_spent: &'a [u64],
}

#[derive(Debug, Clone, Serialize)]
pub struct FileStats {
    pub name: String,
    pub bytes: u64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct GroupBytes {
    /// Value-flow records with their block/tx framing (what the density target counts).
    pub records: u64,
    /// Adjacency and spent-by indexes.
    pub adjacency: u64,
    pub address_dictionary: u64,
    pub tx_hashes: u64,
    pub assets: u64,
    /// OP_RETURN payloads and their row index (UTXO chains).
    pub null_data: u64,
}

/// What `chaintrail stats` reports for a chain.
#[derive(Debug, Clone, Serialize)]
pub struct ChainStats {
    pub chain: Chain,
    pub model: ChainModel,
    pub blocks: u64,
    pub txs: u64,
    /// Transfers (account chains) or inputs + outputs (UTXO chains).
    pub records: u64,
    pub transfers: u64,
    pub inputs: u64,
    pub outputs: u64,
    /// Addresses, not counting the reserved id 0 ("no address").
    pub addresses: u64,
    pub assets: u64,
    pub overflow_amounts: u64,
    pub unlinked_inputs: u64,
    pub duplicate_txs_skipped: u64,
    pub bytes: GroupBytes,
    pub bytes_per_record: f64,
    pub adjacency_bytes_per_record: f64,
    pub address_dictionary_bytes_per_address: f64,
    pub tx_hash_bytes_per_record: f64,
    pub files: Vec<FileStats>,
}

impl ChainReader {
    pub(crate) fn open(dir: &Path) -> Result<ChainReader, StoreError> {
        let manifest: ChainManifest = read_json(&dir.join(CHAIN_MANIFEST))?;
        let records = match manifest.model {
            ChainModel::Account => manifest.file(col::TRANSFER_FROM).bytes / 4,
            ChainModel::Utxo => {
                manifest.file(col::INPUT_SPENT).bytes / 8
                    + manifest.file(col::OUTPUT_VALUE).bytes / 8
            }
        };
        if manifest.indexed_records != records || manifest.indexes.is_empty() {
            return Err(StoreError::StaleIndex {
                chain: manifest.chain,
            });
        }
        let mut files = HashMap::new();
        for &name in schema::columns(manifest.model) {
            files.insert(
                name,
                MappedFile::open(&dir.join(name), manifest.file(name))?,
            );
        }
        for name in manifest.indexes.keys() {
            let Some(&known) = [
                col::IDX_IN_ADJ,
                col::IDX_IN_OFFSETS,
                col::IDX_OUT_ADJ,
                col::IDX_OUT_OFFSETS,
                col::IDX_SPENT_BY,
            ]
            .iter()
            .find(|k| **k == name) else {
                continue;
            };
            files.insert(
                known,
                MappedFile::open(&dir.join(known), manifest.index(known))?,
            );
        }
        check_null_data(dir, &files, manifest.file(col::OUTPUT_VALUE).bytes / 8)?;
        let mut assets: BTreeMap<u32, Asset> = BTreeMap::new();
        let assets_file = &files[col::ASSETS];
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
            assets: assets.into_values().collect(),
            address_ids: OnceLock::new(),
            tx_ids: OnceLock::new(),
            effective_times: OnceLock::new(),
        })
    }

    pub fn chain(&self) -> Chain {
        self.manifest.chain
    }

    pub fn model(&self) -> ChainModel {
        self.manifest.model
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn col<T: bytemuck::Pod>(&self, name: &str) -> &[T] {
        self.files.get(name).map_or(&[], |f| f.as_slice::<T>())
    }

    // ---- blocks and transactions ----

    pub fn block_count(&self) -> usize {
        self.col::<u64>(col::BLOCK_HEIGHT).len()
    }

    pub fn block(&self, index: usize) -> BlockRef {
        BlockRef {
            height: self
                .col::<u64>(col::BLOCK_HEIGHT)
                .get(index)
                .copied()
                .unwrap_or(0),
            timestamp: self
                .col::<u64>(col::BLOCK_TIMESTAMP)
                .get(index)
                .copied()
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
        let times = self.col::<u64>(col::BLOCK_TIMESTAMP);
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
    pub fn tx_effective_time(&self, tx: u32) -> u64 {
        self.block_effective_time(self.tx_block_index(tx))
    }

    /// [`Self::block_effective_time`] of the block holding transfer `row` (account chains).
    pub fn transfer_effective_time(&self, row: u64) -> u64 {
        let framing = self.transfer_framing();
        self.block_effective_time(framing.block_of_tx(framing.tx_of_row(row)))
    }

    pub fn tx_count(&self) -> usize {
        self.col::<[u8; 32]>(col::TX_HASH).len()
    }

    pub fn tx_hash(&self, tx: u32) -> TxHash {
        TxHash(
            self.col::<[u8; 32]>(col::TX_HASH)
                .get(tx as usize)
                .copied()
                .unwrap_or_default(),
        )
    }

    pub fn tx_id(&self, hash: &TxHash) -> Option<u32> {
        self.tx_ids
            .get_or_init(|| {
                let hashes = self.col::<[u8; 32]>(col::TX_HASH);
                let mut ids = HashMap::with_capacity(hashes.len());
                for (id, hash) in hashes.iter().enumerate() {
                    ids.entry(*hash).or_insert(id as u32);
                }
                ids
            })
            .get(&hash.0)
            .copied()
    }

    fn framing(&self, first: &'static str, offset: &'static str, records: u64) -> Framing<'_> {
        Framing {
            block_first_tx: self.col(col::BLOCK_FIRST_TX),
            block_first_record: self.col(first),
            tx_offset: self.col(offset),
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

    pub fn tx_block(&self, tx: u32) -> BlockRef {
        self.block(self.tx_block_index(tx))
    }

    /// The index (into the blocks table) of the block holding transaction `tx`.
    fn tx_block_index(&self, tx: u32) -> usize {
        self.col::<u64>(col::BLOCK_FIRST_TX)
            .partition_point(|&f| f <= u64::from(tx))
            .saturating_sub(1)
    }

    // ---- addresses and assets ----

    /// Number of address ids, including the reserved id 0.
    pub fn address_count(&self) -> usize {
        self.col::<u64>(col::ADDRESS_ENDS).len()
    }

    /// The address with this id; `None` for the reserved id 0 and for ids out of range.
    pub fn address(&self, id: u32) -> Option<Address> {
        if id == NO_ADDRESS {
            return None;
        }
        let ends = self.col::<u64>(col::ADDRESS_ENDS);
        let end = *ends.get(id as usize)? as usize;
        let start = ends.get(id as usize - 1).map_or(0, |&s| s as usize);
        let key = self.files[col::ADDRESS_KEYS].bytes().get(start..end)?;
        Address::from_key(self.chain(), key).ok()
    }

    pub fn address_id(&self, address: &Address) -> Option<u32> {
        self.address_ids
            .get_or_init(|| {
                let ends = self.col::<u64>(col::ADDRESS_ENDS);
                let keys = self.files[col::ADDRESS_KEYS].bytes();
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
            .get(address.to_key().as_slice())
            .copied()
            .filter(|&id| id != NO_ADDRESS)
    }

    pub fn assets(&self) -> &[Asset] {
        &self.assets
    }

    pub fn asset(&self, id: u32) -> Option<&Asset> {
        self.assets.get(id as usize)
    }

    // ---- account chains ----

    pub fn transfer_count(&self) -> u64 {
        self.col::<u32>(col::TRANSFER_FROM).len() as u64
    }

    pub fn transfer_columns(&self) -> TransferColumns<'_> {
        TransferColumns {
            from: self.col(col::TRANSFER_FROM),
            to: self.col(col::TRANSFER_TO),
            meta: self.col(col::TRANSFER_META),
            amount: self.col(col::TRANSFER_AMOUNT),
        }
    }

    /// The amount of transfer `row`, resolving amounts that overflow the u64 column.
    pub fn transfer_amount(&self, row: u64) -> Amount {
        let small = self
            .col::<u64>(col::TRANSFER_AMOUNT)
            .get(row as usize)
            .copied()
            .unwrap_or(0);
        match small {
            schema::AMOUNT_OVERFLOW => {
                let table = self.col::<OverflowAmount>(col::AMOUNT_OVERFLOW);
                let at = table.partition_point(|o| o.row < row);
                match table.get(at) {
                    Some(o) if o.row == row => Amount::from_u128(u128::from_le_bytes(o.value_le)),
                    _ => Amount::from_u64(small),
                }
            }
            schema::AMOUNT_WIDE => {
                let table = self.col::<WideAmount>(col::AMOUNT_WIDE);
                let at = table.partition_point(|o| o.row < row);
                match table.get(at) {
                    Some(o) if o.row == row => Amount::from_be_bytes(o.value_be),
                    _ => Amount::from_u64(small),
                }
            }
            _ => Amount::from_u64(small),
        }
    }

    pub fn transfer(&self, row: u64) -> Option<TransferView> {
        let columns = self.transfer_columns();
        let i = usize::try_from(row).ok()?;
        let (asset, kind, success) = schema::unpack_meta(*columns.meta.get(i)?);
        let framing = self.transfer_framing();
        let tx = framing.tx_of_row(row);
        Some(TransferView {
            row,
            tx: tx as u32,
            position: (row - framing.start(tx)) as u32,
            block: self.block(framing.block_of_tx(tx)),
            from: columns.from[i],
            to: columns.to[i],
            asset,
            amount: self.transfer_amount(row),
            kind,
            success,
        })
    }

    /// Rows of the transfers of transaction `tx`, in order.
    pub fn tx_transfers(&self, tx: u32) -> std::ops::Range<u64> {
        self.transfer_framing().range(tx as usize)
    }

    fn adjacency(&self, offsets: &str, adj: &str, node: u32) -> DeltaList<'_> {
        let offsets = self.col::<u64>(offsets);
        let bytes = self.files.get(adj).map_or(&[][..], |f| f.bytes());
        let start = offsets.get(node as usize).copied().unwrap_or(0) as usize;
        let end = offsets.get(node as usize + 1).copied().unwrap_or(0) as usize;
        DeltaList::new(bytes.get(start..end).unwrap_or(&[]))
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

    pub fn input_count(&self) -> u64 {
        self.col::<u64>(col::INPUT_SPENT).len() as u64
    }

    pub fn output_count(&self) -> u64 {
        self.col::<u64>(col::OUTPUT_VALUE).len() as u64
    }

    pub fn output_values(&self) -> &[u64] {
        self.col(col::OUTPUT_VALUE)
    }

    /// The raw input and output columns, for scans.
    pub fn utxo_columns(&self) -> UtxoColumns<'_> {
        UtxoColumns {
            output_value: self.col(col::OUTPUT_VALUE),
            output_address: self.col(col::OUTPUT_ADDRESS),
            input_spent: self.col(col::INPUT_SPENT),
        }
    }

    pub fn tx_inputs(&self, tx: u32) -> std::ops::Range<u64> {
        self.input_framing().range(tx as usize)
    }

    pub fn tx_outputs(&self, tx: u32) -> std::ops::Range<u64> {
        self.output_framing().range(tx as usize)
    }

    pub fn output(&self, row: u64) -> Option<OutputView> {
        let i = usize::try_from(row).ok()?;
        let value = *self.col::<u64>(col::OUTPUT_VALUE).get(i)?;
        let framing = self.output_framing();
        let tx = framing.tx_of_row(row);
        let spent_by = self
            .col::<u32>(col::IDX_SPENT_BY)
            .get(i)
            .copied()
            .filter(|&t| t != schema::UNSPENT);
        Some(OutputView {
            row,
            tx: tx as u32,
            vout: (row - framing.start(tx)) as u32,
            value,
            address: self.col::<u32>(col::OUTPUT_ADDRESS)[i],
            spent_by,
        })
    }

    pub fn input(&self, row: u64) -> Option<InputView> {
        let i = usize::try_from(row).ok()?;
        let spent = *self.col::<u64>(col::INPUT_SPENT).get(i)?;
        let tx = self.input_framing().tx_of_row(row) as u32;
        let mut view = InputView {
            row,
            tx,
            coinbase: spent == schema::INPUT_COINBASE,
            spent_output: None,
            prevout: None,
            value: None,
            address: None,
        };
        match spent {
            schema::INPUT_COINBASE => {}
            schema::INPUT_UNLINKED => {
                let unlinked = self.col::<UnlinkedInput>(col::INPUT_UNLINKED);
                let at = unlinked.partition_point(|u| u.row < row);
                if let Some(u) = unlinked.get(at).filter(|u| u.row == row) {
                    view.prevout = Some(OutPoint {
                        tx: TxHash(u.prev_tx),
                        vout: u.vout,
                    });
                    view.value = (u.has_value != 0).then_some(u.value);
                    view.address = (u.address != NO_ADDRESS).then_some(u.address);
                }
            }
            output_row => {
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
        let entries = self.col::<NullDataEntry>(col::NULL_DATA_ROWS);
        (0..entries.len()).map(move |i| (entries[i].row, self.null_data_at(i)))
    }

    /// The payload of output `row` when it is an OP_RETURN output with one stored.
    pub fn output_data(&self, row: u64) -> Option<&[u8]> {
        let entries = self.col::<NullDataEntry>(col::NULL_DATA_ROWS);
        let at = entries.partition_point(|e| e.row < row);
        entries
            .get(at)
            .filter(|e| e.row == row)
            .map(|_| self.null_data_at(at))
    }

    /// Payload `i` of `null_data.bytes`: from the previous entry's end to its own.
    fn null_data_at(&self, i: usize) -> &[u8] {
        let entries = self.col::<NullDataEntry>(col::NULL_DATA_ROWS);
        let end = entries.get(i).map_or(0, |e| e.end);
        let start = i
            .checked_sub(1)
            .and_then(|prev| entries.get(prev))
            .map_or(0, |e| e.end);
        let bytes = self
            .files
            .get(col::NULL_DATA_BYTES)
            .map_or(&[][..], MappedFile::bytes);
        usize::try_from(start)
            .ok()
            .zip(usize::try_from(end).ok())
            .and_then(|(start, end)| bytes.get(start..end))
            .unwrap_or(&[])
    }

    /// Σ inputs − Σ outputs; `None` for coinbase transactions and when an input's value is unknown.
    pub fn tx_fee(&self, tx: u32) -> Option<u64> {
        let mut total_in: u64 = 0;
        for row in self.tx_inputs(tx) {
            let input = self.input(row)?;
            if input.coinbase {
                return None;
            }
            total_in = total_in.checked_add(input.value?)?;
        }
        let total_out: u64 = self
            .tx_outputs(tx)
            .map(|row| self.output_values()[row as usize])
            .try_fold(0u64, |acc, v| acc.checked_add(v))?;
        total_in.checked_sub(total_out)
    }

    // ---- integrity and stats ----

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
            txs: self.tx_count() as u64,
            records,
            transfers,
            inputs,
            outputs,
            addresses,
            assets: self.assets.len() as u64,
            overflow_amounts: (self.col::<OverflowAmount>(col::AMOUNT_OVERFLOW).len()
                + self.col::<WideAmount>(col::AMOUNT_WIDE).len())
                as u64,
            unlinked_inputs: self.col::<UnlinkedInput>(col::INPUT_UNLINKED).len() as u64,
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

/// The payload index must name ascending output rows that exist and ascending ends within
/// `null_data.bytes`, ending at its length, so that every lookup slices in bounds.
fn check_null_data(
    dir: &Path,
    files: &HashMap<&'static str, MappedFile>,
    outputs: u64,
) -> Result<(), StoreError> {
    let (Some(entries), Some(bytes)) = (
        files.get(col::NULL_DATA_ROWS),
        files.get(col::NULL_DATA_BYTES),
    ) else {
        return Ok(());
    };
    let entries = entries.as_slice::<NullDataEntry>();
    let corrupt = |reason: String| StoreError::Corrupt {
        file: dir.join(col::NULL_DATA_ROWS),
        reason,
    };
    let (mut last_row, mut last_end) = (None, 0u64);
    for (i, entry) in entries.iter().enumerate() {
        if entry.row >= outputs || last_row.is_some_and(|row| entry.row <= row) {
            return Err(corrupt(format!(
                "entry {i} names output {} (of {outputs}) out of order",
                entry.row
            )));
        }
        if entry.end < last_end {
            return Err(corrupt(format!("entry {i} ends before the one before it")));
        }
        (last_row, last_end) = (Some(entry.row), entry.end);
    }
    let stored = bytes.bytes().len() as u64;
    if last_end != stored {
        return Err(corrupt(format!(
            "payloads end at byte {last_end}, but null_data.bytes holds {stored}"
        )));
    }
    Ok(())
}
