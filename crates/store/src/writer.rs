use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::path::{Path, PathBuf};

use chaintrail_core::{
    AccountTx, Address, Amount, Asset, AssetKind, Chain, ChainModel, TxHash, UtxoTx,
};

use crate::error::{StoreError, io_err};
use crate::files::{AppendFile, FileState, MappedFile};
use crate::index::build_indexes;
use crate::manifest::{CHAIN_MANIFEST, ChainManifest, FORMAT, read_json, write_json};
use crate::schema::{self, AssetEntry, NO_ADDRESS, OverflowAmount, UnlinkedInput, WideAmount, col};

/// Counts of what a writer has appended so far (committed or not).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Progress {
    pub blocks: u64,
    pub txs: u64,
    pub transfers: u64,
    pub inputs: u64,
    pub outputs: u64,
    pub addresses: u64,
    pub duplicate_txs_skipped: u64,
}

/// Appends one chain's records. Rows become visible to readers at [`ChainWriter::commit`];
/// whatever was appended after the last commit is discarded if the process dies.
pub struct ChainWriter {
    dir: PathBuf,
    chain: Chain,
    manifest: ChainManifest,
    files: BTreeMap<&'static str, AppendFile>,
    address_ids: HashMap<Box<[u8]>, u32>,
    tx_ids: HashMap<[u8; 32], u32>,
    assets: HashMap<AssetKind, (u32, Asset)>,
    /// Global row of each transaction's first output (UTXO chains), for linking inputs.
    tx_first_output: Vec<u64>,
    last_block: Option<(u64, u64)>,
    block_first_record: (u64, u64),
    progress: Progress,
    _lock: File,
}

impl ChainWriter {
    pub(crate) fn open(dir: PathBuf, chain: Chain) -> Result<ChainWriter, StoreError> {
        std::fs::create_dir_all(&dir).map_err(|e| io_err(&dir, "create", e))?;
        let lock_path = dir.join("LOCK");
        let lock = File::create(&lock_path).map_err(|e| io_err(&lock_path, "create", e))?;
        lock.try_lock()
            .map_err(|_| StoreError::Locked(dir.clone()))?;
        let manifest_path = dir.join(CHAIN_MANIFEST);
        let manifest: ChainManifest = if manifest_path.exists() {
            read_json(&manifest_path)?
        } else {
            ChainManifest::new(chain)
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
                AppendFile::open(&dir.join(name), manifest.file(name))?,
            );
        }
        let mut writer = ChainWriter {
            dir,
            chain,
            manifest,
            files,
            address_ids: HashMap::new(),
            tx_ids: HashMap::new(),
            assets: HashMap::new(),
            tx_first_output: Vec::new(),
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
        let map = |name: &str| MappedFile::open(&dir.join(name), manifest.file(name));
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
            self.address_ids.insert(key.into(), id as u32);
            start = end;
        }
        self.progress.addresses = self.address_ids.len() as u64;
        if self.address_ids.is_empty() {
            // Id 0 is "no address" (mint source, burn sink, unknown spender of an unlinked
            // input); its key is empty and matches no real address.
            self.intern_key(&[])?;
        }

        let hashes = map(col::TX_HASH)?;
        for (id, hash) in hashes.as_slice::<[u8; 32]>().iter().enumerate() {
            self.tx_ids.insert(*hash, id as u32);
        }
        self.progress.txs = self.tx_ids.len() as u64;

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
            }
            ChainModel::Utxo => {
                self.progress.inputs = self.manifest.file(col::INPUT_SPENT).bytes / 8;
                self.progress.outputs = self.manifest.file(col::OUTPUT_VALUE).bytes / 8;
                let first_in = map(col::BLOCK_FIRST_INPUT)?;
                let first_out = map(col::BLOCK_FIRST_OUTPUT)?;
                let first_tx = map(col::BLOCK_FIRST_TX)?;
                let offsets = map(col::TX_OUTPUT_OFFSET)?;
                self.block_first_record = (
                    first_in.as_slice::<u64>().last().copied().unwrap_or(0),
                    first_out.as_slice::<u64>().last().copied().unwrap_or(0),
                );
                let block_first_tx = first_tx.as_slice::<u64>();
                let block_first_out = first_out.as_slice::<u64>();
                let mut block = 0usize;
                for (tx, &offset) in offsets.as_slice::<u32>().iter().enumerate() {
                    while block + 1 < block_first_tx.len() && block_first_tx[block + 1] <= tx as u64
                    {
                        block += 1;
                    }
                    let base = block_first_out.get(block).copied().unwrap_or(0);
                    self.tx_first_output.push(base + u64::from(offset));
                }
            }
        }
        Ok(())
    }

    pub fn chain(&self) -> Chain {
        self.chain
    }

    pub fn progress(&self) -> Progress {
        self.progress
    }

    /// The resume position an importer stored with its last commit.
    pub fn cursor(&self, key: &str) -> Option<&serde_json::Value> {
        self.manifest.cursors.get(key)
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
        if let Some(&id) = self.address_ids.get(key) {
            return Ok(id);
        }
        let id = u32::try_from(self.address_ids.len()).map_err(|_| StoreError::Full {
            what: "the number of addresses",
            limit: u64::from(u32::MAX),
        })?;
        self.file(col::ADDRESS_KEYS).append(key)?;
        let end = self.files[col::ADDRESS_KEYS].len();
        self.put_u64(col::ADDRESS_ENDS, end)?;
        self.address_ids.insert(key.into(), id);
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

    fn check_new_tx(&mut self, hash: &TxHash) -> Result<Option<u32>, StoreError> {
        if self.tx_ids.contains_key(&hash.0) {
            self.progress.duplicate_txs_skipped += 1;
            self.manifest.duplicate_txs_skipped += 1;
            return Ok(None);
        }
        let id = u32::try_from(self.progress.txs).map_err(|_| StoreError::Full {
            what: "the number of transactions",
            limit: u64::from(u32::MAX),
        })?;
        self.file(col::TX_HASH).append(&hash.0)?;
        self.tx_ids.insert(hash.0, id);
        Ok(Some(id))
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
        if self.tx_ids.contains_key(&tx.hash.0) {
            return self.check_new_tx(&tx.hash).map(|_| false);
        }
        if self.enter_block(tx.block.height, tx.block.timestamp, &tx.hash)? {
            let first = self.progress.transfers;
            self.put_u64(col::BLOCK_FIRST_TRANSFER, first)?;
            self.block_first_record.0 = first;
        }
        self.check_new_tx(&tx.hash)?;
        let offset = self.relative(
            "transfers per block",
            self.progress.transfers,
            self.block_first_record.0,
        )?;
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

    /// Append a UTXO transaction. Inputs are linked to the outputs they spend when those are in
    /// the store; otherwise what the source said about them is kept in `inputs.unlinked`.
    /// Returns `false` (and stores nothing) for a txid already stored (BIP30 duplicates, re-imports).
    pub fn append_utxo_tx(&mut self, tx: &UtxoTx) -> Result<bool, StoreError> {
        self.require(ChainModel::Utxo)?;
        if self.tx_ids.contains_key(&tx.hash.0) {
            return self.check_new_tx(&tx.hash).map(|_| false);
        }
        if self.enter_block(tx.block.height, tx.block.timestamp, &tx.hash)? {
            let (inputs, outputs) = (self.progress.inputs, self.progress.outputs);
            self.put_u64(col::BLOCK_FIRST_INPUT, inputs)?;
            self.put_u64(col::BLOCK_FIRST_OUTPUT, outputs)?;
            self.block_first_record = (inputs, outputs);
        }
        // Resolve inputs before storing anything, so that a bad input leaves no partial tx.
        let mut spent = Vec::with_capacity(tx.inputs.len());
        for (index, input) in tx.inputs.iter().enumerate() {
            let link = match &input.prevout {
                None => schema::INPUT_COINBASE,
                Some(prevout) => match self.tx_ids.get(&prevout.tx.0) {
                    Some(&prev) => {
                        let first = self.tx_first_output[prev as usize];
                        let end = self
                            .tx_first_output
                            .get(prev as usize + 1)
                            .copied()
                            .unwrap_or(self.progress.outputs);
                        let row = first + u64::from(prevout.vout);
                        if row >= end {
                            return Err(StoreError::Input(format!(
                                "input {index} of {} spends {}:{}, but that transaction has only \
                                 {} outputs",
                                tx.hash,
                                prevout.tx,
                                prevout.vout,
                                end - first
                            )));
                        }
                        row
                    }
                    None => schema::INPUT_UNLINKED,
                },
            };
            spent.push(link);
        }
        self.check_new_tx(&tx.hash)?;
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
        self.put_u32(col::TX_INPUT_OFFSET, input_offset)?;
        self.put_u32(col::TX_OUTPUT_OFFSET, output_offset)?;
        self.tx_first_output.push(self.progress.outputs);
        for output in &tx.outputs {
            let address = self.address_id(&output.address)?;
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
        self.progress.txs += 1;
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
            self.manifest.files.insert(name.to_string(), state);
        }
        self.manifest.cursors.insert(cursor_key.to_string(), cursor);
        write_json(&self.dir.join(CHAIN_MANIFEST), &self.manifest)
    }

    /// Commit, then rebuild the traversal indexes over everything committed.
    pub fn finish(
        mut self,
        cursor_key: &str,
        cursor: serde_json::Value,
    ) -> Result<Progress, StoreError> {
        self.commit(cursor_key, cursor)?;
        let records = match self.chain.model() {
            ChainModel::Account => self.progress.transfers,
            ChainModel::Utxo => self.progress.inputs + self.progress.outputs,
        };
        if self.manifest.indexed_records != records || self.manifest.indexes.is_empty() {
            let indexes = build_indexes(&self.dir, &self.manifest)?;
            self.manifest.indexes = indexes;
            self.manifest.indexed_records = records;
            write_json(&self.dir.join(CHAIN_MANIFEST), &self.manifest)?;
        }
        Ok(self.progress)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}
