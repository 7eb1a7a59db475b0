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
//! used to check that every block's transactions are all there.
//!
//! Parallel exports may write blocks out of order, so the importer first indexes the lines
//! (24 bytes per transaction) and then appends in height order.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use chaintrail_core::{
    Address, BitcoinNetwork, BlockRef, Chain, OutPoint, TxHash, UtxoInput, UtxoOutput, UtxoTx,
};
use chaintrail_ingest::{ImportError, ImportOptions, ImportReport, Importer, LineReader};
use chaintrail_store::Store;
use serde::{Deserialize, Deserializer, Serialize};

use crate::blk::ReadAt;
use crate::convert::{classify_script, null_data_payload};

/// `chaintrail import --format bitcoin-etl`: for the given network.
#[derive(Debug, Clone, Copy)]
pub struct BitcoinEtl {
    pub network: BitcoinNetwork,
}

impl BitcoinEtl {
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
        "bitcoin-etl JSON lines: a directory with transactions.json (and blocks.json), or the file"
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
    pub hash: String,
    pub block_number: u64,
    pub block_timestamp: u64,
    #[serde(default)]
    pub is_coinbase: bool,
    #[serde(default)]
    pub inputs: Vec<EtlInput>,
    #[serde(default)]
    pub outputs: Vec<EtlOutput>,
}

/// Just enough of a line to order it.
#[derive(Deserialize)]
struct LineKey {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    block_number: Option<u64>,
    number: Option<u64>,
    index: Option<u64>,
    transaction_count: Option<u64>,
}

impl EtlTransaction {
    /// The value-flow record of this line.
    pub fn to_utxo_tx(&self, network: BitcoinNetwork) -> Result<UtxoTx, String> {
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

/// Where a transaction line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct LineRef {
    height: u64,
    index: u64,
    offset: u64,
    len: u32,
    line: u32,
}

fn locate(path: &Path) -> (PathBuf, Option<PathBuf>) {
    if path.is_dir() {
        let blocks = path.join("blocks.json");
        (
            path.join("transactions.json"),
            blocks.is_file().then_some(blocks),
        )
    } else {
        let blocks = path
            .parent()
            .map(|p| p.join("blocks.json"))
            .filter(|b| b.is_file() && b != path);
        (path.to_path_buf(), blocks)
    }
}

type BlockCounts = BTreeMap<u64, u64>;

/// Index the lines of a JSON-lines file: transaction lines and declared block sizes.
fn index_lines(
    path: &Path,
    lines: &mut Vec<LineRef>,
    counts: &mut BlockCounts,
) -> Result<u64, ImportError> {
    let read_err = |source| ImportError::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(read_err)?;
    let size = file.metadata().map_err(read_err)?.len();
    let mut reader = LineReader::new(BufReader::with_capacity(1 << 20, file), path, 1);
    let mut offset = 0u64;
    while let Some(next) = reader.next_line()? {
        let (line, read) = (next.text.trim(), next.bytes);
        let number = u32::try_from(next.number).map_err(|_| ImportError::Parse {
            path: path.to_path_buf(),
            line: next.number,
            message: "more than 2^32 lines in one file; split it".to_string(),
        })?;
        if !line.is_empty() {
            let key: LineKey = serde_json::from_str(line).map_err(|e| ImportError::Parse {
                path: path.to_path_buf(),
                line: u64::from(number),
                message: format!("not a bitcoin-etl record: {e}"),
            })?;
            match (key.kind.as_deref(), key.block_number, key.number) {
                (Some("block"), _, Some(height)) | (None, None, Some(height)) => {
                    if let Some(count) = key.transaction_count {
                        counts.insert(height, count);
                    }
                }
                (Some("transaction") | None, Some(height), _) => lines.push(LineRef {
                    height,
                    index: key.index.unwrap_or(u64::MAX),
                    offset,
                    len: u32::try_from(read).map_err(|_| ImportError::Parse {
                        path: path.to_path_buf(),
                        line: u64::from(number),
                        message: "line longer than 4 GiB".to_string(),
                    })?,
                    line: number,
                }),
                _ => {
                    return Err(ImportError::Parse {
                        path: path.to_path_buf(),
                        line: u64::from(number),
                        message: "neither a transaction (block_number) nor a block (number)"
                            .to_string(),
                    });
                }
            }
        }
        offset += read as u64;
    }
    Ok(size)
}

fn import(
    store: &Store,
    path: &Path,
    network: BitcoinNetwork,
    options: &ImportOptions<'_>,
) -> Result<ImportReport, ImportError> {
    let (tx_path, blocks_path) = locate(path);
    let mut lines = Vec::new();
    let mut counts = BlockCounts::new();
    let source_bytes = index_lines(&tx_path, &mut lines, &mut counts)?;
    if let Some(blocks_path) = &blocks_path {
        let mut none = Vec::new();
        index_lines(blocks_path, &mut none, &mut counts)?;
    }
    // Stable sort: lines without an index keep their file order within the block.
    lines.sort_by_key(|l| (l.height, l.index));
    check_counts(&tx_path, &lines, &counts)?;

    let chain = Chain::Bitcoin(network);
    let mut writer = store.writer(chain)?;
    let canonical = tx_path.canonicalize().map_err(|source| ImportError::Read {
        path: tx_path.clone(),
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
                tx_path.display()
            );
            None
        }
        None => None,
    };
    let file = File::open(&tx_path).map_err(|source| ImportError::Read {
        path: tx_path.clone(),
        source,
    })?;
    let mut txs_read = 0u64;
    let mut since_checkpoint = 0u64;
    let mut cursor = saved.filter(|_| resume_after.is_some());
    let mut buf = Vec::new();
    let todo: Vec<&LineRef> = lines
        .iter()
        .filter(|l| resume_after.is_none_or(|h| l.height > h))
        .collect();
    for (i, line) in todo.iter().enumerate() {
        buf.resize(line.len as usize, 0);
        file.read_exact_at(&mut buf, line.offset)
            .map_err(|source| ImportError::Read {
                path: tx_path.clone(),
                source,
            })?;
        let parse_err = |message: String| ImportError::Parse {
            path: tx_path.clone(),
            line: u64::from(line.line),
            message,
        };
        let record: EtlTransaction = serde_json::from_slice(&buf)
            .map_err(|e| parse_err(format!("not a bitcoin-etl transaction: {e}")))?;
        let tx = record.to_utxo_tx(network).map_err(parse_err)?;
        writer.append_utxo_tx(&tx)?;
        txs_read += 1;
        since_checkpoint += 1;
        let block_done = todo
            .get(i + 1)
            .is_none_or(|next| next.height != line.height);
        if block_done {
            cursor = Some(EtlCursor {
                height: line.height,
                source_bytes,
            });
            if since_checkpoint >= options.checkpoint_every {
                writer.commit(&cursor_key, cursor_value(cursor))?;
                (options.on_progress)(i as u64 + 1, todo.len() as u64);
                since_checkpoint = 0;
            }
        }
    }
    let totals = writer.finish(&cursor_key, cursor_value(cursor))?;
    (options.on_progress)(todo.len() as u64, todo.len() as u64);
    Ok(ImportReport {
        chain,
        format: "bitcoin-etl".to_string(),
        source: path.to_path_buf(),
        txs_read,
        resumed: resume_after.is_some(),
        totals,
    })
}

/// Every block with declared transaction count must have exactly that many lines.
fn check_counts(path: &Path, lines: &[LineRef], counts: &BlockCounts) -> Result<(), ImportError> {
    let mut present: BTreeMap<u64, u64> = BTreeMap::new();
    for line in lines {
        *present.entry(line.height).or_default() += 1;
    }
    for (&height, &declared) in counts {
        let found = present.get(&height).copied().unwrap_or(0);
        if found != declared {
            return Err(ImportError::Source(format!(
                "{}: block {height} has {declared} transactions (blocks.json) but the export \
                 holds {found}: the export is incomplete or mixes runs; re-export that range",
                path.display()
            )));
        }
    }
    Ok(())
}

fn cursor_value(cursor: Option<EtlCursor>) -> serde_json::Value {
    cursor
        .and_then(|c| serde_json::to_value(c).ok())
        .unwrap_or(serde_json::Value::Null)
}
