//! The peak memory of `chaintrail import` does not grow with the export: the simulator's world,
//! exported, is imported once as it is (1×) and once replicated to four times the blocks and
//! rows (4×: the same world again at later heights, with its own transaction hashes), and the
//! peak resident set sizes of the two imports are compared.
//!
//! The world is replicated rather than simulated 4× larger because a larger world has more
//! addresses, and the store's address dictionary — the store's state, not the import's — would
//! grow with them (a Bitcoin world makes a fresh address per output).
//!
//! Peak RSS comes from `wait4`'s rusage. Linux carries the parent's high-water mark into a child
//! spawned with `vfork` (what `posix_spawn` uses) when it execs, so this file holds one test and
//! the test process keeps itself small (it reads stores through the binary, not in-process,
//! and rewrites files row by row); it checks that its own peak is below what it measures.

use std::io::{BufRead, Write};
use std::path::Path;
use std::process::{Command, Stdio};

fn chaintrail(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_chaintrail"));
    command.args(args);
    command
}

/// Run `chaintrail` and return its peak resident set size in KiB.
#[expect(
    clippy::zombie_processes,
    reason = "the child is reaped by wait4, which also gives its rusage"
)]
fn peak_rss_kib(args: &[&str]) -> u64 {
    let child = chaintrail(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero `rusage` is a valid value for the kernel to overwrite.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our child, not yet waited for; the pointers are to live locals.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid, "wait4");
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "failed: chaintrail {args:?}"
    );
    u64::try_from(usage.ru_maxrss).expect("non-negative")
}

/// This process's own high-water mark (`VmHWM`; its rusage would include what it inherited
/// from cargo when it was spawned).
fn own_peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|kib| kib.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM")
}

const COPIES: u64 = 4;
/// Heights and timestamps of copy `k` are shifted by `k` times these.
const HEIGHT_SHIFT: u64 = 1_000_000;
const TIME_SHIFT: u64 = 10_000_000;

fn shifted(column: &str, value: &str, copy: u64) -> String {
    if value.is_empty() {
        return String::new();
    }
    match column {
        "number" | "block_number" => {
            (value.parse::<u64>().expect("height") + copy * HEIGHT_SHIFT).to_string()
        }
        "timestamp" | "block_timestamp" => {
            (value.parse::<u64>().expect("time") + copy * TIME_SHIFT).to_string()
        }
        // A hash of copy `k`: its first byte xor k, wherever the hash appears.
        "hash" | "transaction_hash" | "block_hash" | "parent_hash" | "spent_transaction_hash" => {
            let digits = value.strip_prefix("0x").unwrap_or(value);
            let prefix = &value[..value.len() - digits.len()];
            let first = u8::from_str_radix(&digits[..2], 16).expect("hex") ^ copy as u8;
            format!("{prefix}{first:02x}{}", &digits[2..])
        }
        _ => value.to_string(),
    }
}

/// Append copies 1..COPIES of every row of an ethereum-etl CSV table (row by row: this process
/// must stay small).
fn replicate_csv(path: &Path) {
    let copied = path.with_extension("copies");
    let mut writer = csv::Writer::from_path(&copied).expect("write");
    for copy in 0..COPIES {
        let mut reader = csv::Reader::from_path(path).expect("csv");
        let header = reader.headers().expect("header").clone();
        if copy == 0 {
            writer.write_record(&header).expect("header");
        }
        for row in reader.records() {
            let row = row.expect("row");
            let fields: Vec<String> = header
                .iter()
                .zip(row.iter())
                .map(|(column, value)| shifted(column, value, copy))
                .collect();
            writer.write_record(&fields).expect("row");
        }
    }
    writer.flush().expect("flush");
    std::fs::rename(&copied, path).expect("rename");
}

fn shift_json(value: &mut serde_json::Value, copy: u64) {
    let Some(object) = value.as_object_mut() else {
        return;
    };
    for (key, field) in object.iter_mut() {
        match field {
            serde_json::Value::Number(n) => {
                let text = shifted(key, &n.to_string(), copy);
                *field = serde_json::from_str(&text).expect("number");
            }
            serde_json::Value::String(s) => *s = shifted(key, s, copy),
            serde_json::Value::Array(items) => {
                items.iter_mut().for_each(|item| shift_json(item, copy));
            }
            _ => {}
        }
    }
}

/// Append copies 1..COPIES of every line of a bitcoin-etl JSON-lines table.
fn replicate_json(path: &Path) {
    let copied = path.with_extension("copies");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&copied).expect("write"));
    for copy in 0..COPIES {
        let reader = std::io::BufReader::new(std::fs::File::open(path).expect("read"));
        for line in reader.lines() {
            let line = line.expect("line");
            if line.trim().is_empty() {
                continue;
            }
            let mut value: serde_json::Value = serde_json::from_str(&line).expect("json");
            shift_json(&mut value, copy);
            writeln!(out, "{value}").expect("write");
        }
    }
    out.flush().expect("flush");
    drop(out);
    std::fs::rename(&copied, path).expect("rename");
}

fn bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| {
            std::fs::metadata(e.expect("entry").path())
                .expect("meta")
                .len()
        })
        .sum()
}

/// Transactions per chain, from `chaintrail stats` (the store is not opened in this process).
fn tx_counts(data: &Path) -> Vec<u64> {
    let output = chaintrail(&["--data-dir", data.to_str().expect("utf-8"), "stats"])
        .arg("--format")
        .arg("json")
        .output()
        .expect("stats");
    assert!(output.status.success());
    let stats: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    let mut counts: Vec<u64> = stats
        .as_array()
        .expect("chains")
        .iter()
        .map(|chain| chain["txs"].as_u64().expect("txs"))
        .collect();
    counts.sort();
    counts
}

#[test]
fn peak_memory_of_an_import_does_not_grow_with_the_export() {
    let work = tempfile::tempdir().expect("tempdir");
    let export = work.path().join("export");
    let output = chaintrail(&["sim", "--scale", "40000", "--out"])
        .arg(&export)
        .output()
        .expect("sim");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let (eth, btc) = (export.join("ethereum"), export.join("bitcoin"));
    let mut runs = Vec::new();
    for name in ["1x", "4x"] {
        if name == "4x" {
            for entry in std::fs::read_dir(&eth).expect("dir") {
                let path = entry.expect("entry").path();
                let name = path
                    .file_name()
                    .expect("name")
                    .to_string_lossy()
                    .into_owned();
                if name.ends_with(".csv") && name != "tokens.csv" {
                    replicate_csv(&path);
                }
            }
            for table in ["blocks.json", "transactions.json"] {
                replicate_json(&btc.join(table));
            }
        }
        let data = work.path().join(name);
        let data_arg = data.to_str().expect("utf-8");
        let import = |format: &str, source: &Path, extra: &[&str]| {
            let mut args = vec![
                "--data-dir",
                data_arg,
                "import",
                "--skip-links",
                "--format",
                format,
            ];
            args.push(source.to_str().expect("utf-8"));
            args.extend_from_slice(extra);
            peak_rss_kib(&args)
        };
        let eth_peak = import("ethereum-etl", &eth, &[]);
        let btc_peak = import("bitcoin-etl", &btc, &["--network", "bitcoin-regtest"]);
        let txs = tx_counts(&data);
        eprintln!(
            "{name}: ethereum-etl {} MB → peak RSS {} KiB; bitcoin-etl {} MB → peak RSS {} KiB; \
             transactions {txs:?}",
            bytes(&eth) / 1_000_000,
            eth_peak,
            bytes(&btc) / 1_000_000,
            btc_peak
        );
        runs.push((bytes(&eth) + bytes(&btc), txs, eth_peak, btc_peak));
        std::fs::remove_dir_all(&data).expect("clean up");
    }
    let (small, large) = (&runs[0], &runs[1]);
    for (a, b) in small.1.iter().zip(&large.1) {
        assert_eq!(*b, a * COPIES, "every copy imported: {small:?} {large:?}");
    }
    let own = own_peak_rss_kib();
    for (what, a, b) in [
        ("ethereum-etl", small.2, large.2),
        ("bitcoin-etl", small.3, large.3),
    ] {
        assert!(
            own < a,
            "{what}: the test's own peak ({own} KiB) hides the import's ({a} KiB)"
        );
        assert!(
            b * 100 <= a * 120,
            "{what}: peak RSS {a} KiB at 1×, {b} KiB at 4×: more than +20 %"
        );
    }
    // Far below the export itself (the importers used to hold all of it).
    assert!(large.2.max(large.3) * 1024 * 4 < large.0, "{large:?}");
}
