//! The `bitcoin-etl` importer: `bitcoin-etl export_blocks_and_transactions` JSON-lines output.
//!
//! `transactions.json` holds one transaction per line with its block number and timestamp,
//! inputs (`spent_transaction_hash`, `spent_output_index`, and — when the export enriched them —
//! `value` and `addresses`) and outputs (`script_hex`, `type`, `addresses`, `value`). Values are
//! integer satoshi and are read as integers, never through floating point (bitcoin-etl itself
//! once lost precision converting Dogecoin's decimal amounts through floats). Outputs are
//! classified from `script_hex` whenever present, so that an import gives the same addresses as
//! reading the blocks (a P2PK output stays P2PK even though bitcoin-etl lists its P2PKH form).
//! An OP_RETURN output keeps its payload ([`crate::null_data_payload`] of `script_hex`; without
//! `script_hex`, the hex pushes of a `script_asm` of the form `OP_RETURN <hex>…`).
//! `blocks.json`, when present beside it (or `"type": "block"` lines in a stream export), is
//! used to check that every block's transactions are all there. Partitioned exports
//! (`bitcoinetl export_all`) and `stream` captures are read too ([`crate::etl_files`]).
//!
//! The export is read block by block with bounded memory ([`chaintrail_ingest::ordered`]):
//! parallel exports may write blocks out of order, and the merge puts them back in height order;
//! within a block, transactions are appended by their `index`.

use std::path::Path;

use chaintrail_core::{
    Address, BitcoinNetwork, BlockRef, Chain, OutPoint, TxFingerprint, TxHash, UtxoInput,
    UtxoOutput, UtxoTx,
};
use chaintrail_ingest::ordered::{BlockOrder, total_bytes};
use chaintrail_ingest::{ImportError, ImportOptions, ImportReport, Importer};
use chaintrail_store::Store;
use serde::{Deserialize, Deserializer, Serialize};

use crate::convert::{classify_script, null_data_payload};
use crate::etl_files::{BtcRow, TRANSACTIONS, find_export};

/// `chaintrail import --format bitcoin-etl`: for the given network.
#[derive(Debug, Clone, Copy)]
pub struct BitcoinEtl {
    /// The network of the export's addresses.
    pub network: BitcoinNetwork,
}

impl BitcoinEtl {
    /// The importer for Bitcoin mainnet exports.
    pub const MAINNET: BitcoinEtl = BitcoinEtl {
        network: BitcoinNetwork::Mainnet,
    };
}

impl Default for BitcoinEtl {
    fn default() -> Self {
        BitcoinEtl::MAINNET
    }
}

impl Importer for BitcoinEtl {
    fn name(&self) -> &'static str {
        "bitcoin-etl"
    }

    fn describe(&self) -> &'static str {
        "bitcoin-etl JSON lines: a directory with transactions.json (and blocks.json), partitioned \
         like export_all, or the file (also `stream` output)"
    }

    fn import(
        &self,
        store: &Store,
        path: &Path,
        options: &ImportOptions<'_>,
    ) -> Result<ImportReport, ImportError> {
        import(store, path, self.network, options)
    }
}

/// A satoshi amount: a JSON integer or a string of digits; anything fractional is refused.
fn satoshi<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Int(u64),
        Text(String),
        Float(f64),
    }
    match Option::<Raw>::deserialize(d)? {
        None => Ok(None),
        Some(Raw::Int(v)) => Ok(Some(v)),
        Some(Raw::Text(s)) => s.parse().map(Some).map_err(|_| {
            serde::de::Error::custom(format!("value `{s}` is not an integer amount of satoshi"))
        }),
        Some(Raw::Float(f)) => Err(serde::de::Error::custom(format!(
            "value {f} is not an integer amount of satoshi (bitcoin-etl writes satoshi)"
        ))),
    }
}

#[derive(Debug, Deserialize)]
pub struct EtlInput {
    pub spent_transaction_hash: Option<String>,
    pub spent_output_index: Option<u32>,
    #[serde(default)]
    pub addresses: Option<Vec<String>>,
    #[serde(default, deserialize_with = "satoshi")]
    pub value: Option<u64>,
    /// nSequence.
    #[serde(default)]
    pub sequence: Option<i64>,
}

#[derive(Debug, Deserialize)]
pub struct EtlOutput {
    #[serde(default)]
    pub script_hex: Option<String>,
    #[serde(default)]
    pub script_asm: Option<String>,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub addresses: Option<Vec<String>>,
    #[serde(default, deserialize_with = "satoshi")]
    pub value: Option<u64>,
}

/// One line of `transactions.json`.
#[derive(Debug, Deserialize)]
pub struct EtlTransaction {
    /// The transaction id.
    pub hash: String,
    /// The block's height.
    pub block_number: u64,
    /// The block's time (Unix seconds).
    pub block_timestamp: u64,
    /// nVersion (Core prints it signed before v28, unsigned since).
    #[serde(default)]
    pub version: Option<i64>,
    /// nLockTime.
    #[serde(default)]
    pub lock_time: Option<i64>,
    /// Whether it is its block's coinbase.
    #[serde(default)]
    pub is_coinbase: bool,
    /// Its inputs, in order.
    #[serde(default)]
    pub inputs: Vec<EtlInput>,
    /// Its outputs, in order.
    #[serde(default)]
    pub outputs: Vec<EtlOutput>,
}

/// A bitcoin-etl transaction line whose fields do not make a transaction: names the field (and
/// the input or output).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadEtlTransaction(String);

impl EtlTransaction {
    /// The value-flow record of this line.
    pub fn to_utxo_tx(&self, network: BitcoinNetwork) -> Result<UtxoTx, BadEtlTransaction> {
        self.utxo_tx(network).map_err(BadEtlTransaction)
    }

    fn utxo_tx(&self, network: BitcoinNetwork) -> Result<UtxoTx, String> {
        let hash: TxHash = self.hash.parse().map_err(|e| format!("`hash`: {e}"))?;
        let inputs = if self.is_coinbase {
            vec![UtxoInput {
                prevout: None,
                value: None,
                address: None,
            }]
        } else {
            self.inputs
                .iter()
                .enumerate()
                .map(|(i, input)| {
                    let tx = input
                        .spent_transaction_hash
                        .as_deref()
                        .ok_or(format!("input {i} has no spent_transaction_hash"))?
                        .parse()
                        .map_err(|e| format!("input {i}: {e}"))?;
                    let vout = input
                        .spent_output_index
                        .ok_or(format!("input {i} has no spent_output_index"))?;
                    // Only used when the spent output is not in the store: bitcoin-etl lists a
                    // P2PK output under its P2PKH address, and that is what is kept then.
                    let address = input
                        .addresses
                        .as_ref()
                        .filter(|a| a.len() == 1)
                        .and_then(|a| Address::parse(Chain::Bitcoin(network), &a[0]).ok());
                    Ok(UtxoInput {
                        prevout: Some(OutPoint { tx, vout }),
                        value: input.value,
                        address,
                    })
                })
                .collect::<Result<_, String>>()?
        };
        let outputs = self
            .outputs
            .iter()
            .enumerate()
            .map(|(i, output)| {
                let value = output.value.ok_or(format!("output {i} has no value"))?;
                let (address, data) =
                    output_script(output, network).map_err(|e| format!("output {i}: {e}"))?;
                Ok(UtxoOutput {
                    value,
                    address,
                    data,
                })
            })
            .collect::<Result<_, String>>()?;
        Ok(UtxoTx {
            fingerprint: self.fingerprint()?,
            hash,
            block: BlockRef {
                height: self.block_number,
                timestamp: self.block_timestamp,
            },
            inputs,
            outputs,
        })
    }
}

impl EtlTransaction {
    /// The wallet fingerprint, when the line has `version`, `lock_time` and every input's
    /// `sequence` (bitcoin-etl writes them all; a line without them gets none, not a guess).
    fn fingerprint(&self) -> Result<Option<TxFingerprint>, String> {
        let (Some(version), Some(lock_time)) = (self.version, self.lock_time) else {
            return Ok(None);
        };
        let version = i32::try_from(version)
            .or_else(|_| u32::try_from(version).map(|v| i32::from_le_bytes(v.to_le_bytes())))
            .map_err(|_| format!("`version` {version} is not a 32-bit nVersion"))?;
        let lock_time = u32::try_from(lock_time)
            .map_err(|_| format!("`lock_time` {lock_time} is not a 32-bit nLockTime"))?;
        let sequences = self
            .inputs
            .iter()
            .enumerate()
            .map(|(i, input)| {
                input
                    .sequence
                    .map(|s| {
                        u32::try_from(s).map_err(|_| {
                            format!("input {i}: `sequence` {s} is not a 32-bit nSequence")
                        })
                    })
                    .transpose()
            })
            .collect::<Result<Option<Vec<u32>>, String>>()?;
        Ok(sequences.map(|sequences| TxFingerprint::new(version, lock_time, sequences)))
    }
}

/// The address of an output and, for an OP_RETURN output, its payload: from `script_hex` when
/// present (exactly as reading the block gives), else from `script_asm`, `type` and `addresses`.
fn output_script(
    output: &EtlOutput,
    network: BitcoinNetwork,
) -> Result<(Address, Option<Vec<u8>>), String> {
    if let Some(script) = &output.script_hex {
        let bytes = hex::decode(script).map_err(|e| format!("script_hex: {e}"))?;
        let script = bitcoin::Script::from_bytes(&bytes);
        return Ok((classify_script(script, network), null_data_payload(script)));
    }
    let asm = output.script_asm.as_deref().unwrap_or_default();
    if output.kind.as_deref() == Some("nulldata") || asm_is_op_return(asm) {
        let address = Address::Bitcoin {
            network,
            kind: chaintrail_core::BitcoinAddress::NullData,
        };
        let data = asm_payload(asm);
        if data.is_none() {
            tracing::warn!(
                asm,
                "OP_RETURN output without script_hex whose script_asm is not `OP_RETURN <hex>…`: \
                 its payload is not kept (export with script_hex to keep it)"
            );
        }
        return Ok((address, data));
    }
    match output.addresses.as_deref() {
        Some([one]) => Address::parse(Chain::Bitcoin(network), one)
            .map(|address| (address, None))
            .map_err(|e| e.to_string()),
        _ => Err(format!(
            "no script_hex and no single address to classify it by (type {:?})",
            output.kind
        )),
    }
}

fn asm_is_op_return(asm: &str) -> bool {
    asm.split_whitespace().next() == Some("OP_RETURN")
}

/// The payload of a Core-style `script_asm` of an OP_RETURN output: `OP_RETURN` then the pushes.
/// Core prints pushes of up to 4 bytes as decimal numbers and OP_1..OP_16 as `1`..`16`, which
/// cannot be told apart (nor a 10-digit hex push from a number), so only pushes printed
/// unambiguously as hex are read; anything else gives `None` (payload unknown).
pub fn asm_payload(asm: &str) -> Option<Vec<u8>> {
    let mut tokens = asm.split_whitespace();
    if tokens.next() != Some("OP_RETURN") {
        return None;
    }
    let mut payload = Vec::new();
    for token in tokens {
        let unambiguous_hex = token.len() % 2 == 0
            && token.bytes().all(|b| b.is_ascii_hexdigit())
            && (token.len() > 10 || token.bytes().any(|b| b.is_ascii_alphabetic()));
        if !unambiguous_hex {
            return None;
        }
        payload.extend(hex::decode(token).ok()?);
    }
    Some(payload)
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct EtlCursor {
    /// Last complete block.
    height: u64,
    source_bytes: u64,
}

fn import(
    store: &Store,
    path: &Path,
    network: BitcoinNetwork,
    options: &ImportOptions<'_>,
) -> Result<ImportReport, ImportError> {
    let (key_path, files) = find_export(path)?;
    let source_bytes = total_bytes(&files)?;
    let mut order = BlockOrder::scan(files)?;
    let total = order.tables().get(&TRANSACTIONS).map_or(0, |t| t.rows);

    let chain = Chain::Bitcoin(network);
    let mut writer = store.writer(chain)?;
    let canonical = key_path
        .canonicalize()
        .map_err(|source| ImportError::Read {
            path: key_path.clone(),
            source,
        })?;
    let cursor_key = format!("bitcoin-etl:{}", canonical.display());
    let saved = writer
        .cursor(&cursor_key)
        .and_then(|v| serde_json::from_value::<EtlCursor>(v.clone()).ok());
    let resume_after = match saved {
        Some(saved) if saved.source_bytes == source_bytes => Some(saved.height),
        Some(_) => {
            tracing::warn!(
                "{} changed since it was last imported; importing it from the start \
                 (stored transactions are recognised by hash and skipped)",
                path.display()
            );
            None
        }
        None => None,
    };
    let mut txs_read = 0u64;
    let mut done = 0u64;
    let mut since_checkpoint = 0u64;
    let mut cursor = saved.filter(|_| resume_after.is_some());
    let mut blocks = order.read_from(resume_after.map_or(0, |h| h + 1));
    while let Some((height, rows)) = blocks.next_block()? {
        let mut declared = None;
        let mut txs = Vec::with_capacity(rows.len());
        for placed in rows {
            match placed.row {
                BtcRow::Block(count) => declared = declared.or(count),
                BtcRow::Transaction(tx, index) => {
                    txs.push((index.unwrap_or(u64::MAX), placed.file, placed.line, tx));
                }
            }
        }
        if let Some(declared) = declared
            && declared != txs.len() as u64
        {
            return Err(ImportError::Source(format!(
                "{}: block {height} has {declared} transactions (blocks.json) but the export \
                 holds {}: the export is incomplete or mixes runs; re-export that range (the \
                 blocks before it are imported)",
                path.display(),
                txs.len()
            )));
        }
        // Stable: transactions without an index keep their file order.
        txs.sort_by_key(|(index, ..)| *index);
        for (_, file, line, record) in txs {
            let tx = record
                .utxo_tx(network)
                .map_err(|message| ImportError::Parse {
                    path: blocks.file(file).path.clone(),
                    line,
                    message,
                })?;
            writer.append_utxo_tx(&tx)?;
            txs_read += 1;
            done += 1;
            since_checkpoint += 1;
        }
        cursor = Some(EtlCursor {
            height,
            source_bytes,
        });
        if since_checkpoint >= options.checkpoint_every {
            writer.commit(&cursor_key, cursor_value(cursor))?;
            (options.on_progress)(done, total);
            since_checkpoint = 0;
        }
    }
    let totals = writer.finish(&cursor_key, cursor_value(cursor))?;
    (options.on_progress)(total, total);
    Ok(ImportReport {
        chain,
        format: "bitcoin-etl".to_string(),
        source: path.to_path_buf(),
        txs_read,
        resumed: resume_after.is_some(),
        totals,
    })
}

fn cursor_value(cursor: Option<EtlCursor>) -> serde_json::Value {
    cursor
        .and_then(|c| serde_json::to_value(c).ok())
        .unwrap_or(serde_json::Value::Null)
}
