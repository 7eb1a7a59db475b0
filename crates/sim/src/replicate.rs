//! Replicating an exported world for load: `copies` times the same world, one after another at
//! later heights and times, each copy with its own transaction and block hashes (the first byte
//! of every hash xor the copy's number, wherever the hash appears, so spends and logs still
//! point at their own copy's transactions). Addresses are the same in every copy, so a store's
//! address dictionary stays the size of one world while its rows grow — what a test of an
//! importer's memory, or a benchmark of a multi-GB export, needs. The first EVM block of each
//! copy names the last block of the copy before as its parent, so the copies form one chain (EVM
//! imports check parent hashes). The ground truth and TagPack describe the first copy only.
//!
//! Works on the one-file-per-table layout ([`crate::EtlLayout::Single`]), row by row.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;

use chaintrail_core::ethereum_etl::{
    blocks, logs, receipts, token_transfers, traces, transactions,
};

use crate::SimError;
use crate::error::io_err;

/// How far copy `k` is moved: `k` times these.
#[derive(Debug, Clone, Copy)]
struct Shift {
    heights: u64,
    seconds: u64,
}

fn shifted(column: &str, value: &str, copy: u64, shift: Shift) -> Result<String, SimError> {
    if value.is_empty() || copy == 0 {
        return Ok(value.to_string());
    }
    let number = |what: &str| {
        value.parse::<u64>().map_err(|_| {
            SimError::Invariant(format!(
                "{what} `{value}` of column `{column}` is not a number"
            ))
        })
    };
    Ok(match column {
        "number" | "block_number" => (number("height")? + copy * shift.heights).to_string(),
        "timestamp" | "block_timestamp" => (number("time")? + copy * shift.seconds).to_string(),
        // An anti-fee-sniping nLockTime (a height) moves with its block; 0 and times stay.
        "lock_time" => match number("lock_time")? {
            0 => 0,
            t if t >= u64::from(chaintrail_core::LOCK_TIME_THRESHOLD) => t,
            t => t + copy * shift.heights,
        }
        .to_string(),
        "hash" | "transaction_hash" | "block_hash" | "parent_hash" | "spent_transaction_hash" => {
            let digits = value.strip_prefix("0x").unwrap_or(value);
            let prefix = &value[..value.len() - digits.len()];
            let first = digits
                .get(..2)
                .and_then(|d| u8::from_str_radix(d, 16).ok())
                .ok_or_else(|| SimError::Invariant(format!("`{value}` is not a hash")))?;
            format!("{prefix}{:02x}{}", first ^ (copy as u8), &digits[2..])
        }
        _ => value.to_string(),
    })
}

/// Heights and seconds one world spans, from its blocks table: (first, last) of each.
fn span(heights: (u64, u64), times: (u64, u64)) -> Shift {
    Shift {
        heights: heights.1 - heights.0 + 1,
        seconds: times.1 - times.0 + 1,
    }
}

fn widen(range: &mut Option<(u64, u64)>, value: u64) {
    *range = Some(match *range {
        None => (value, value),
        Some((lo, hi)) => (lo.min(value), hi.max(value)),
    });
}

fn csv_err(path: &Path) -> impl Fn(csv::Error) -> SimError + '_ {
    move |source| SimError::Csv {
        path: path.to_path_buf(),
        source,
    }
}

fn csv_span(blocks: &Path) -> Result<Shift, SimError> {
    let mut reader = csv::Reader::from_path(blocks).map_err(csv_err(blocks))?;
    let header = reader.headers().map_err(csv_err(blocks))?.clone();
    let at = |name: &str| header.iter().position(|h| h == name);
    let (Some(number), Some(time)) = (at(blocks::NUMBER), at(blocks::TIMESTAMP)) else {
        return Err(SimError::Invariant(format!(
            "{} has no number and timestamp columns",
            blocks.display()
        )));
    };
    let (mut heights, mut times) = (None, None);
    for row in reader.records() {
        let row = row.map_err(csv_err(blocks))?;
        widen(&mut heights, parse_number(&row[number])?);
        widen(&mut times, parse_number(&row[time])?);
    }
    Ok(span(heights.unwrap_or((0, 0)), times.unwrap_or((0, 0))))
}

fn parse_number(text: &str) -> Result<u64, SimError> {
    text.parse()
        .map_err(|_| SimError::Invariant(format!("`{text}` is not a number")))
}

fn json_span(blocks: &Path) -> Result<Shift, SimError> {
    let (mut heights, mut times) = (None, None);
    let reader = BufReader::new(File::open(blocks).map_err(|e| io_err("open", blocks, e))?);
    for line in reader.lines() {
        let line = line.map_err(|e| io_err("read", blocks, e))?;
        if line.trim().is_empty() {
            continue;
        }
        let value: serde_json::Value =
            serde_json::from_str(&line).map_err(|source| SimError::Json {
                what: "bitcoin-etl block",
                source,
            })?;
        if let (Some(n), Some(t)) = (value["number"].as_u64(), value["timestamp"].as_u64()) {
            widen(&mut heights, n);
            widen(&mut times, t);
        }
    }
    Ok(span(heights.unwrap_or((0, 0)), times.unwrap_or((0, 0))))
}

/// Rewrite `path` as `copies` copies of its rows (through a temporary file beside it).
fn rewrite(
    path: &Path,
    copies: u64,
    mut copy_rows: impl FnMut(u64, &mut dyn Write) -> Result<(), SimError>,
) -> Result<(), SimError> {
    let temp = path.with_extension("copies");
    let mut out = BufWriter::with_capacity(
        1 << 20,
        File::create(&temp).map_err(|e| io_err("create", &temp, e))?,
    );
    for copy in 0..copies {
        copy_rows(copy, &mut out)?;
    }
    out.flush().map_err(|e| io_err("write", &temp, e))?;
    drop(out);
    std::fs::rename(&temp, path).map_err(|e| io_err("rename", &temp, e))
}

/// Where one copy of an EVM world meets the next: the first block of copy k names the last
/// block of copy k − 1 as its parent, so that the copies form one chain.
struct Seam {
    first_height: String,
    last_hash: String,
}

/// The seam of the ethereum-etl `blocks` table at `blocks`.
fn csv_seam(blocks: &Path) -> Result<Option<Seam>, SimError> {
    let mut reader = csv::Reader::from_path(blocks).map_err(csv_err(blocks))?;
    let header = reader.headers().map_err(csv_err(blocks))?.clone();
    let at = |name: &str| header.iter().position(|h| h == name);
    let (Some(number), Some(hash)) = (at(blocks::NUMBER), at(blocks::HASH)) else {
        return Ok(None);
    };
    let (mut first, mut last): (Option<u64>, Option<(u64, String)>) = (None, None);
    for row in reader.records() {
        let row = row.map_err(csv_err(blocks))?;
        let height = parse_number(&row[number])?;
        first = Some(first.map_or(height, |f| f.min(height)));
        if last.as_ref().is_none_or(|(h, _)| height > *h) {
            last = Some((height, row[hash].to_string()));
        }
    }
    Ok(first.zip(last).map(|(first, (_, last_hash))| Seam {
        first_height: first.to_string(),
        last_hash,
    }))
}

fn replicate_csv(
    path: &Path,
    copies: u64,
    shift: Shift,
    seam: Option<&Seam>,
) -> Result<(), SimError> {
    rewrite(path, copies, |copy, out| {
        let mut reader = csv::Reader::from_path(path).map_err(csv_err(path))?;
        let header = reader.headers().map_err(csv_err(path))?.clone();
        let at = |name: &str| header.iter().position(|h| h == name);
        let seam_columns = seam.zip(at(blocks::NUMBER)).zip(at(blocks::PARENT_HASH));
        let mut writer = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(out);
        if copy == 0 {
            writer.write_record(&header).map_err(csv_err(path))?;
        }
        let mut fields = Vec::with_capacity(header.len());
        for row in reader.records() {
            let row = row.map_err(csv_err(path))?;
            fields.clear();
            for (column, value) in header.iter().zip(row.iter()) {
                fields.push(shifted(column, value, copy, shift)?);
            }
            if let Some(((seam, number), parent)) = seam_columns
                && copy > 0
                && row[number] == seam.first_height
            {
                fields[parent] = shifted(blocks::HASH, &seam.last_hash, copy - 1, shift)?;
            }
            writer.write_record(&fields).map_err(csv_err(path))?;
        }
        writer
            .flush()
            .map_err(|e| io_err("write", &path.with_extension("copies"), e))
    })
}

fn shift_json(value: &mut serde_json::Value, copy: u64, shift: Shift) -> Result<(), SimError> {
    let Some(object) = value.as_object_mut() else {
        return Ok(());
    };
    for (key, field) in object.iter_mut() {
        match field {
            serde_json::Value::Number(n) => {
                if let Some(v) = n.as_u64() {
                    let text = shifted(key, &v.to_string(), copy, shift)?;
                    *field = serde_json::Value::from(parse_number(&text)?);
                }
            }
            serde_json::Value::String(s) => *s = shifted(key, s, copy, shift)?,
            serde_json::Value::Array(items) => {
                for item in items {
                    shift_json(item, copy, shift)?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn replicate_json(path: &Path, copies: u64, shift: Shift) -> Result<(), SimError> {
    rewrite(path, copies, |copy, out| {
        let reader = BufReader::new(File::open(path).map_err(|e| io_err("open", path, e))?);
        for line in reader.lines() {
            let line = line.map_err(|e| io_err("read", path, e))?;
            if line.trim().is_empty() {
                continue;
            }
            let mut value: serde_json::Value =
                serde_json::from_str(&line).map_err(|source| SimError::Json {
                    what: "bitcoin-etl record",
                    source,
                })?;
            shift_json(&mut value, copy, shift)?;
            serde_json::to_writer(&mut *out, &value).map_err(|source| SimError::Json {
                what: "bitcoin-etl record",
                source,
            })?;
            out.write_all(b"\n")
                .map_err(|e| io_err("write", &path.with_extension("copies"), e))?;
        }
        Ok(())
    })
}

/// Make the world exported under `dir` (by [`crate::write_dir`]) `copies` times as large (see
/// the module docs). `copies` is at most 255.
pub fn replicate_export(dir: &Path, copies: u64) -> Result<(), SimError> {
    if !(1..=255).contains(&copies) {
        return Err(SimError::Config(format!(
            "{copies} copies: between 1 and 255 copies of a world can be written"
        )));
    }
    let eth = dir.join("ethereum");
    let blocks_csv = eth.join(format!("{}.csv", blocks::TABLE));
    let shift = csv_span(&blocks_csv)?;
    let seam = csv_seam(&blocks_csv)?;
    for table in [
        blocks::TABLE,
        transactions::TABLE,
        receipts::TABLE,
        logs::TABLE,
        token_transfers::TABLE,
        traces::TABLE,
    ] {
        let seam = seam.as_ref().filter(|_| table == blocks::TABLE);
        replicate_csv(&eth.join(format!("{table}.csv")), copies, shift, seam)?;
    }
    let btc = dir.join("bitcoin");
    let shift = json_span(&btc.join("blocks.json"))?;
    for table in ["blocks", "transactions"] {
        replicate_json(&btc.join(format!("{table}.json")), copies, shift)?;
    }
    Ok(())
}
