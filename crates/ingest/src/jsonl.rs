//! The native `flow-jsonl` format: `{"chaintrail":"flow-jsonl","version":1,"chain":"…"}` on the
//! first line, then one transaction per line in block order.

use std::fs::File;
use std::io::{BufReader, BufWriter, Seek, SeekFrom, Write};
use std::path::Path;

use chaintrail_core::{AccountTx, Chain, ChainModel, UtxoTx};
use chaintrail_store::Store;
use serde::{Deserialize, Serialize};

use crate::lines::LineReader;
use crate::{ImportError, ImportOptions, ImportReport};

const MAGIC: &str = "flow-jsonl";

/// The first line of a `flow-jsonl` file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FlowHeader {
    /// Always `flow-jsonl`.
    pub chaintrail: String,
    /// The format version.
    pub version: u32,
    /// The chain of every record.
    pub chain: Chain,
}

/// One line of the format after the header.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FlowRecord {
    /// An account-chain transaction.
    Account(AccountTx),
    /// A UTXO transaction.
    Utxo(UtxoTx),
}

/// Write records as a `flow-jsonl` file (used by tests, benchmarks and the simulator's users).
pub fn write_flow_jsonl<'a>(
    path: &Path,
    chain: Chain,
    records: impl IntoIterator<Item = &'a FlowRecord>,
) -> std::io::Result<()> {
    let mut out = BufWriter::new(File::create(path)?);
    let header = FlowHeader {
        chaintrail: MAGIC.to_string(),
        version: 1,
        chain,
    };
    serde_json::to_writer(&mut out, &header)?;
    out.write_all(b"\n")?;
    for record in records {
        serde_json::to_writer(&mut out, record)?;
        out.write_all(b"\n")?;
    }
    out.flush()
}

/// Resume position stored with each checkpoint.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct Cursor {
    /// Byte offset of the next unread line.
    offset: u64,
    /// Line number (1-based) of the next unread line.
    line: u64,
    /// Size of the source when the import started: a different size means a different file.
    source_bytes: u64,
}

pub(crate) fn import(
    store: &Store,
    path: &Path,
    options: &ImportOptions<'_>,
) -> Result<ImportReport, ImportError> {
    let read_err = |source| ImportError::Read {
        path: path.to_path_buf(),
        source,
    };
    let parse_err = |line: u64, message: String| ImportError::Parse {
        path: path.to_path_buf(),
        line,
        message,
    };
    let file = File::open(path).map_err(read_err)?;
    let source_bytes = file.metadata().map_err(read_err)?.len();
    let mut lines = LineReader::new(BufReader::with_capacity(1 << 20, file), path, 1);
    let expected_header =
        "expected the flow-jsonl header {\"chaintrail\":\"flow-jsonl\",\"version\":1,\"chain\":…}";
    let (header, header_len): (FlowHeader, u64) = match lines.next_line()? {
        Some(line) => (
            serde_json::from_str(line.text)
                .map_err(|e| parse_err(1, format!("{expected_header}: {e}")))?,
            line.bytes as u64,
        ),
        None => {
            return Err(parse_err(
                1,
                format!("the file is empty; {expected_header}"),
            ));
        }
    };
    if header.chaintrail != MAGIC || header.version != 1 {
        return Err(parse_err(
            1,
            format!(
                "header says format `{}` version {}; this chaintrail reads flow-jsonl version 1",
                header.chaintrail, header.version
            ),
        ));
    }
    let chain = header.chain;
    let mut writer = store.writer(chain)?;
    let canonical = path.canonicalize().map_err(read_err)?;
    let cursor_key = format!("flow-jsonl:{}", canonical.display());
    let mut cursor = Cursor {
        offset: header_len,
        line: 2,
        source_bytes,
    };
    let mut resumed = false;
    let saved = writer
        .cursor(&cursor_key)
        .and_then(|saved| serde_json::from_value::<Cursor>(saved.clone()).ok());
    match saved {
        Some(saved) if saved.source_bytes == source_bytes => {
            cursor = saved;
            resumed = true;
            tracing::info!(line = saved.line, "resuming an interrupted import");
        }
        Some(_) => tracing::warn!(
            "{} changed since it was last imported; importing it from the start \
             (already stored transactions are recognised by hash and skipped)",
            path.display()
        ),
        None => {}
    }
    let mut reader = lines.into_inner();
    reader
        .seek(SeekFrom::Start(cursor.offset))
        .map_err(read_err)?;
    let mut lines = LineReader::new(reader, path, cursor.line);
    let mut since_checkpoint = 0u64;
    let mut txs_read = 0u64;
    while let Some(line) = lines.next_line()? {
        let text = line.text.trim_end();
        if !text.is_empty() {
            let bad = |e: serde_json::Error| {
                parse_err(
                    cursor.line,
                    format!("not a {chain} transaction record: {e}"),
                )
            };
            match chain.model() {
                ChainModel::Account => writer
                    .append_account_tx(&serde_json::from_str::<AccountTx>(text).map_err(bad)?)?,
                ChainModel::Utxo => {
                    writer.append_utxo_tx(&serde_json::from_str::<UtxoTx>(text).map_err(bad)?)?
                }
            };
            txs_read += 1;
            since_checkpoint += 1;
        }
        cursor.offset += line.bytes as u64;
        cursor.line += 1;
        if since_checkpoint >= options.checkpoint_every {
            writer.commit(&cursor_key, cursor_value(&cursor))?;
            (options.on_progress)(cursor.offset, source_bytes);
            since_checkpoint = 0;
        }
    }
    let totals = writer.finish(&cursor_key, cursor_value(&cursor))?;
    (options.on_progress)(cursor.offset, source_bytes);
    Ok(ImportReport {
        chain,
        format: MAGIC.to_string(),
        source: path.to_path_buf(),
        txs_read,
        resumed,
        totals,
    })
}

fn cursor_value(cursor: &Cursor) -> serde_json::Value {
    serde_json::to_value(cursor).unwrap_or(serde_json::Value::Null)
}
