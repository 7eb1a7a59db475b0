//! The `chaintrail` binary, run as a user runs it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use chaintrail_core::{BitcoinNetwork, Chain};
use chaintrail_ingest::{FlowRecord, synthetic, write_flow_jsonl};
use chaintrail_store::Store;

mod common;
use common::{chaintrail, stderr, stdout};

const ANVIL: Chain = Chain::Evm(31337);

fn account_file(dir: &Path, transfers: u64) -> PathBuf {
    let path = dir.join("anvil.flow.jsonl");
    let records: Vec<FlowRecord> = synthetic::account_txs(42, transfers)
        .map(FlowRecord::Account)
        .collect();
    write_flow_jsonl(&path, ANVIL, &records).unwrap();
    path
}

fn utxo_file(dir: &Path, records: u64) -> PathBuf {
    let path = dir.join("btc.flow.jsonl");
    let txs: Vec<FlowRecord> = synthetic::utxo_txs(42, records)
        .map(FlowRecord::Utxo)
        .collect();
    write_flow_jsonl(&path, Chain::Bitcoin(BitcoinNetwork::Regtest), &txs).unwrap();
    path
}

fn import(data_dir: &Path, file: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["import", file.to_str().unwrap()];
    args.extend_from_slice(extra);
    chaintrail(data_dir, &args)
}

/// Committed import cursor (next line) from the chain manifest, if any checkpoint happened yet.
fn committed_line(data_dir: &Path) -> Option<u64> {
    let text = std::fs::read_to_string(data_dir.join("chains/anvil/manifest.json")).ok()?;
    let manifest: serde_json::Value = serde_json::from_str(&text).ok()?;
    manifest["cursors"]
        .as_object()?
        .values()
        .next()?
        .get("line")?
        .as_u64()
}

#[test]
fn killed_import_resumes_with_nothing_lost_or_duplicated() {
    let work = tempfile::tempdir().unwrap();
    let file = account_file(work.path(), 600_000);
    let lines = std::fs::read_to_string(&file).unwrap().lines().count() as u64;

    let reference = work.path().join("reference");
    let output = import(&reference, &file, &[]);
    assert!(output.status.success(), "{}", stderr(&output));

    let killed = work.path().join("killed");
    let mut child = Command::new(env!("CARGO_BIN_EXE_chaintrail"))
        .arg("--data-dir")
        .arg(&killed)
        .args([
            "import",
            file.to_str().unwrap(),
            "--checkpoint-every",
            "500",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    // Wait until a few checkpoints are committed, then kill without warning.
    loop {
        if committed_line(&killed).is_some_and(|line| line > 5_000) {
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "import finished before it could be killed"
        );
        assert!(Instant::now() < deadline, "no checkpoint within 120 s");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let at_kill = committed_line(&killed).unwrap();
    assert!(
        at_kill < lines,
        "the import was killed before it finished ({at_kill} of {lines} lines)"
    );
    // Readers refuse the half-done store instead of serving stale indexes.
    let err = Store::open(&killed).unwrap().reader(ANVIL).err().unwrap();
    assert!(
        err.to_string()
            .contains("run the same `chaintrail import` again"),
        "{err}"
    );

    let output = import(&killed, &file, &["--format", "flow-jsonl"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let a = Store::open(&reference).unwrap().reader(ANVIL).unwrap();
    let b = Store::open(&killed).unwrap().reader(ANVIL).unwrap();
    assert_eq!(a.tx_count(), b.tx_count());
    assert_eq!(a.transfer_count(), b.transfer_count());
    assert_eq!(a.transfer_count(), 600_000);
    assert_eq!(a.address_count(), b.address_count());
    assert_eq!(a.content_checksum(), b.content_checksum());
    assert_eq!(b.stats().duplicate_txs_skipped, 0);

    // Importing the same file again changes nothing.
    let output = import(&killed, &file, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let again = Store::open(&killed).unwrap().reader(ANVIL).unwrap();
    assert_eq!(again.content_checksum(), a.content_checksum());
}

#[test]
fn stats_address_tx_and_export() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let eth = account_file(work.path(), 3_000);
    let btc = utxo_file(work.path(), 3_000);
    for file in [&eth, &btc] {
        let output = import(&data, file, &[]);
        assert!(output.status.success(), "{}", stderr(&output));
    }

    let output = chaintrail(&data, &["stats", "--format", "json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let stats: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let anvil = stats
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["chain"] == "anvil")
        .unwrap();
    let reader = Store::open(&data).unwrap().reader(ANVIL).unwrap();
    assert_eq!(anvil["transfers"], reader.transfer_count());
    assert!(reader.transfer_count() >= 3_000);
    assert!(anvil["bytes_per_record"].as_f64().unwrap() <= 24.0);

    // The address view sums exactly what the records say.
    let busiest = (1..reader.address_count() as u32)
        .max_by_key(|&id| reader.outgoing(id).count())
        .unwrap();
    let address = reader.address(busiest).unwrap().to_string();
    let sent: usize = reader
        .outgoing(busiest)
        .filter(|&row| reader.transfer(row).unwrap().success)
        .count();
    let output = chaintrail(&data, &["address", &address, "--format", "json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let summary: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(summary[0]["address"], address);
    assert_eq!(summary[0]["outgoing"], sent as u64);
    // Lower-case input is accepted and shown canonically.
    let output = chaintrail(&data, &["address", &address.to_lowercase()]);
    assert!(stdout(&output).contains(&address), "{}", stdout(&output));

    let hash = reader.tx_hash(1).to_hex_prefixed();
    let output = chaintrail(&data, &["tx", &hash, "--format", "json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let tx: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(tx["hash"], hash);
    assert_eq!(
        tx["transfers"].as_array().unwrap().len() as u64,
        reader.tx_transfers(1).count() as u64
    );

    let out = work.path().join("export");
    let output = chaintrail(
        &data,
        &[
            "export",
            "--format",
            "parquet",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let rows = |path: PathBuf| {
        use parquet::file::reader::FileReader;
        let file = std::fs::File::open(&path).unwrap();
        let reader = parquet::file::reader::SerializedFileReader::new(file).unwrap();
        reader.metadata().file_metadata().num_rows() as u64
    };
    assert_eq!(
        rows(out.join("anvil/transfers.parquet")),
        reader.transfer_count()
    );
    assert_eq!(
        rows(out.join("anvil/transactions.parquet")),
        reader.tx_count() as u64
    );
    let btc_reader = Store::open(&data)
        .unwrap()
        .reader(Chain::Bitcoin(BitcoinNetwork::Regtest))
        .unwrap();
    assert_eq!(
        rows(out.join("bitcoin-regtest/outputs.parquet")),
        btc_reader.output_count()
    );
    assert_eq!(
        rows(out.join("bitcoin-regtest/inputs.parquet")),
        btc_reader.input_count()
    );
}

#[test]
fn bad_input_gets_one_clear_line_and_a_nonzero_exit() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");

    let output = chaintrail(&data, &["stats"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("no chaintrail store at"),
        "{}",
        stderr(&output)
    );
    assert!(
        stderr(&output).contains("hint: `chaintrail demo`"),
        "{}",
        stderr(&output)
    );

    let eth = account_file(work.path(), 300);
    assert!(import(&data, &eth, &[]).status.success());
    let output = chaintrail(
        &data,
        &["address", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("EIP-55 checksum"),
        "{}",
        stderr(&output)
    );

    let output = chaintrail(&data, &["stats", "--chain", "dogecoin"]);
    assert_ne!(output.status.code(), Some(0));
    assert!(
        stderr(&output).contains("unknown chain `dogecoin`"),
        "{}",
        stderr(&output)
    );

    let output = import(&data, &eth, &["--format", "csv-of-doom"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("available formats are flow-jsonl"),
        "{}",
        stderr(&output)
    );

    let broken = work.path().join("broken.jsonl");
    let mut text = std::fs::read_to_string(&eth).unwrap();
    text.push_str("{\"hash\": \"nope\"}\n");
    std::fs::write(&broken, text).unwrap();
    let fresh = work.path().join("fresh");
    let output = import(&fresh, &broken, &[]);
    assert_eq!(output.status.code(), Some(1));
    let lines = std::fs::read_to_string(&eth).unwrap().lines().count();
    let message = stderr(&output);
    assert!(
        message.contains(&format!("broken.jsonl:{}", lines + 1)),
        "{message}"
    );

    let negative = work.path().join("negative.jsonl");
    let text = std::fs::read_to_string(&eth).unwrap();
    let first_amount = text.find("\"amount\":\"").unwrap() + "\"amount\":\"".len();
    let mut damaged = text.clone();
    damaged.insert(first_amount, '-');
    std::fs::write(&negative, damaged).unwrap();
    let output = import(&work.path().join("neg"), &negative, &[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("is negative"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn impossible_dates_are_refused_naming_the_input_and_the_format() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let eth = account_file(work.path(), 300);
    assert!(import(&data, &eth, &[]).status.success());
    let reader = Store::open(&data).unwrap().reader(ANVIL).unwrap();
    let seed = format!("anvil:{}", reader.tx_hash(1).to_hex_prefixed());
    let address = reader.address(1).unwrap().to_string();

    let refused = |args: &[&str]| {
        let output = chaintrail(&data, args);
        assert_ne!(output.status.code(), Some(0), "{args:?} was accepted");
        let message = stderr(&output);
        assert!(
            message.contains("`2025-02-31` is not a date: February 2025 has days 01 to 28")
                && message.contains("expected YYYY-MM-DD"),
            "{args:?}: {message}"
        );
    };
    refused(&["trace", "--seed", &seed, "--until", "2025-02-31"]);
    refused(&["screen", &address, "--date", "2025-02-31"]);
    refused(&["screen", "build-index", "--date", "2025-02-31"]);
    refused(&["labels", "show", &address, "--at", "2025-02-31"]);
    refused(&["labels", "import-ofac", "sdn.csv", "--date", "2025-02-31"]);

    // A day that exists, and Unix seconds, still cut the trace.
    for until in ["2025-02-28", "1740787199"] {
        let output = chaintrail(
            &data,
            &[
                "trace", "--seed", &seed, "--until", until, "--format", "json",
            ],
        );
        assert!(output.status.success(), "{until}: {}", stderr(&output));
    }
}

#[test]
fn a_rules_file_rates_screenings_and_a_bad_one_is_refused_naming_line_and_field() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let eth = account_file(work.path(), 300);
    assert!(import(&data, &eth, &[]).status.success());
    let address = Store::open(&data)
        .unwrap()
        .reader(ANVIL)
        .unwrap()
        .address(1)
        .unwrap()
        .to_string();

    let bad = work.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[[rule]]\nname = \"x\"\nseverity = \"prohibited\"\nexposure = \"direct\"\n\
         direction = \"inbound\"\nlevel = \"Severe\"\nalert = true\n",
    )
    .unwrap();
    for args in [
        vec!["screen", address.as_str(), "--rules"],
        vec!["screen", "build-index", "--rules"],
        vec!["serve", "--open", "--rules"],
    ] {
        let mut args: Vec<&str> = args;
        let bad_path = bad.to_str().unwrap();
        args.push(bad_path);
        let output = chaintrail(&data, &args);
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        let message = stderr(&output);
        assert!(
            message.contains(&format!(
                "rules file {}, line 5, field `direction`: unknown variant `inbound`",
                bad.display()
            )),
            "{args:?}: {message}"
        );
    }

    let mine = work.path().join("mine.toml");
    std::fs::write(&mine, chaintrail_screen::RuleTable::builtin_text()).unwrap();
    let output = chaintrail(
        &data,
        &[
            "screen",
            &address,
            "--rules",
            mine.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let screened: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(screened[0]["address"], address.as_str());
    assert_eq!(screened[0]["risk"], "Low");
    assert_eq!(screened[0]["alerts"], serde_json::json!([]));
}

/// The committed resume cursor of an ethereum-etl import (next block to import), if any.
fn committed_block(data_dir: &Path) -> Option<u64> {
    let text = std::fs::read_to_string(data_dir.join("chains/anvil/manifest.json")).ok()?;
    let manifest: serde_json::Value = serde_json::from_str(&text).ok()?;
    manifest["cursors"]
        .as_object()?
        .iter()
        .find(|(key, _)| key.starts_with("ethereum-etl:"))?
        .1
        .get("next_block")?
        .as_u64()
}

/// The events files of the anvil chain (swaps, mixer deposits, kept logs), byte for byte.
fn anvil_events(data_dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(data_dir.join("chains/anvil/events"))
        .unwrap()
        .map(|e| {
            let path = e.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).unwrap())
        })
        .collect();
    files.sort();
    files
}

#[test]
fn killed_partitioned_import_resumes_with_nothing_lost_or_duplicated() {
    let work = tempfile::tempdir().unwrap();
    let sim = work.path().join("sim");
    let output = chaintrail(
        &work.path().join("unused"),
        &[
            "sim",
            "--scale",
            "60000",
            "--partition-blocks",
            "2000",
            "--out",
            sim.to_str().unwrap(),
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let export = sim.join("ethereum");
    let partitions = std::fs::read_dir(export.join("blocks")).unwrap().count();
    assert!(partitions >= 5, "{partitions} block ranges");
    let skip_links = ["--format", "ethereum-etl", "--skip-links"];

    let reference = work.path().join("reference");
    let output = import(&reference, &export, &skip_links);
    assert!(output.status.success(), "{}", stderr(&output));

    let killed = work.path().join("killed");
    let mut child = Command::new(env!("CARGO_BIN_EXE_chaintrail"))
        .arg("--data-dir")
        .arg(&killed)
        .args([
            "import",
            export.to_str().unwrap(),
            "--checkpoint-every",
            "100",
        ])
        .args(skip_links)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    // Kill without warning once the import is past the first block ranges.
    loop {
        if committed_block(&killed).is_some_and(|block| block > 4_500) {
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "import finished before it could be killed"
        );
        assert!(Instant::now() < deadline, "no checkpoint within 120 s");
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let at_kill = committed_block(&killed).unwrap();
    let a = Store::open(&reference).unwrap().reader(ANVIL).unwrap();
    let last = a.block_count() as u64;
    assert!(at_kill < last, "killed at block {at_kill} of {last}");

    let output = import(&killed, &export, &skip_links);
    assert!(output.status.success(), "{}", stderr(&output));
    let b = Store::open(&killed).unwrap().reader(ANVIL).unwrap();
    assert!(a.tx_count() > 5_000, "{} transactions", a.tx_count());
    assert_eq!(a.tx_count(), b.tx_count());
    assert_eq!(a.transfer_count(), b.transfer_count());
    assert_eq!(a.content_checksum(), b.content_checksum());
    assert_eq!(b.stats().duplicate_txs_skipped, 0);
    assert_eq!(anvil_events(&reference), anvil_events(&killed));

    // Importing the same export again changes nothing.
    let output = import(&killed, &export, &skip_links);
    assert!(output.status.success(), "{}", stderr(&output));
    let again = Store::open(&killed).unwrap().reader(ANVIL).unwrap();
    assert_eq!(again.content_checksum(), a.content_checksum());
    assert_eq!(anvil_events(&reference), anvil_events(&killed));
}

#[test]
fn verify_store_names_the_damaged_file_and_fails() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let eth = account_file(work.path(), 2_000);
    let output = import(&data, &eth, &["--skip-links"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let output = chaintrail(&data, &["verify-store", "--format", "json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report["chains"][0]["chain"], "anvil");
    assert_eq!(report["chains"][0]["problems"], serde_json::json!([]));

    let column = data.join("chains/anvil/transfers.to");
    let mut bytes = std::fs::read(&column).unwrap();
    bytes[100] ^= 1;
    std::fs::write(&column, &bytes).unwrap();
    let output = chaintrail(&data, &["verify-store"]);
    assert!(!output.status.success());
    let out = stdout(&output);
    assert!(
        out.contains("transfers.to") && out.contains("checksum mismatch in bytes 0.."),
        "{out}"
    );
    assert!(
        stderr(&output).contains("1 damaged or missing part"),
        "{}",
        stderr(&output)
    );
    // Reading through the damaged segment fails the command, naming the file.
    let output = chaintrail(
        &data,
        &["export", "--out", work.path().join("x").to_str().unwrap()],
    );
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("transfers.to"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn an_error_names_its_cause_once() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-blocks");
    let output = chaintrail(
        &dir.path().join("data"),
        &[
            "follow",
            "--chain",
            "bitcoin-regtest",
            "--blocks-dir",
            missing.to_str().unwrap(),
        ],
    );
    assert!(!output.status.success());
    let err = stderr(&output);
    assert!(
        err.starts_with(&format!("error: cannot read {}: ", missing.display())),
        "{err}"
    );
    assert_eq!(err.matches("(os error 2)").count(), 1, "{err}");
}
