use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::path::{Path, PathBuf};

use chaintrail_core::{
    AccountTx, Address, Amount, Asset, AssetKind, BitcoinAddress, BitcoinNetwork, Chain,
    ChainModel, TxHash, UtxoTx,
};

use crate::checkpoint::{self, Checkpoint};
use crate::dictionary::AddressDictionary;
use crate::error::{StoreError, io_err};
use crate::files::{AppendFile, ColumnView, FileState, MappedFile};
use crate::index::build_indexes;
use crate::manifest::{CHAIN_MANIFEST, ChainManifest, FORMAT, read_json, write_json};
use crate::outpoints::TxTable;
use crate::segments::MIN_SEGMENT_BYTES;

/// Appended transactions kept in memory before `txs.*` are flushed and mapped again (tests
/// spill often, so that lookups go through both the map and the tail).
const SPILL_TXS: usize = if cfg!(test) { 7 } else { 1 << 16 };

/// The address key of OP_RETURN outputs: unspendable, so never counted as unspent.
fn null_data_key() -> Vec<u8> {
    Address::Bitcoin {
        network: BitcoinNetwork::Mainnet,
        kind: BitcoinAddress::NullData,
    }
    .to_key()
}

fn is_null_data(address: &Address) -> bool {
    matches!(
        address,
        Address::Bitcoin {
            kind: BitcoinAddress::NullData,
            ..
        }
    )
}

/// What the writer holds in memory to find transactions by hash (see [`ChainWriter::tx_lookup_memory`]).
#[doc(hidden)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct TxLookupMemory {
    /// Entries of the txid table: live transactions (UTXO chains) or all (account chains).
    pub entries: usize,
    pub slots: usize,
    /// Heap bytes of the txid table.
    pub table_bytes: usize,
    /// Heap bytes of the rest: unflushed `txs.*` tails and the per-block offset vectors.
    pub other_bytes: usize,
}
use crate::schema::{
    self, AssetEntry, FileGroup, MAX_TX_ID, NO_ADDRESS, NullDataEntry, OverflowAmount, TxId,
    UnlinkedInput, WideAmount, col,
};

/// Counts of what a writer has appended so far (committed or not).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Progress {
    /// Blocks stored.
    pub blocks: u64,
    /// Transactions stored: the next transaction gets this id. Skipped duplicates not counted.
    pub txs: u64,
    /// Transfers stored (account chains).
    pub transfers: u64,
    /// Inputs stored (UTXO chains).
    pub inputs: u64,
    /// Outputs stored (UTXO chains).
    pub outputs: u64,
    /// Address ids assigned, the reserved id 0 included (unlike
    /// [`ChainStats::addresses`](crate::ChainStats::addresses)).
    pub addresses: u64,
    /// Transactions skipped because their hash was already stored, over the chain's life.
    pub duplicate_txs_skipped: u64,
}

/// Appends one chain's records. Rows become visible to readers at [`ChainWriter::commit`];
/// whatever was appended after the last commit is discarded if the process dies.
pub struct ChainWriter {
    dir: PathBuf,
    chain: Chain,
    manifest: ChainManifest,
    files: BTreeMap<&'static str, AppendFile>,
    address_ids: AddressDictionary,
    /// Txid → tx id: live transactions (with an unspent output) on UTXO chains, all on account
    /// chains. Keys are txid prefixes; matches are confirmed against `tx_hashes`.
    txs: TxTable,
    /// `txs.hash` as written so far (mapped, plus an unflushed tail).
    tx_hashes: ColumnView<[u8; 32]>,
    /// `txs.output_offset` as written so far (UTXO chains).
    tx_output_offsets: ColumnView<u32>,
    /// `blocks.first_tx` and `blocks.first_output` (UTXO chains), to find a tx's outputs.
    block_first_tx: Vec<u64>,
    block_first_output: Vec<u64>,
    assets: HashMap<AssetKind, (u32, Asset)>,
    last_block: Option<(u64, u64)>,
    block_first_record: (u64, u64),
    progress: Progress,
    _lock: File,
}

impl ChainWriter {
    /// Open a chain for appending. `segment_bytes` sets the checksum segment size of a chain
    /// created now (an existing chain keeps the one in its manifest).
    pub(crate) fn open(
        dir: PathBuf,
        chain: Chain,
        segment_bytes: u64,
    ) -> Result<ChainWriter, StoreError> {
        if segment_bytes < MIN_SEGMENT_BYTES {
            return Err(StoreError::Input(format!(
                "segments of {segment_bytes} bytes are too small: at least {MIN_SEGMENT_BYTES}"
            )));
        }
        std::fs::create_dir_all(&dir).map_err(|e| io_err(&dir, "create", e))?;
        let lock_path = dir.join("LOCK");
        let lock = File::create(&lock_path).map_err(|e| io_err(&lock_path, "create", e))?;
        lock.try_lock()
            .map_err(|_| StoreError::Locked(dir.clone()))?;
        let manifest_path = dir.join(CHAIN_MANIFEST);
        let manifest: ChainManifest = if manifest_path.exists() {
            read_json(&manifest_path)?
        } else {
            ChainManifest {
                segment_bytes,
                ..ChainManifest::new(chain)
            }
        };
        if manifest.format != FORMAT || manifest.chain != chain {
            return Err(StoreError::Corrupt {
                file: manifest_path,
                reason: format!(
                    "manifest is for {} (format {}), expected {chain} (format {FORMAT})",
                    manifest.chain, manifest.format
                ),
            });
        }
        let mut files = BTreeMap::new();
        for &name in schema::columns(chain.model()) {
            files.insert(
                name,
                AppendFile::open(
                    &dir.join(name),
                    &manifest.file(name),
                    manifest.segment_bytes,
                )?,
            );
        }
        let tx_hashes = ColumnView::open(&dir.join(col::TX_HASH), 0)?;
        let tx_output_offsets = ColumnView::open(&dir.join(col::TX_OUTPUT_OFFSET), 0)?;
        let mut writer = ChainWriter {
            dir,
            chain,
            manifest,
            files,
            address_ids: AddressDictionary::default(),
            txs: TxTable::new(),
            tx_hashes,
            tx_output_offsets,
            block_first_tx: Vec::new(),
            block_first_output: Vec::new(),
            assets: HashMap::new(),
            last_block: None,
            block_first_record: (0, 0),
            progress: Progress::default(),
            _lock: lock,
        };
        writer.load_committed()?;
        Ok(writer)
    }

    /// Rebuild the in-memory dictionaries and counters from the committed files.
    fn load_committed(&mut self) -> Result<(), StoreError> {
        let (dir, manifest) = (self.dir.clone(), self.manifest.clone());
        // The writer reads each of these whole, so it verifies them whole.
        let map = |name: &str| {
            MappedFile::open_verified(
                &dir.join(name),
                &manifest.file(name),
                manifest.segment_bytes,
            )
        };
        let keys = map(col::ADDRESS_KEYS)?;
        let ends = map(col::ADDRESS_ENDS)?;
        let mut start = 0usize;
        for (id, &end) in ends.as_slice::<u64>().iter().enumerate() {
            let end = usize::try_from(end).unwrap_or(usize::MAX);
            let key = keys
                .bytes()
                .get(start..end)
                .ok_or_else(|| StoreError::Corrupt {
                    file: self.dir.join(col::ADDRESS_ENDS),
                    reason: format!("address {id} ends past the key file"),
                })?;
            self.address_ids.push(key);
            start = end;
        }
        self.progress.addresses = self.address_ids.len() as u64;
        if self.address_ids.is_empty() {
            // Id 0 is "no address" (mint source, burn sink, unknown spender of an unlinked
            // input); its key is empty and matches no real address.
            self.intern_key(&[])?;
        }

        let hashes = map(col::TX_HASH)?;
        let tx_count = hashes.as_slice::<[u8; 32]>().len();
        self.progress.txs = tx_count as u64;
        self.tx_hashes = ColumnView::open(&dir.join(col::TX_HASH), tx_count)?;

        let assets_file = map(col::ASSETS)?;
        for (id, line) in assets_file
            .bytes()
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .enumerate()
        {
            let entry: AssetEntry =
                serde_json::from_slice(line).map_err(|e| StoreError::Corrupt {
                    file: self.dir.join(col::ASSETS),
                    reason: format!("line {}: {e}", id + 1),
                })?;
            self.assets
                .insert(entry.asset.kind.clone(), (entry.id, entry.asset));
        }
        if self.assets.is_empty() {
            self.register_asset(&Asset::native(self.chain))?;
        }

        let heights = map(col::BLOCK_HEIGHT)?;
        let timestamps = map(col::BLOCK_TIMESTAMP)?;
        self.progress.blocks = heights.as_slice::<u64>().len() as u64;
        if let (Some(&h), Some(&t)) = (
            heights.as_slice::<u64>().last(),
            timestamps.as_slice::<u64>().last(),
        ) {
            self.last_block = Some((h, t));
        }
        self.progress.duplicate_txs_skipped = self.manifest.duplicate_txs_skipped;
        match self.chain.model() {
            ChainModel::Account => {
                self.progress.transfers = self.manifest.file(col::TRANSFER_FROM).bytes / 4;
                let firsts = map(col::BLOCK_FIRST_TRANSFER)?;
                self.block_first_record.0 = firsts.as_slice::<u64>().last().copied().unwrap_or(0);
                // Every stored hash, for dedup.
                self.txs.reserve(tx_count);
                for (id, hash) in hashes.as_slice::<[u8; 32]>().iter().enumerate() {
                    self.txs.insert(hash, id as TxId, 1);
                }
            }
            ChainModel::Utxo => {
                self.progress.inputs = self.manifest.file(col::INPUT_SPENT).bytes / 8;
                self.progress.outputs = self.manifest.file(col::OUTPUT_VALUE).bytes / 8;
                let first_in = map(col::BLOCK_FIRST_INPUT)?;
                let first_out = map(col::BLOCK_FIRST_OUTPUT)?;
                let first_tx = map(col::BLOCK_FIRST_TX)?;
                self.block_first_record = (
                    first_in.as_slice::<u64>().last().copied().unwrap_or(0),
                    first_out.as_slice::<u64>().last().copied().unwrap_or(0),
                );
                self.block_first_tx = first_tx.as_slice::<u64>().to_vec();
                self.block_first_output = first_out.as_slice::<u64>().to_vec();
                let offsets = map(col::TX_OUTPUT_OFFSET)?;
                self.tx_output_offsets = ColumnView::open(
                    &dir.join(col::TX_OUTPUT_OFFSET),
                    offsets.as_slice::<u32>().len(),
                )?;
                self.rebuild_live_txs(
                    hashes.as_slice(),
                    &map(col::INPUT_SPENT)?,
                    &map(col::OUTPUT_ADDRESS)?,
                )?;
            }
        }
        Ok(())
    }

    /// Rebuild the table of live transactions from the committed columns. A transaction's
    /// unspent count is its number of spendable (non-OP_RETURN) outputs minus the inputs linked
    /// to any of its outputs, which is exactly what appending maintains: an input links only
    /// while the count is positive, so the state does not depend on the order of the spends.
    fn rebuild_live_txs(
        &mut self,
        hashes: &[[u8; 32]],
        spent: &MappedFile,
        addresses: &MappedFile,
    ) -> Result<(), StoreError> {
        let outputs = self.progress.outputs;
        let corrupt = |name: &str, reason: String| StoreError::Corrupt {
            file: self.dir.join(name),
            reason,
        };
        let addresses = addresses.as_slice::<u32>();
        if addresses.len() as u64 != outputs {
            return Err(corrupt(
                col::OUTPUT_ADDRESS,
                format!("{} rows, but {outputs} outputs", addresses.len()),
            ));
        }
        // One bit per output: linked by some input. Repeated links (a double spend in the
        // source) are counted aside.
        let words = usize::try_from(outputs.div_ceil(64)).unwrap_or(usize::MAX);
        let mut linked = vec![0u64; words];
        let mut repeated: HashMap<u64, u32> = HashMap::new();
        for (input, &link) in spent.as_slice::<u64>().iter().enumerate() {
            if link == schema::INPUT_COINBASE || link == schema::INPUT_UNLINKED {
                continue;
            }
            if link >= outputs {
                return Err(corrupt(
                    col::INPUT_SPENT,
                    format!("input {input} spends output {link} of {outputs}"),
                ));
            }
            let (word, bit) = ((link / 64) as usize, link % 64);
            if linked[word] >> bit & 1 == 1 {
                *repeated.entry(link).or_default() += 1;
            } else {
                linked[word] |= 1 << bit;
            }
        }
        let null = self.address_ids.get(&null_data_key());
        let mut block = 0usize;
        let mut start_of = |tx: usize| -> Option<u64> {
            while block + 1 < self.block_first_tx.len()
                && self.block_first_tx[block + 1] <= tx as u64
            {
                block += 1;
            }
            let base = self.block_first_output.get(block)?;
            Some(base + u64::from(self.tx_output_offsets.get(tx)?))
        };
        let mut live = Vec::new();
        let mut start = if hashes.is_empty() {
            0
        } else {
            start_of(0).unwrap_or(u64::MAX)
        };
        for tx in 0..hashes.len() {
            let end = if tx + 1 < hashes.len() {
                start_of(tx + 1).unwrap_or(u64::MAX)
            } else {
                outputs
            };
            if start > end || end > outputs {
                return Err(corrupt(
                    col::TX_OUTPUT_OFFSET,
                    format!("tx {tx} has outputs {start}..{end} of {outputs}"),
                ));
            }
            let (mut spendable, mut spent) = (0u64, 0u64);
            for row in start..end {
                spendable += u64::from(Some(addresses[row as usize]) != null);
                spent += linked[(row / 64) as usize] >> (row % 64) & 1;
                if !repeated.is_empty() {
                    spent += u64::from(repeated.get(&row).copied().unwrap_or(0));
                }
            }
            if spendable > spent {
                live.push((
                    tx as TxId,
                    u32::try_from(spendable - spent).unwrap_or(u32::MAX),
                ));
            }
            start = end;
        }
        drop(linked);
        self.txs.reserve(live.len());
        for (tx, count) in live {
            self.txs.insert(&hashes[tx as usize], tx, count);
        }
        Ok(())
    }

    /// Memory of the writer's transaction lookup, for benchmarks.
    #[doc(hidden)]
    pub fn tx_lookup_memory(&self) -> TxLookupMemory {
        TxLookupMemory {
            entries: self.txs.len(),
            slots: self.txs.slots(),
            table_bytes: self.txs.heap_bytes(),
            other_bytes: self.tx_hashes.heap_bytes()
                + self.tx_output_offsets.heap_bytes()
                + (self.block_first_tx.capacity() + self.block_first_output.capacity()) * 8,
        }
    }

    /// The tx id of a transaction in the table (live, on UTXO chains), confirmed by full txid.
    fn find_tx(&self, hash: &[u8; 32]) -> Option<TxId> {
        let hashes = &self.tx_hashes;
        self.txs
            .find(hash, |id| hashes.get(id as usize).as_ref() == Some(hash))
    }

    /// The output rows of stored tx `id` (UTXO chains), from the offset columns.
    fn tx_outputs(&self, id: TxId) -> Result<std::ops::Range<u64>, StoreError> {
        let tx = id;
        let range = self.block_of(tx).and_then(|block| {
            let start = self.output_start(block, tx)?;
            let end = if tx + 1 >= self.progress.txs {
                self.progress.outputs
            } else if self
                .block_first_tx
                .get(block + 1)
                .is_none_or(|&next| next > tx + 1)
            {
                self.output_start(block, tx + 1)?
            } else {
                self.output_start(self.block_of(tx + 1)?, tx + 1)?
            };
            (start <= end).then_some(start..end)
        });
        range.ok_or_else(|| StoreError::Corrupt {
            file: self.dir.join(col::TX_OUTPUT_OFFSET),
            reason: format!("no output range for tx {id}"),
        })
    }

    /// The block holding stored tx `tx` (UTXO chains): the last one starting at or before it.
    fn block_of(&self, tx: u64) -> Option<usize> {
        self.block_first_tx
            .partition_point(|&first| first <= tx)
            .checked_sub(1)
    }

    fn output_start(&self, block: usize, tx: u64) -> Option<u64> {
        let base = self.block_first_output.get(block)?;
        let offset = self.tx_output_offsets.get(usize::try_from(tx).ok()?)?;
        Some(base + u64::from(offset))
    }

    /// Flush `txs.*` and map them again once enough appended rows are held in memory.
    fn spill_if_due(&mut self) -> Result<(), StoreError> {
        if self.tx_hashes.tail_len() >= SPILL_TXS {
            self.file(col::TX_HASH).flush()?;
            self.tx_hashes.remap()?;
            if self.chain.model() == ChainModel::Utxo {
                self.file(col::TX_OUTPUT_OFFSET).flush()?;
                self.tx_output_offsets.remap()?;
            }
        }
        Ok(())
    }

    /// The chain this writer appends to.
    pub fn chain(&self) -> Chain {
        self.chain
    }

    /// What is stored so far, committed or not.
    pub fn progress(&self) -> Progress {
        self.progress
    }

    /// The resume position an importer stored with its last commit (or staged since).
    pub fn cursor(&self, key: &str) -> Option<&serde_json::Value> {
        self.manifest.cursors.get(key)
    }

    /// Set a cursor without committing: the next [`ChainWriter::commit`] makes it durable
    /// together with its own cursor and the records appended so far, so that the cursors of
    /// several parts of one import (events, stored head, resume position) land in one
    /// checkpoint and a crash cannot separate them.
    pub fn stage_cursor(&mut self, key: &str, cursor: serde_json::Value) {
        self.manifest.cursors.insert(key.to_string(), cursor);
    }

    fn file(&mut self, name: &'static str) -> &mut AppendFile {
        self.files
            .get_mut(name)
            .unwrap_or_else(|| unreachable!("column {name} is part of the schema"))
    }

    fn put_u64(&mut self, name: &'static str, value: u64) -> Result<(), StoreError> {
        self.file(name).append(&value.to_le_bytes())
    }

    fn put_u32(&mut self, name: &'static str, value: u32) -> Result<(), StoreError> {
        self.file(name).append(&value.to_le_bytes())
    }

    fn intern_key(&mut self, key: &[u8]) -> Result<u32, StoreError> {
        if let Some(id) = self.address_ids.get(key) {
            return Ok(id);
        }
        let id = u32::try_from(self.address_ids.len()).map_err(|_| StoreError::Full {
            what: "the number of addresses",
            limit: u64::from(u32::MAX),
        })?;
        self.file(col::ADDRESS_KEYS).append(key)?;
        let end = self.files[col::ADDRESS_KEYS].len();
        self.put_u64(col::ADDRESS_ENDS, end)?;
        self.address_ids.push(key);
        self.progress.addresses += 1;
        Ok(id)
    }

    /// The id of an address, assigning the next one on first sight.
    pub fn address_id(&mut self, address: &Address) -> Result<u32, StoreError> {
        self.intern_key(&address.to_key())
    }

    /// Register an asset, or update the symbol and decimals of a known one; returns its id.
    pub fn register_asset(&mut self, asset: &Asset) -> Result<u32, StoreError> {
        if asset.chain != self.chain {
            return Err(StoreError::Input(format!(
                "asset {} belongs to {}, not {}",
                asset.symbol, asset.chain, self.chain
            )));
        }
        let id = match self.assets.get(&asset.kind) {
            Some((id, known)) if known == asset => return Ok(*id),
            Some((id, _)) => *id,
            None => {
                let id = self.assets.len() as u32;
                if id > schema::MAX_ASSET_ID {
                    return Err(StoreError::Full {
                        what: "the number of assets",
                        limit: u64::from(schema::MAX_ASSET_ID) + 1,
                    });
                }
                id
            }
        };
        // Lines are id-tagged and the last line of an id wins, so updates are appends too.
        let entry = AssetEntry {
            id,
            asset: asset.clone(),
        };
        let mut line = serde_json::to_vec(&entry).map_err(|e| StoreError::Input(e.to_string()))?;
        line.push(b'\n');
        self.file(col::ASSETS).append(&line)?;
        self.assets.insert(asset.kind.clone(), (id, asset.clone()));
        Ok(id)
    }

    /// The asset registered for `kind`, with its metadata as last registered.
    pub fn asset(&self, kind: &AssetKind) -> Option<&Asset> {
        self.assets.get(kind).map(|(_, asset)| asset)
    }

    fn asset_id(&mut self, kind: &AssetKind) -> Result<u32, StoreError> {
        match self.assets.get(kind) {
            Some((id, _)) => Ok(*id),
            None => self.register_asset(&Asset {
                chain: self.chain,
                kind: kind.clone(),
                symbol: String::new(),
                decimals: 0,
            }),
        }
    }

    fn require(&self, model: ChainModel) -> Result<(), StoreError> {
        if self.chain.model() == model {
            Ok(())
        } else {
            Err(StoreError::Input(format!(
                "{} is a {:?} chain; these records are for {:?} chains",
                self.chain,
                self.chain.model(),
                model
            )))
        }
    }

    /// Starts a new block row when the height changes. Blocks must arrive in height order.
    fn enter_block(
        &mut self,
        height: u64,
        timestamp: u64,
        hash: &TxHash,
    ) -> Result<bool, StoreError> {
        match self.last_block {
            Some((last, _)) if height == last => return Ok(false),
            Some((last, _)) if height < last => {
                return Err(StoreError::Input(format!(
                    "transaction {hash} is in block {height}, but block {last} was already \
                     stored: import blocks in ascending order"
                )));
            }
            _ => {}
        }
        self.put_u64(col::BLOCK_HEIGHT, height)?;
        self.put_u64(col::BLOCK_TIMESTAMP, timestamp)?;
        let txs = self.progress.txs;
        self.put_u64(col::BLOCK_FIRST_TX, txs)?;
        self.last_block = Some((height, timestamp));
        self.progress.blocks += 1;
        Ok(true)
    }

    /// Count a transaction skipped because its hash is in the table.
    fn skip_duplicate(&mut self) -> Result<bool, StoreError> {
        self.progress.duplicate_txs_skipped += 1;
        self.manifest.duplicate_txs_skipped += 1;
        Ok(false)
    }

    fn next_tx_id(&self) -> Result<TxId, StoreError> {
        if self.progress.txs > MAX_TX_ID {
            return Err(StoreError::Full {
                what: "the number of transactions",
                limit: MAX_TX_ID + 1,
            });
        }
        Ok(self.progress.txs)
    }

    fn append_tx_hash(&mut self, hash: &TxHash) -> Result<(), StoreError> {
        self.file(col::TX_HASH).append(&hash.0)?;
        self.tx_hashes.push(hash.0);
        Ok(())
    }

    fn relative(&self, what: &'static str, row: u64, base: u64) -> Result<u32, StoreError> {
        u32::try_from(row - base).map_err(|_| StoreError::Full {
            what,
            limit: u64::from(u32::MAX),
        })
    }

    /// Append an account-chain transaction with its transfers. Returns `false` (and stores
    /// nothing) when a transaction with this hash is already stored.
    pub fn append_account_tx(&mut self, tx: &AccountTx) -> Result<bool, StoreError> {
        self.require(ChainModel::Account)?;
        if self.find_tx(&tx.hash.0).is_some() {
            return self.skip_duplicate();
        }
        let id = self.next_tx_id()?;
        if self.enter_block(tx.block.height, tx.block.timestamp, &tx.hash)? {
            let first = self.progress.transfers;
            self.put_u64(col::BLOCK_FIRST_TRANSFER, first)?;
            self.block_first_record.0 = first;
        }
        let offset = self.relative(
            "transfers per block",
            self.progress.transfers,
            self.block_first_record.0,
        )?;
        self.append_tx_hash(&tx.hash)?;
        self.txs.insert(&tx.hash.0, id, 1);
        self.put_u32(col::TX_TRANSFER_OFFSET, offset)?;
        for transfer in &tx.transfers {
            let from = match &transfer.from {
                Some(address) => self.address_id(address)?,
                None => NO_ADDRESS,
            };
            let to = match &transfer.to {
                Some(address) => self.address_id(address)?,
                None => NO_ADDRESS,
            };
            let asset = self.asset_id(&transfer.asset)?;
            let row = self.progress.transfers;
            self.put_u32(col::TRANSFER_FROM, from)?;
            self.put_u32(col::TRANSFER_TO, to)?;
            self.put_u32(
                col::TRANSFER_META,
                schema::pack_meta(asset, transfer.kind, transfer.success),
            )?;
            self.put_amount(row, transfer.amount)?;
            self.progress.transfers += 1;
        }
        self.progress.txs += 1;
        self.spill_if_due()?;
        Ok(true)
    }

    fn put_amount(&mut self, row: u64, amount: Amount) -> Result<(), StoreError> {
        match (amount.to_u64(), amount.to_u128()) {
            (Some(small), _) if small < schema::AMOUNT_WIDE => {
                self.put_u64(col::TRANSFER_AMOUNT, small)
            }
            (_, Some(large)) => {
                self.put_u64(col::TRANSFER_AMOUNT, schema::AMOUNT_OVERFLOW)?;
                let record = OverflowAmount {
                    row,
                    value_le: large.to_le_bytes(),
                };
                self.file(col::AMOUNT_OVERFLOW)
                    .append(bytemuck::bytes_of(&record))
            }
            (_, None) => {
                self.put_u64(col::TRANSFER_AMOUNT, schema::AMOUNT_WIDE)?;
                let record = WideAmount {
                    row,
                    value_be: amount.to_be_bytes(),
                };
                self.file(col::AMOUNT_WIDE)
                    .append(bytemuck::bytes_of(&record))
            }
        }
    }

    /// The payload of OP_RETURN output `row`, kept beside the records (`null_data.*`).
    fn put_null_data(&mut self, row: u64, data: &[u8]) -> Result<(), StoreError> {
        self.file(col::NULL_DATA_BYTES).append(data)?;
        let entry = NullDataEntry {
            row,
            end: self.files[col::NULL_DATA_BYTES].len(),
        };
        self.file(col::NULL_DATA_ROWS)
            .append(bytemuck::bytes_of(&entry))
    }

    /// Append a UTXO transaction. Inputs are linked to the outputs they spend when those are in
    /// the store; otherwise what the source said about them is kept in `inputs.unlinked`.
    /// Returns `false` (and stores nothing) for the txid of a transaction that still has an
    /// unspent output (BIP30 duplicates, re-imports); see docs/bitcoin.md.
    ///
    /// Only transactions with an unspent output can be spent, so an input whose prevout names
    /// a transaction whose outputs are all spent (a double spend in the source) is unlinked.
    pub fn append_utxo_tx(&mut self, tx: &UtxoTx) -> Result<bool, StoreError> {
        self.require(ChainModel::Utxo)?;
        if self.find_tx(&tx.hash.0).is_some() {
            return self.skip_duplicate();
        }
        let id = self.next_tx_id()?;
        let spendable = tx
            .outputs
            .iter()
            .filter(|output| !is_null_data(&output.address))
            .count();
        let spendable = u32::try_from(spendable).map_err(|_| StoreError::Full {
            what: "outputs per transaction",
            limit: u64::from(u32::MAX),
        })?;
        if let Some(vout) = tx
            .outputs
            .iter()
            .position(|output| output.data.is_some() && !is_null_data(&output.address))
        {
            return Err(StoreError::Input(format!(
                "output {vout} of {} carries data but is not an OP_RETURN output: only null-data \
                 outputs have a payload",
                tx.hash
            )));
        }
        if self.enter_block(tx.block.height, tx.block.timestamp, &tx.hash)? {
            let (inputs, outputs) = (self.progress.inputs, self.progress.outputs);
            self.put_u64(col::BLOCK_FIRST_INPUT, inputs)?;
            self.put_u64(col::BLOCK_FIRST_OUTPUT, outputs)?;
            self.block_first_record = (inputs, outputs);
            self.block_first_tx.push(self.progress.txs);
            self.block_first_output.push(outputs);
        }
        // Resolve inputs before storing anything, so that a bad input leaves no partial tx.
        let mut spent = Vec::with_capacity(tx.inputs.len());
        let mut spends = Vec::with_capacity(tx.inputs.len());
        for (index, input) in tx.inputs.iter().enumerate() {
            let link = match &input.prevout {
                None => schema::INPUT_COINBASE,
                Some(prevout) => match self.find_tx(&prevout.tx.0) {
                    Some(prev) => {
                        let outputs = self.tx_outputs(prev)?;
                        let row = outputs.start + u64::from(prevout.vout);
                        if row >= outputs.end {
                            return Err(StoreError::Input(format!(
                                "input {index} of {} spends {}:{}, but that transaction has only \
                                 {} outputs",
                                tx.hash,
                                prevout.tx,
                                prevout.vout,
                                outputs.end - outputs.start
                            )));
                        }
                        spends.push((prevout.tx.0, prev));
                        row
                    }
                    None => schema::INPUT_UNLINKED,
                },
            };
            spent.push(link);
        }
        let input_offset = self.relative(
            "inputs per block",
            self.progress.inputs,
            self.block_first_record.0,
        )?;
        let output_offset = self.relative(
            "outputs per block",
            self.progress.outputs,
            self.block_first_record.1,
        )?;
        self.append_tx_hash(&tx.hash)?;
        self.put_u32(col::TX_INPUT_OFFSET, input_offset)?;
        self.put_u32(col::TX_OUTPUT_OFFSET, output_offset)?;
        self.file(col::TX_FINGERPRINT)
            .append(&schema::pack_fingerprint(tx.fingerprint.as_ref()))?;
        self.tx_output_offsets.push(output_offset);
        for output in &tx.outputs {
            let address = self.address_id(&output.address)?;
            if let Some(data) = &output.data {
                self.put_null_data(self.progress.outputs, data)?;
            }
            self.put_u64(col::OUTPUT_VALUE, output.value)?;
            self.put_u32(col::OUTPUT_ADDRESS, address)?;
            self.progress.outputs += 1;
        }
        for (input, link) in tx.inputs.iter().zip(spent) {
            let row = self.progress.inputs;
            self.put_u64(col::INPUT_SPENT, link)?;
            if link == schema::INPUT_UNLINKED {
                let prevout = input.prevout.as_ref().map(|p| (p.tx.0, p.vout));
                let (prev_tx, vout) = prevout.unwrap_or(([0; 32], 0));
                let address = match &input.address {
                    Some(address) => self.address_id(address)?,
                    None => NO_ADDRESS,
                };
                let record = UnlinkedInput {
                    row,
                    prev_tx,
                    value: input.value.unwrap_or(0),
                    vout,
                    address,
                    has_value: u32::from(input.value.is_some()),
                    pad: 0,
                };
                self.file(col::INPUT_UNLINKED)
                    .append(bytemuck::bytes_of(&record))?;
            }
            self.progress.inputs += 1;
        }
        for (prev_hash, prev) in spends {
            // A second link to the same output (a double spend in the source) may find the
            // entry already gone; the rebuild on reopen agrees (see `rebuild_live_txs`).
            self.txs.spend(&prev_hash, prev);
        }
        if spendable > 0 {
            self.txs.insert(&tx.hash.0, id, spendable);
        }
        self.progress.txs += 1;
        self.spill_if_due()?;
        Ok(true)
    }

    /// Checkpoint: make everything appended so far durable and visible, together with the
    /// importer's resume cursor. After a crash the store is exactly as of the last commit.
    pub fn commit(
        &mut self,
        cursor_key: &str,
        cursor: serde_json::Value,
    ) -> Result<(), StoreError> {
        for (&name, file) in self.files.iter_mut() {
            let state: FileState = file.sync()?;
            // Payload files are listed once they hold something, so that a chain without
            // OP_RETURN payloads keeps the manifest (and content checksum) it had before they
            // were kept.
            let unlisted = !self.manifest.files.contains_key(name);
            if unlisted && state.bytes == 0 && schema::group_of(name) == FileGroup::NullData {
                continue;
            }
            self.manifest.files.insert(name.to_string(), state);
        }
        self.tx_hashes.remap()?;
        if self.chain.model() == ChainModel::Utxo {
            self.tx_output_offsets.remap()?;
        }
        self.manifest.cursors.insert(cursor_key.to_string(), cursor);
        checkpoint::record(
            &mut self.manifest,
            self.last_block.map(|(height, _)| height),
        );
        write_json(&self.dir.join(CHAIN_MANIFEST), &self.manifest)
    }

    /// Commit, then rebuild the traversal indexes over everything committed.
    pub fn finish(
        mut self,
        cursor_key: &str,
        cursor: serde_json::Value,
    ) -> Result<Progress, StoreError> {
        self.commit(cursor_key, cursor)?;
        self.update_indexes()?;
        Ok(self.progress)
    }

    /// Rebuild the traversal indexes over everything committed, if they are behind, so that
    /// readers see the committed records (readers refuse a chain whose indexes are behind).
    pub fn update_indexes(&mut self) -> Result<(), StoreError> {
        let records = match self.chain.model() {
            ChainModel::Account => self.progress.transfers,
            ChainModel::Utxo => self.progress.inputs + self.progress.outputs,
        };
        if self.manifest.indexed_records != records || self.manifest.indexes.is_empty() {
            let indexes = build_indexes(&self.dir, &self.manifest)?;
            let replaced = std::mem::replace(&mut self.manifest.indexes, indexes);
            self.manifest.indexed_records = records;
            write_json(&self.dir.join(CHAIN_MANIFEST), &self.manifest)?;
            // An index the new manifest no longer lists (spent-by written wide once the chain
            // outgrew 32-bit ids) is garbage now.
            for name in replaced.keys() {
                if !self.manifest.indexes.contains_key(name) {
                    let path = self.dir.join(name);
                    std::fs::remove_file(&path).map_err(|e| io_err(&path, "remove", e))?;
                }
            }
        }
        Ok(())
    }

    /// The commits this chain can be rolled back to, oldest first (the last
    /// [`CHECKPOINTS_KEPT`](crate::CHECKPOINTS_KEPT)).
    pub fn checkpoints(&self) -> impl DoubleEndedIterator<Item = &Checkpoint> + ExactSizeIterator {
        self.manifest.checkpoints.iter()
    }

    /// Return the chain to checkpoint `index` of [`ChainWriter::checkpoints`]: every record,
    /// transaction, address, asset, payload and cursor committed after it is dropped, outputs
    /// spent only by dropped inputs are unspent again, and the checkpoint's cursors come back,
    /// with `cursors` set over them. Whatever was appended and not committed is dropped too.
    ///
    /// One atomic manifest replace is the rollback: a process killed during it leaves the
    /// chain as it was or rolled back (with its indexes behind, which the next writer's
    /// [`ChainWriter::update_indexes`] or [`ChainWriter::finish`] rebuilds). Returns the writer
    /// of the rolled-back chain, its indexes rebuilt.
    pub fn roll_back(
        self,
        index: usize,
        cursors: &[(&str, serde_json::Value)],
    ) -> Result<ChainWriter, StoreError> {
        let restored = checkpoint::rolled_back(&self.dir, &self.manifest, index, cursors)?;
        write_json(&self.dir.join(CHAIN_MANIFEST), &restored)?;
        let (dir, chain, segment_bytes) = (self.dir.clone(), self.chain, restored.segment_bytes);
        // The lock goes with the old writer; the new one takes it again.
        drop(self);
        let mut writer = ChainWriter::open(dir, chain, segment_bytes)?;
        writer.update_indexes()?;
        Ok(writer)
    }

    /// The chain's directory, `<store>/chains/<chain>`.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

#[cfg(test)]
mod tests {
    //! The txid table against a reference model of spent-output linking, with prefixes cut to
    //! two bits so that every lookup meets colliding keys, and kill-and-resume runs.
    use std::collections::HashMap;

    use chaintrail_core::{BlockRef, OutPoint, UtxoInput, UtxoOutput};
    use proptest::prelude::*;

    use super::*;
    use crate::Store;
    use crate::outpoints::PREFIX_MASK;

    const REGTEST: Chain = Chain::Bitcoin(BitcoinNetwork::Regtest);

    fn txid(n: u32) -> TxHash {
        let mut raw = [0u8; 32];
        raw[..4].copy_from_slice(&n.to_le_bytes());
        raw[4..8].copy_from_slice(&n.wrapping_mul(0x9e37_79b9).to_le_bytes());
        raw[31] = 1;
        TxHash(raw)
    }

    fn address(n: u8) -> Address {
        Address::Bitcoin {
            network: BitcoinNetwork::Regtest,
            kind: if n == 0 {
                BitcoinAddress::NullData
            } else {
                BitcoinAddress::P2wpkh([n; 20])
            },
        }
    }

    #[derive(Debug, Clone)]
    enum In {
        Coinbase,
        /// The k-th (mod len) output the reference still holds unspent.
        Unspent(usize),
        /// Any outpoint of a txid from the pool: unknown, spent, OP_RETURN or past the outputs.
        Any(u32, u32),
    }

    #[derive(Debug, Clone)]
    struct Spec {
        /// Reuse the txid of an earlier tx (mod count) instead of a fresh one.
        reuse: Option<usize>,
        inputs: Vec<In>,
        /// Address numbers of the outputs; 0 is OP_RETURN.
        outputs: Vec<u8>,
        new_block: bool,
        commit: bool,
        crash: bool,
    }

    fn specs() -> impl Strategy<Value = Vec<Spec>> {
        let input = prop_oneof![
            1 => Just(In::Coinbase),
            6 => any::<usize>().prop_map(In::Unspent),
            2 => (0u32..40, 0u32..4).prop_map(|(t, v)| In::Any(t, v)),
        ];
        let spec = (
            proptest::option::weighted(0.1, any::<usize>()),
            proptest::collection::vec(input, 1..4),
            proptest::collection::vec(0u8..4, 0..4),
            proptest::bool::weighted(0.3),
            proptest::bool::weighted(0.1),
            proptest::bool::weighted(0.05),
        )
            .prop_map(|(reuse, inputs, outputs, new_block, commit, crash)| Spec {
                reuse,
                inputs,
                outputs,
                new_block,
                commit,
                crash,
            });
        proptest::collection::vec(spec, 1..120)
    }

    /// What appending should do, computed without the store: live txid → (id, first output
    /// row, outputs, unspent count).
    #[derive(Default)]
    struct Model {
        live: HashMap<[u8; 32], (TxId, u64, u64, u32)>,
        unspent: Vec<(TxHash, u32)>,
        txs: TxId,
        outputs: u64,
        links: Vec<u64>,
        duplicates: u64,
    }

    enum Outcome {
        Stored,
        Duplicate,
        BadInput,
    }

    impl Model {
        fn append(&mut self, tx: &UtxoTx) -> Outcome {
            if self.live.contains_key(&tx.hash.0) {
                self.duplicates += 1;
                return Outcome::Duplicate;
            }
            let mut links = Vec::new();
            for input in &tx.inputs {
                links.push(match &input.prevout {
                    None => schema::INPUT_COINBASE,
                    Some(p) => match self.live.get(&p.tx.0) {
                        Some(&(_, _, n, _)) if u64::from(p.vout) >= n => {
                            return Outcome::BadInput;
                        }
                        Some(&(id, start, _, _)) => {
                            let _ = id;
                            start + u64::from(p.vout)
                        }
                        None => schema::INPUT_UNLINKED,
                    },
                });
            }
            for (input, &link) in tx.inputs.iter().zip(&links) {
                if link >= schema::INPUT_UNLINKED {
                    continue;
                }
                let Some(p) = &input.prevout else { continue };
                self.unspent.retain(|o| *o != (p.tx, p.vout));
                if let Some(entry) = self.live.get_mut(&p.tx.0) {
                    entry.3 -= 1;
                    if entry.3 == 0 {
                        self.live.remove(&p.tx.0);
                    }
                }
            }
            self.links.extend(links);
            let spendable = tx
                .outputs
                .iter()
                .filter(|o| !is_null_data(&o.address))
                .count() as u32;
            if spendable > 0 {
                self.live.insert(
                    tx.hash.0,
                    (self.txs, self.outputs, tx.outputs.len() as u64, spendable),
                );
            }
            for (vout, output) in tx.outputs.iter().enumerate() {
                if !is_null_data(&output.address) {
                    self.unspent.push((tx.hash, vout as u32));
                }
            }
            self.txs += 1;
            self.outputs += tx.outputs.len() as u64;
            Outcome::Stored
        }
    }

    /// An OP_RETURN payload of 0 to 6 bytes that differs between transactions.
    fn payload(n: usize) -> Vec<u8> {
        (0..n % 7).map(|i| (n * 31 + i) as u8).collect()
    }

    /// Concrete transactions from the specs, with the model's expected outcome of each.
    fn build(specs: &[Spec]) -> (Vec<UtxoTx>, Model) {
        let mut model = Model::default();
        let mut txs: Vec<UtxoTx> = Vec::new();
        let mut height = 0;
        for (n, spec) in specs.iter().enumerate() {
            height += u64::from(spec.new_block);
            let hash = match spec.reuse {
                Some(k) if !txs.is_empty() => txs[k % txs.len()].hash,
                _ => txid(n as u32),
            };
            let inputs = spec
                .inputs
                .iter()
                .map(|input| {
                    let prevout = match *input {
                        In::Coinbase => None,
                        In::Unspent(_) if model.unspent.is_empty() => None,
                        In::Unspent(k) => {
                            let (tx, vout) = model.unspent[k % model.unspent.len()];
                            Some(OutPoint { tx, vout })
                        }
                        In::Any(t, vout) => Some(OutPoint { tx: txid(t), vout }),
                    };
                    UtxoInput {
                        prevout,
                        value: None,
                        address: None,
                    }
                })
                .collect();
            let tx = UtxoTx {
                fingerprint: None,
                hash,
                block: BlockRef {
                    height,
                    timestamp: height * 600,
                },
                inputs,
                outputs: spec
                    .outputs
                    .iter()
                    .map(|&a| UtxoOutput {
                        value: u64::from(a) * 1_000,
                        address: address(a),
                        data: (a == 0).then(|| payload(n)),
                    })
                    .collect(),
            };
            model.append(&tx);
            txs.push(tx);
        }
        (txs, model)
    }

    fn open(store: &Store, mask: u64) -> ChainWriter {
        PREFIX_MASK.with(|m| m.set(mask));
        let writer = store.writer(REGTEST).expect("writer");
        PREFIX_MASK.with(|m| m.set(u64::MAX));
        writer
    }

    fn run(specs: &[Spec], mask: u64) {
        let (txs, model) = build(specs);

        // Uninterrupted, checked tx by tx against the model.
        let clean_dir = tempfile::tempdir().expect("tmp");
        let clean = Store::init(clean_dir.path()).expect("store");
        let mut writer = open(&clean, mask);
        let mut check = Model::default();
        let mut payloads: Vec<(u64, Vec<u8>)> = Vec::new();
        for tx in &txs {
            let result = writer.append_utxo_tx(tx);
            let first_output = check.outputs;
            match check.append(tx) {
                Outcome::Stored => {
                    assert!(result.expect("append"), "{tx:?}");
                    payloads.extend(
                        tx.outputs
                            .iter()
                            .zip(first_output..)
                            .filter_map(|(output, row)| {
                                output.data.clone().map(|data| (row, data))
                            }),
                    );
                }
                Outcome::Duplicate => assert!(!result.expect("append"), "{tx:?}"),
                Outcome::BadInput => assert!(result.is_err(), "{tx:?}"),
            }
            let mut expected: Vec<(TxId, u32)> = check.live.values().map(|e| (e.0, e.3)).collect();
            expected.sort_unstable();
            assert_eq!(writer.txs.entries(), expected);
        }
        let appended = writer.txs.entries();
        writer
            .commit("t", serde_json::json!(txs.len()))
            .expect("commit");
        drop(writer);
        assert_eq!(open(&clean, mask).txs.entries(), appended, "rebuild");
        let progress = open(&clean, mask)
            .finish("t", serde_json::json!(txs.len()))
            .expect("finish");
        assert_eq!(progress.duplicate_txs_skipped, model.duplicates);
        let reader = clean.reader(REGTEST).expect("reader");
        let links: Vec<u64> = (0..reader.input_count())
            .map(|row| {
                let input = reader.input(row).expect("input");
                match (input.coinbase, input.spent_output) {
                    (true, _) => schema::INPUT_COINBASE,
                    (false, Some(output)) => output,
                    (false, None) => schema::INPUT_UNLINKED,
                }
            })
            .collect();
        assert_eq!(links, model.links);
        let stored: Vec<(u64, Vec<u8>)> = reader
            .null_data()
            .map(|(row, data)| (row, data.to_vec()))
            .collect();
        assert_eq!(stored, payloads);
        let by_row: HashMap<u64, &[u8]> = payloads.iter().map(|(r, d)| (*r, &d[..])).collect();
        for row in 0..reader.output_count() {
            assert_eq!(
                reader.output_data(row),
                by_row.get(&row).copied(),
                "row {row}"
            );
        }

        // Killed without committing at the crash points, resumed from the last commit.
        let dir = tempfile::tempdir().expect("tmp");
        let store = Store::init(dir.path()).expect("store");
        let mut writer = open(&store, mask);
        let (mut next, mut committed) = (0usize, 0usize);
        let mut crashed = vec![false; txs.len()];
        while next < txs.len() {
            let _ = writer.append_utxo_tx(&txs[next]);
            if specs[next].commit {
                writer
                    .commit("t", serde_json::json!(next + 1))
                    .expect("commit");
                committed = next + 1;
            }
            if specs[next].crash && !crashed[next] {
                crashed[next] = true;
                drop(writer);
                writer = open(&store, mask);
                let cursor = writer.cursor("t").and_then(|c| c.as_u64()).unwrap_or(0);
                assert_eq!(cursor as usize, committed);
                next = committed;
                continue;
            }
            next += 1;
        }
        writer
            .finish("t", serde_json::json!(txs.len()))
            .expect("finish");
        let resumed = store.reader(REGTEST).expect("reader");
        assert_eq!(resumed.content_checksum(), reader.content_checksum());
        assert_eq!(open(&store, mask).txs.entries(), appended);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn linking_matches_the_model(specs in specs()) {
            run(&specs, u64::MAX);
        }

        #[test]
        fn linking_matches_the_model_with_colliding_prefixes(specs in specs()) {
            run(&specs, 0b11);
        }
    }

    #[test]
    fn account_dedup_survives_colliding_prefixes_and_reopen() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = Store::init(dir.path()).expect("store");
        let eth = Chain::Evm(1);
        let tx = |n: u32| AccountTx {
            hash: txid(n),
            block: BlockRef {
                height: u64::from(n),
                timestamp: u64::from(n),
            },
            transfers: vec![],
        };
        PREFIX_MASK.with(|m| m.set(0b1));
        let mut writer = store.writer(eth).expect("writer");
        for n in 0..200 {
            assert!(writer.append_account_tx(&tx(n)).expect("append"));
        }
        assert!(!writer.append_account_tx(&tx(17)).expect("append"));
        writer.commit("t", serde_json::json!(0)).expect("commit");
        drop(writer);
        let mut writer = store.writer(eth).expect("writer");
        PREFIX_MASK.with(|m| m.set(u64::MAX));
        assert_eq!(writer.progress().txs, 200);
        assert!(!writer.append_account_tx(&tx(199)).expect("append"));
        assert!(writer.append_account_tx(&tx(200)).expect("append"));
        assert_eq!(writer.progress().duplicate_txs_skipped, 2);
    }
}
