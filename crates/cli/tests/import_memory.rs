//! The peak memory of `chaintrail import` does not grow with the export: the simulator's world is
//! exported four times over (4×: `chaintrail sim --copies 4`, the same world again at later
//! heights with its own hashes and the same addresses), and the peak resident set sizes of
//! importing all of it and its last copy alone (1×) are compared.
//!
//! The store's own state (its transaction-hash table, address dictionary, the indexes built at
//! the end) grows with what the store holds, whatever the export; so both imports end with the
//! same store: the 4× export goes into an empty store, the 1× export into a store that holds the
//! first three copies (`--copies 3`).
//!
//! Peak RSS comes from `wait4`'s rusage. Linux carries the parent's high-water mark into a child
//! spawned with `vfork` (what `posix_spawn` uses) when it execs, so this file holds one test and
//! the test process keeps itself small (it runs everything through the binary); it checks that
//! its own peak is below what it measures.

use std::io::{BufRead, BufReader, BufWriter, Write};
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

/// The first height of the last copy in an export of `COPIES` copies (heights run from 0).
fn last_copy_start(blocks: u64) -> u64 {
    blocks / COPIES * (COPIES - 1)
}

/// Copy the rows of blocks `from` and later of an ethereum-etl CSV export (row by row: this
/// process must stay small).
fn ethereum_tail(source: &Path, target: &Path) {
    std::fs::create_dir_all(target).expect("dir");
    let blocks = csv::Reader::from_path(source.join("blocks.csv"))
        .expect("blocks")
        .records()
        .count() as u64;
    let from = last_copy_start(blocks);
    for entry in std::fs::read_dir(source).expect("dir") {
        let path = entry.expect("entry").path();
        let name = path.file_name().expect("name").to_owned();
        if path.extension().is_none_or(|e| e != "csv") || name == "tokens.csv" {
            std::fs::copy(&path, target.join(&name)).expect("copy");
            continue;
        }
        let mut reader = csv::Reader::from_path(&path).expect("csv");
        let header = reader.headers().expect("header").clone();
        let at = header
            .iter()
            .position(|h| h == "number" || h == "block_number")
            .expect("a block column");
        let mut writer = csv::Writer::from_path(target.join(&name)).expect("write");
        writer.write_record(&header).expect("header");
        for row in reader.records() {
            let row = row.expect("row");
            if row[at].parse::<u64>().expect("block") >= from {
                writer.write_record(&row).expect("row");
            }
        }
        writer.flush().expect("flush");
    }
}

/// The same for a bitcoin-etl export.
fn bitcoin_tail(source: &Path, target: &Path) {
    std::fs::create_dir_all(target).expect("dir");
    let lines = |name: &str| {
        BufReader::new(std::fs::File::open(source.join(name)).expect("open"))
            .lines()
            .map(|l| l.expect("line"))
            .filter(|l| !l.trim().is_empty())
    };
    let from = last_copy_start(lines("blocks.json").count() as u64);
    for (name, key) in [
        ("blocks.json", "number"),
        ("transactions.json", "block_number"),
    ] {
        let mut out = BufWriter::new(std::fs::File::create(target.join(name)).expect("create"));
        for line in lines(name) {
            let value: serde_json::Value = serde_json::from_str(&line).expect("json");
            if value[key].as_u64().expect("height") >= from {
                writeln!(out, "{line}").expect("write");
            }
        }
        out.flush().expect("flush");
    }
}

/// Bytes of the files in a directory.
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

/// (transactions, addresses) per chain, from `chaintrail stats` (the store is not opened in
/// this process).
fn chain_counts(data: &Path) -> Vec<(u64, u64)> {
    let output = chaintrail(&["--data-dir", data.to_str().expect("utf-8"), "stats"])
        .arg("--format")
        .arg("json")
        .output()
        .expect("stats");
    assert!(output.status.success());
    let stats: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    let mut counts: Vec<(u64, u64)> = stats
        .as_array()
        .expect("chains")
        .iter()
        .map(|chain| {
            let count = |key: &str| chain[key].as_u64().expect("a count");
            (count("txs"), count("addresses"))
        })
        .collect();
    counts.sort();
    counts
}

#[test]
fn peak_memory_of_an_import_does_not_grow_with_the_export() {
    let work = tempfile::tempdir().expect("tempdir");
    let export = |name: &str, copies: u64| {
        let dir = work.path().join(name);
        let output = chaintrail(&["sim", "--scale", "40000", "--copies", &copies.to_string()])
            .arg("--out")
            .arg(&dir)
            .output()
            .expect("sim");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        (dir.join("ethereum"), dir.join("bitcoin"))
    };
    let (eth4, btc4) = export("export-4x", COPIES);
    let (eth3, btc3) = export("export-3x", COPIES - 1);
    let (eth1, btc1) = (
        work.path().join("1x/ethereum"),
        work.path().join("1x/bitcoin"),
    );
    ethereum_tail(&eth4, &eth1);
    bitcoin_tail(&btc4, &btc1);
    let import = |data: &Path, eth: &Path, btc: &Path| {
        let data = data.to_str().expect("utf-8");
        let args = |format: &'static str, source: &Path| {
            let mut args = vec!["--data-dir", data, "import", "--skip-links", "--format"];
            args.push(format);
            args.push(source.to_str().expect("utf-8"));
            args.into_iter()
                .map(str::to_string)
                .collect::<Vec<String>>()
        };
        let mut btc_args = args("bitcoin-etl", btc);
        btc_args.extend(["--network".to_string(), "bitcoin-regtest".to_string()]);
        let peak = |args: &[String]| {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            peak_rss_kib(&args)
        };
        (peak(&args("ethereum-etl", eth)), peak(&btc_args))
    };

    // The 4× export into an empty store.
    let fresh = work.path().join("fresh");
    let large = import(&fresh, &eth4, &btc4);
    // The last copy alone (the 1× export) into a store holding the first three: both imports
    // end with the same store.
    let grown = work.path().join("grown");
    import(&grown, &eth3, &btc3);
    let small = import(&grown, &eth1, &btc1);
    let counts = chain_counts(&fresh);
    assert_eq!(counts, chain_counts(&grown), "the same store after both");
    eprintln!(
        "ethereum-etl {} MB → peak RSS {} KiB, {} MB → {} KiB; bitcoin-etl {} MB → {} KiB, \
         {} MB → {} KiB; (transactions, addresses) per chain {counts:?}",
        bytes(&eth1) / 1_000_000,
        small.0,
        bytes(&eth4) / 1_000_000,
        large.0,
        bytes(&btc1) / 1_000_000,
        small.1,
        bytes(&btc4) / 1_000_000,
        large.1,
    );
    let own = own_peak_rss_kib();
    for (what, a, b) in [
        ("ethereum-etl", small.0, large.0),
        ("bitcoin-etl", small.1, large.1),
    ] {
        assert!(
            own < a.min(b),
            "{what}: the test's own peak ({own} KiB) hides the import's"
        );
        assert!(
            b * 100 <= a * 120,
            "{what}: peak RSS {a} KiB for the 1× export, {b} KiB for the 4× one: more than +20 %"
        );
    }
    // Far below the export itself (the importers used to hold all of it).
    assert!(large.0 * 1024 * 4 < bytes(&eth4), "{large:?}");
}
