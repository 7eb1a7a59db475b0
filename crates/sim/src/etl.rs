//! ethereum-etl CSV and bitcoin-etl JSON-lines exports of a simulated world, with exactly the
//! column sets and key orders those tools write (checked against their own test fixtures). The
//! ethereum-etl tables and columns are `chaintrail_core::ethereum_etl`'s; each row lists its
//! values in the order of its table's `ALL`.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use alloy_primitives::keccak256;
use bitcoin::hashes::{Hash, sha256};

use chaintrail_core::ethereum_etl::{
    blocks, logs, receipts, token_transfers, tokens, traces, transactions,
};
use chaintrail_core::{Address, BitcoinAddress, TxFingerprint};
use serde::Serialize;

use crate::error::io_err;
use crate::model::{BtcBlock, BtcTx, EvmBlock, WorldSink};
use crate::{GroundTruth, SimError};

pub const BITCOIN_BLOCK_KEYS: [&str; 12] = [
    "hash",
    "size",
    "stripped_size",
    "weight",
    "number",
    "version",
    "merkle_root",
    "timestamp",
    "nonce",
    "bits",
    "coinbase_param",
    "transaction_count",
];
pub const BITCOIN_TRANSACTION_KEYS: [&str; 17] = [
    "hash",
    "size",
    "virtual_size",
    "version",
    "lock_time",
    "block_number",
    "block_hash",
    "block_timestamp",
    "is_coinbase",
    "index",
    "inputs",
    "outputs",
    "input_count",
    "output_count",
    "input_value",
    "output_value",
    "fee",
];

const TRANSFER_TOPIC: [u8; 32] =
    <crate::abi::erc20::Transfer as alloy_sol_types::SolEvent>::SIGNATURE_HASH.0;
const EMPTY_UNCLES: &str = "0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347";
const EMPTY_TRIE: &str = "0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421";

fn h(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

struct Csv {
    path: PathBuf,
    w: csv::Writer<BufWriter<File>>,
}

impl Csv {
    fn create(path: PathBuf, header: &[&str]) -> Result<Csv, SimError> {
        let file = File::create(&path).map_err(|e| io_err("create", &path, e))?;
        let mut w = csv::WriterBuilder::new().from_writer(BufWriter::with_capacity(1 << 20, file));
        w.write_record(header).map_err(|source| SimError::Csv {
            path: path.clone(),
            source,
        })?;
        Ok(Csv { path, w })
    }

    fn row(&mut self, fields: &[&str]) -> Result<(), SimError> {
        self.w.write_record(fields).map_err(|source| SimError::Csv {
            path: self.path.clone(),
            source,
        })
    }

    fn flush(&mut self) -> Result<(), SimError> {
        self.w.flush().map_err(|e| io_err("write", &self.path, e))
    }
}

struct Jsonl {
    path: PathBuf,
    w: BufWriter<File>,
}

impl Jsonl {
    fn create(path: PathBuf) -> Result<Jsonl, SimError> {
        let file = File::create(&path).map_err(|e| io_err("create", &path, e))?;
        Ok(Jsonl {
            path,
            w: BufWriter::with_capacity(1 << 20, file),
        })
    }

    fn line<T: Serialize>(&mut self, value: &T) -> Result<(), SimError> {
        serde_json::to_writer(&mut self.w, value).map_err(|source| SimError::Json {
            what: "bitcoin-etl record",
            source,
        })?;
        self.w
            .write_all(b"\n")
            .map_err(|e| io_err("write", &self.path, e))
    }
}

/// How an export's files are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EtlLayout {
    /// One file per table, as `export_blocks_and_transactions` and friends write them:
    /// `ethereum/blocks.csv`, `bitcoin/transactions.json`.
    #[default]
    Single,
    /// One file per table and range of `blocks` blocks, as `ethereumetl export_all` and
    /// `bitcoinetl export_all` partition them:
    /// `ethereum/blocks/start_block=00000000/end_block=00000999/blocks_00000000_00000999.csv`.
    Partitioned { blocks: u64 },
}

impl EtlLayout {
    /// Where `table` of the block range starting at `start` goes under `root`.
    fn path(self, root: &Path, table: &str, ext: &str, start: u64) -> PathBuf {
        match self {
            EtlLayout::Single => root.join(format!("{table}.{ext}")),
            EtlLayout::Partitioned { blocks } => {
                let end = start + blocks.max(1) - 1;
                root.join(table)
                    .join(format!("start_block={start:08}"))
                    .join(format!("end_block={end:08}"))
                    .join(format!("{table}_{start:08}_{end:08}.{ext}"))
            }
        }
    }

    /// The first block of the range holding block `number`.
    fn range_start(self, number: u64) -> u64 {
        match self {
            EtlLayout::Single => 0,
            EtlLayout::Partitioned { blocks } => number / blocks.max(1) * blocks.max(1),
        }
    }
}

fn create_parent(path: &Path) -> Result<(), SimError> {
    match path.parent() {
        Some(parent) => std::fs::create_dir_all(parent).map_err(|e| io_err("create", parent, e)),
        None => Ok(()),
    }
}

fn csv_table(
    layout: EtlLayout,
    root: &Path,
    table: &str,
    start: u64,
    header: &[&str],
) -> Result<Csv, SimError> {
    let path = layout.path(root, table, "csv", start);
    create_parent(&path)?;
    Csv::create(path, header)
}

fn jsonl_table(layout: EtlLayout, root: &Path, table: &str, start: u64) -> Result<Jsonl, SimError> {
    let path = layout.path(root, table, "json", start);
    create_parent(&path)?;
    Jsonl::create(path)
}

/// The ethereum-etl tables of one block range.
struct EvmTables {
    start: u64,
    blocks: Csv,
    txs: Csv,
    receipts: Csv,
    logs: Csv,
    transfers: Csv,
    traces: Csv,
}

impl EvmTables {
    fn create(layout: EtlLayout, eth: &Path, start: u64) -> Result<EvmTables, SimError> {
        Ok(EvmTables {
            start,
            blocks: csv_table(layout, eth, blocks::TABLE, start, &blocks::ALL)?,
            txs: csv_table(layout, eth, transactions::TABLE, start, &transactions::ALL)?,
            receipts: csv_table(layout, eth, receipts::TABLE, start, &receipts::ALL)?,
            logs: csv_table(layout, eth, logs::TABLE, start, &logs::ALL)?,
            transfers: csv_table(
                layout,
                eth,
                token_transfers::TABLE,
                start,
                &token_transfers::ALL,
            )?,
            traces: csv_table(layout, eth, traces::TABLE, start, &traces::ALL)?,
        })
    }

    fn flush(&mut self) -> Result<(), SimError> {
        for c in [
            &mut self.blocks,
            &mut self.txs,
            &mut self.receipts,
            &mut self.logs,
            &mut self.transfers,
            &mut self.traces,
        ] {
            c.flush()?;
        }
        Ok(())
    }
}

/// The bitcoin-etl tables of one block range.
struct BtcTables {
    start: u64,
    blocks: Jsonl,
    txs: Jsonl,
}

impl BtcTables {
    fn create(layout: EtlLayout, btc: &Path, start: u64) -> Result<BtcTables, SimError> {
        Ok(BtcTables {
            start,
            blocks: jsonl_table(layout, btc, "blocks", start)?,
            txs: jsonl_table(layout, btc, "transactions", start)?,
        })
    }

    fn flush(&mut self) -> Result<(), SimError> {
        for j in [&mut self.blocks, &mut self.txs] {
            j.w.flush().map_err(|e| io_err("write", &j.path, e))?;
        }
        Ok(())
    }
}

/// Writes `ethereum/{blocks,transactions,receipts,logs,token_transfers,traces,tokens}.csv` and
/// `bitcoin/{blocks,transactions}.json` under a directory, or the same tables per block range
/// ([`EtlLayout`]).
pub struct EtlWriter {
    layout: EtlLayout,
    evm: EvmTables,
    btc: BtcTables,
    dir: PathBuf,
}

impl EtlWriter {
    pub fn create(dir: &Path) -> Result<EtlWriter, SimError> {
        EtlWriter::create_as(dir, EtlLayout::Single)
    }

    pub fn create_as(dir: &Path, layout: EtlLayout) -> Result<EtlWriter, SimError> {
        let eth = dir.join("ethereum");
        let btc = dir.join("bitcoin");
        for d in [&eth, &btc] {
            std::fs::create_dir_all(d).map_err(|e| io_err("create", d, e))?;
        }
        Ok(EtlWriter {
            layout,
            evm: EvmTables::create(layout, &eth, 0)?,
            btc: BtcTables::create(layout, &btc, 0)?,
            dir: dir.to_path_buf(),
        })
    }

    /// The ethereum-etl tables block `number` goes to (a new range's files once it starts).
    fn evm_tables(&mut self, number: u64) -> Result<&mut EvmTables, SimError> {
        let start = self.layout.range_start(number);
        if start != self.evm.start {
            self.evm.flush()?;
            self.evm = EvmTables::create(self.layout, &self.dir.join("ethereum"), start)?;
        }
        Ok(&mut self.evm)
    }

    fn btc_tables(&mut self, height: u64) -> Result<&mut BtcTables, SimError> {
        let start = self.layout.range_start(height);
        if start != self.btc.start {
            self.btc.flush()?;
            self.btc = BtcTables::create(self.layout, &self.dir.join("bitcoin"), start)?;
        }
        Ok(&mut self.btc)
    }

    /// Flush everything and write the `tokens` table (in the first range) for the world's tokens.
    pub fn finish(mut self, truth: &GroundTruth) -> Result<(), SimError> {
        let eth = self.dir.join("ethereum");
        let mut token_rows = csv_table(self.layout, &eth, tokens::TABLE, 0, &tokens::ALL)?;
        for asset in &truth.assets {
            if let (chaintrail_core::AssetKind::Token(Address::Evm(raw)), true) =
                (&asset.kind, asset.chain == truth.evm_chain)
            {
                let decimals = asset.decimals.to_string();
                token_rows.row(&[&h(raw), &asset.symbol, &asset.symbol, &decimals, "", ""])?;
            }
        }
        token_rows.flush()?;
        self.evm.flush()?;
        self.btc.flush()?;
        // ethereum-etl exports do not name their chain; importers read it from this file.
        let chain_id = eth.join("chain_id");
        let id = match truth.evm_chain {
            chaintrail_core::Chain::Evm(id) => id,
            chaintrail_core::Chain::Bitcoin(_) => 1,
        };
        std::fs::write(&chain_id, format!("{id}\n")).map_err(|e| io_err("write", &chain_id, e))?;
        Ok(())
    }
}

fn bloom_add(bloom: &mut [u8; 256], data: &[u8]) {
    let k = keccak256(data).0;
    for i in 0..3 {
        let bit = ((usize::from(k[2 * i]) << 8) | usize::from(k[2 * i + 1])) & 2047;
        bloom[255 - bit / 8] |= 1 << (bit % 8);
    }
}

impl WorldSink for EtlWriter {
    fn evm_block(&mut self, block: &EvmBlock) -> Result<(), SimError> {
        let tables = self.evm_tables(block.number)?;
        let bh = h(&block.hash);
        let number = block.number.to_string();
        let ts = block.timestamp.to_string();
        let mut bloom = [0u8; 256];
        let mut log_index = 0u64;
        let mut cumulative = 0u64;
        let mut size = 540u64;
        for (i, tx) in block.txs.iter().enumerate() {
            let index = i.to_string();
            let th = tx.flow.hash.to_hex_prefixed();
            size += 110 + tx.input.len() as u64;
            cumulative += tx.gas_used;
            tables.txs.row(&[
                &th,
                &tx.nonce.to_string(),
                &bh,
                &number,
                &index,
                &h(&tx.from),
                &h(&tx.to),
                &tx.value.to_string(),
                &tx.gas_limit.to_string(),
                &tx.effective_gas_price.to_string(),
                &h(&tx.input),
                &ts,
                &tx.max_fee_per_gas.to_string(),
                &tx.max_priority_fee_per_gas.to_string(),
                "2",
            ])?;
            tables.receipts.row(&[
                &th,
                &index,
                &bh,
                &number,
                &cumulative.to_string(),
                &tx.gas_used.to_string(),
                "",
                "",
                "1",
                &tx.effective_gas_price.to_string(),
                "",
                "",
                "",
                "",
            ])?;
            for log in &tx.logs {
                bloom_add(&mut bloom, &log.address);
                for t in &log.topics {
                    bloom_add(&mut bloom, t);
                }
                let topics: Vec<String> = log.topics.iter().map(|t| h(t)).collect();
                let li = log_index.to_string();
                tables.logs.row(&[
                    &li,
                    &th,
                    &index,
                    &bh,
                    &number,
                    &h(&log.address),
                    &h(&log.data),
                    &topics.join(","),
                ])?;
                if log.topics.len() == 3 && log.topics[0] == TRANSFER_TOPIC && log.data.len() == 32
                {
                    let value = alloy_primitives::U256::from_be_slice(&log.data);
                    tables.transfers.row(&[
                        &h(&log.address),
                        &h(&log.topics[1][12..]),
                        &h(&log.topics[2][12..]),
                        &value.to_string(),
                        &th,
                        &li,
                        &number,
                    ])?;
                }
                log_index += 1;
            }
            for t in &tx.traces {
                let addr: Vec<String> = t.trace_address.iter().map(ToString::to_string).collect();
                let id = format!("call_{th}_{}", addr.join("_"));
                tables.traces.row(&[
                    &number,
                    &th,
                    &index,
                    &h(&t.from),
                    &h(&t.to),
                    &t.value.to_string(),
                    &h(&t.input),
                    "0x",
                    "call",
                    t.call_type,
                    "",
                    &t.gas.to_string(),
                    &t.gas_used.to_string(),
                    &t.subtraces.to_string(),
                    &addr.join(","),
                    "",
                    "1",
                    &id,
                ])?;
            }
        }
        if let Some(genesis) = &block.genesis {
            for (i, t) in genesis.transfers.iter().enumerate() {
                let to = match &t.to {
                    Some(Address::Evm(raw)) => h(raw),
                    _ => String::new(),
                };
                tables.traces.row(&[
                    &number,
                    "",
                    "",
                    "",
                    &to,
                    &t.amount.to_string(),
                    "",
                    "",
                    "genesis",
                    "",
                    "",
                    "",
                    "",
                    "0",
                    "",
                    "",
                    "1",
                    &format!("genesis_{number}_{i}"),
                ])?;
            }
        }
        let roots = |tag: u8| {
            let mut buf = block.hash.to_vec();
            buf.push(tag);
            h(&keccak256(&buf).0)
        };
        tables.blocks.row(&[
            &number,
            &bh,
            &h(&block.parent_hash),
            "0x0000000000000000",
            EMPTY_UNCLES,
            &h(&bloom),
            &roots(1),
            &roots(2),
            &roots(3),
            &h(&block.miner),
            "0",
            "58750003716598352816469",
            &size.to_string(),
            "0x",
            &block.gas_limit.to_string(),
            &block.gas_used().to_string(),
            &ts,
            &block.txs.len().to_string(),
            &block.base_fee_per_gas.to_string(),
            EMPTY_TRIE,
            "",
        ])
    }

    fn btc_block(&mut self, block: &BtcBlock) -> Result<(), SimError> {
        let tables = self.btc_tables(block.height)?;
        let bh = hex::encode(block.hash);
        let mut base_total = 80u64 + 3;
        let mut wit_total = 0u64;
        for (index, tx) in block.txs.iter().enumerate() {
            let rec = btc_record(block, &bh, index, tx);
            base_total += rec.base;
            wit_total += rec.witness;
            tables.txs.line(&rec.json)?;
        }
        let mut param = vec![0x03];
        param.extend_from_slice(&(block.height as u32).to_le_bytes()[..3]);
        let merkle = keccak256(
            block
                .txs
                .iter()
                .flat_map(|t| t.flow.hash.0)
                .collect::<Vec<u8>>(),
        )
        .0;
        tables.blocks.line(&BtcBlockJson {
            hash: bh.clone(),
            size: base_total + wit_total,
            stripped_size: base_total,
            weight: base_total * 4 + wit_total,
            number: block.height,
            version: 536_870_912,
            merkle_root: hex::encode(merkle),
            timestamp: block.timestamp,
            nonce: format!(
                "{:x}",
                u32::from_le_bytes([block.hash[0], block.hash[1], block.hash[2], block.hash[3]])
            ),
            bits: "207fffff".to_string(),
            coinbase_param: hex::encode(param),
            transaction_count: block.txs.len() as u64,
        })
    }
}

#[derive(Serialize)]
struct BtcBlockJson {
    hash: String,
    size: u64,
    stripped_size: u64,
    weight: u64,
    number: u64,
    version: u32,
    merkle_root: String,
    timestamp: u64,
    nonce: String,
    bits: String,
    coinbase_param: String,
    transaction_count: u64,
}

#[derive(Serialize)]
struct BtcInputJson {
    index: usize,
    spent_transaction_hash: String,
    spent_output_index: u32,
    script_asm: String,
    script_hex: String,
    sequence: u32,
    required_signatures: Option<u32>,
    #[serde(rename = "type")]
    kind: Option<String>,
    addresses: Vec<String>,
    value: Option<u64>,
}

#[derive(Serialize)]
struct BtcOutputJson {
    index: usize,
    script_asm: String,
    script_hex: String,
    required_signatures: Option<u32>,
    #[serde(rename = "type")]
    kind: String,
    addresses: Vec<String>,
    value: u64,
}

#[derive(Serialize)]
struct BtcTxJson {
    hash: String,
    size: u64,
    virtual_size: u64,
    version: i32,
    lock_time: u32,
    block_number: u64,
    block_hash: String,
    block_timestamp: u64,
    is_coinbase: bool,
    index: usize,
    inputs: Vec<BtcInputJson>,
    outputs: Vec<BtcOutputJson>,
    input_count: usize,
    output_count: usize,
    input_value: u64,
    output_value: u64,
    fee: u64,
}

struct BtcRecord {
    json: BtcTxJson,
    base: u64,
    witness: u64,
}

/// Output script (asm, hex, bitcoin-etl type, addresses, required signatures) of an address.
fn script(
    address: &Address,
    payload: Option<&[u8]>,
) -> (String, String, String, Vec<String>, Option<u32>) {
    let text = address.to_string();
    match address {
        Address::Bitcoin { kind, .. } => match kind {
            BitcoinAddress::P2pkh(x) => (
                format!(
                    "OP_DUP OP_HASH160 {} OP_EQUALVERIFY OP_CHECKSIG",
                    hex::encode(x)
                ),
                format!("76a914{}88ac", hex::encode(x)),
                "pubkeyhash".into(),
                vec![text],
                Some(1),
            ),
            BitcoinAddress::P2sh(x) => (
                format!("OP_HASH160 {} OP_EQUAL", hex::encode(x)),
                format!("a914{}87", hex::encode(x)),
                "scripthash".into(),
                vec![text],
                Some(1),
            ),
            BitcoinAddress::P2tr(x) => (
                format!("1 {}", hex::encode(x)),
                format!("5120{}", hex::encode(x)),
                "witness_v1_taproot".into(),
                vec![text],
                Some(1),
            ),
            BitcoinAddress::NullData => {
                let data = payload.unwrap_or_default();
                let raw = null_data_script(data);
                let digest = sha256::Hash::hash(&raw).to_byte_array();
                (
                    format!("OP_RETURN {}", hex::encode(data)),
                    hex::encode(&raw),
                    "nonstandard".into(),
                    vec![format!("nonstandard{}", &hex::encode(digest)[..40])],
                    None,
                )
            }
            other => {
                let program = match other {
                    BitcoinAddress::P2wpkh(x) => x.to_vec(),
                    _ => Vec::new(),
                };
                (
                    format!("0 {}", hex::encode(&program)),
                    format!("0014{}", hex::encode(&program)),
                    "witness_v0_keyhash".into(),
                    vec![text],
                    Some(1),
                )
            }
        },
        Address::Evm(_) => (
            String::new(),
            String::new(),
            "nonstandard".into(),
            vec![text],
            None,
        ),
    }
}

/// `OP_RETURN <data>` with the minimal push Bitcoin Core relays: a direct push up to 75 bytes,
/// `OP_PUSHDATA1` above (standard payloads stop at 80 bytes).
fn null_data_script(data: &[u8]) -> Vec<u8> {
    let mut raw = vec![0x6a];
    let len = data.len();
    if let Ok(short @ 0..=75) = u8::try_from(len) {
        raw.push(short);
    } else if let Ok(one) = u8::try_from(len) {
        raw.extend_from_slice(&[0x4c, one]);
    } else if let Ok(two) = u16::try_from(len) {
        raw.push(0x4d);
        raw.extend_from_slice(&two.to_le_bytes());
    } else {
        raw.push(0x4e);
        raw.extend_from_slice(&(len as u32).to_le_bytes());
    }
    raw.extend_from_slice(data);
    raw
}

fn is_witness(address: &Address) -> bool {
    matches!(
        address,
        Address::Bitcoin {
            kind: BitcoinAddress::P2wpkh(_) | BitcoinAddress::P2tr(_) | BitcoinAddress::P2sh(_),
            ..
        }
    )
}

fn btc_record(block: &BtcBlock, block_hash: &str, index: usize, tx: &BtcTx) -> BtcRecord {
    let flow = &tx.flow;
    let coinbase = flow.is_coinbase();
    // Every simulated transaction has one; a bare final version-1 transaction otherwise.
    let fingerprint = flow.fingerprint.unwrap_or(TxFingerprint {
        version: 1,
        lock_time: 0,
        rbf: false,
    });
    let mut base = 10u64;
    let mut witness = 0u64;
    let mut inputs = Vec::new();
    if !coinbase {
        for (i, input) in flow.inputs.iter().enumerate() {
            let (kind, addresses) = match &input.address {
                Some(a) => {
                    let s = script(a, None);
                    (Some(s.2), s.3)
                }
                None => (None, Vec::new()),
            };
            base += 41;
            match &input.address {
                Some(a) if is_witness(a) => witness += 108,
                _ => base += 107,
            }
            let prevout = input.prevout.unwrap_or(chaintrail_core::OutPoint {
                tx: chaintrail_core::TxHash([0; 32]),
                vout: 0,
            });
            inputs.push(BtcInputJson {
                index: i,
                spent_transaction_hash: prevout.tx.to_hex(),
                spent_output_index: prevout.vout,
                script_asm: String::new(),
                script_hex: String::new(),
                sequence: fingerprint.sequence(),
                required_signatures: Some(1),
                kind,
                addresses,
                value: input.value,
            });
        }
    } else {
        base += 41 + 30;
    }
    if witness > 0 {
        witness += 2;
    }
    let mut outputs = Vec::new();
    for (i, out) in flow.outputs.iter().enumerate() {
        let (asm, hexs, kind, addresses, req) = script(&out.address, out.data.as_deref());
        base += 9 + hexs.len() as u64 / 2;
        outputs.push(BtcOutputJson {
            index: i,
            script_asm: asm,
            script_hex: hexs,
            required_signatures: req,
            kind,
            addresses,
            value: out.value,
        });
    }
    let input_value: u64 = if coinbase {
        0
    } else {
        flow.inputs.iter().filter_map(|i| i.value).sum()
    };
    let output_value: u64 = flow.outputs.iter().map(|o| o.value).sum();
    let weight = base * 4 + witness;
    BtcRecord {
        json: BtcTxJson {
            hash: flow.hash.to_hex(),
            size: base + witness,
            virtual_size: weight.div_ceil(4),
            version: fingerprint.version,
            lock_time: fingerprint.lock_time,
            block_number: block.height,
            block_hash: block_hash.to_string(),
            block_timestamp: block.timestamp,
            is_coinbase: coinbase,
            index,
            input_count: inputs.len(),
            output_count: outputs.len(),
            inputs,
            outputs,
            input_value,
            output_value,
            fee: if coinbase {
                0
            } else {
                input_value - output_value
            },
        },
        base,
        witness,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_op_return_payloads_use_pushdata1_and_parse_back() {
        for len in [46usize, 75, 76, 80] {
            let payload = vec![b'x'; len];
            let raw = null_data_script(&payload);
            let script = bitcoin::Script::from_bytes(&raw);
            assert!(script.is_op_return(), "{len}");
            let pushed: Vec<u8> = script
                .instructions()
                .filter_map(|i| i.ok()?.push_bytes().map(|b| b.as_bytes().to_vec()))
                .collect::<Vec<_>>()
                .concat();
            assert_eq!(pushed, payload, "{len}");
            let head = if len <= 75 { 2 } else { 3 };
            assert_eq!(raw.len(), head + len);
        }
    }
}
