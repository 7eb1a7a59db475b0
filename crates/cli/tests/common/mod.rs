//! Running the `chaintrail` binary as a user runs it, for the CLI tests.

// Each test binary uses a part of these.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

/// `chaintrail --data-dir DATA_DIR ARGS…`, run to its end.
pub fn chaintrail(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chaintrail"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .output()
        .expect("the chaintrail binary runs")
}

/// [`chaintrail`] that must succeed (else the test fails with its arguments and stderr).
pub fn checked(data_dir: &Path, args: &[&str]) -> Output {
    let output = chaintrail(data_dir, args);
    assert!(output.status.success(), "{args:?}: {}", stderr(&output));
    output
}

/// The stdout of a run that must have succeeded.
pub fn ok(output: Output) -> String {
    assert!(output.status.success(), "{}", stderr(&output));
    stdout(&output)
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}
