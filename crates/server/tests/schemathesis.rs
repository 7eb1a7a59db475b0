//! Schemathesis (PyPI, installed into .tools/venv by tests/setup-schemathesis.sh) generates
//! requests from the OpenAPI document and sends them to a live server: none may get a 5xx.

mod common;

use std::path::Path;
use std::process::Command;

use chaintrail_labels::LabelStore;
use chaintrail_store::Store;
use common::{KEY, config, start};

#[test]
fn schemathesis_finds_no_server_errors() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let setup = Command::new("bash")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/setup-schemathesis.sh"))
        .status()
        .expect("run setup-schemathesis.sh");
    assert!(setup.success(), "installing schemathesis failed");
    let dir = tempfile::tempdir().expect("tempdir");
    Store::init(dir.path()).expect("init");
    let mut labels = LabelStore::open(dir.path()).expect("labels");
    labels
        .import_ofac(
            &root.join("../shared/data/ofac_sdn/sdn_digital_currency_addresses_2025-03-04.csv"),
            None,
        )
        .expect("import");
    labels.save().expect("save");
    let server = start(dir.path(), config());
    let output = Command::new(root.join(".tools/venv/bin/schemathesis"))
        .args(["run", &format!("{}/openapi.json", server.base)])
        .args(["--checks", "not_a_server_error"])
        .args(["--header", &format!("X-API-Key: {KEY}")])
        .args([
            "--max-examples",
            "40",
            "--request-timeout",
            "30",
            "--workers",
            "2",
        ])
        .env("NO_COLOR", "1")
        .output()
        .expect("run schemathesis");
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "schemathesis reported failures:\n{text}"
    );
    assert!(text.contains("passed"), "{text}");
}
