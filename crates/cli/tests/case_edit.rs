//! `chaintrail case edit` and `case rm`, run as a user runs them: the file changes whole, what
//! the case traces stays, and a deleted case is gone with a clear error after.

use std::process::Output;

use serde_json::Value;

mod common;
use common::chaintrail;

fn json(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON on stdout")
}

const SEED: &str = "anvil:0x00000000000000000000000000000000000000000000000000000000000000aa";

#[test]
fn a_case_is_renamed_annotated_and_deleted() {
    let work = tempfile::tempdir().expect("tempdir");
    let data = work.path();
    let saved = json(&chaintrail(
        data,
        &[
            "case",
            "new",
            "--name",
            "Ronin",
            "--seed",
            SEED,
            "--policy",
            "fifo",
            "--notes",
            "first look",
            "--annotate",
            "0xabc=hot wallet?",
            "--format",
            "json",
        ],
    ));
    assert_eq!(saved["id"], "ronin-1");
    assert!(saved.get("updated_at").is_none(), "{saved}");

    let edited = json(&chaintrail(
        data,
        &[
            "case",
            "edit",
            "ronin-1",
            "--name",
            "Ronin bridge, day two",
            "--notes",
            "Binance froze 10 ETH",
            "--annotate",
            "0xdef=deposit at Binance",
            "--annotate",
            "0xabc=the exploiter",
            "--format",
            "json",
        ],
    ));
    assert_eq!(edited["id"], "ronin-1");
    assert_eq!(edited["name"], "Ronin bridge, day two");
    assert_eq!(edited["notes"], "Binance froze 10 ETH");
    assert_eq!(
        edited["annotations"],
        serde_json::json!([
            {"target": "0xdef", "note": "deposit at Binance"},
            {"target": "0xabc", "note": "the exploiter"}
        ])
    );
    assert!(edited["updated_at"].is_string(), "{edited}");
    // What it traces stays.
    assert_eq!(edited["seeds"], serde_json::json!([SEED]));
    assert_eq!(edited["policy"], "fifo");
    assert_eq!(edited["created_at"], saved["created_at"]);

    // The file on disk is the edited case, and nothing else is left in the folder.
    let file: Value =
        serde_json::from_slice(&std::fs::read(data.join("cases/ronin-1.json")).expect("case file"))
            .expect("json");
    assert_eq!(file, edited);
    let names: Vec<String> = std::fs::read_dir(data.join("cases"))
        .expect("cases dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["ronin-1.json"]);

    let unannotated = json(&chaintrail(
        data,
        &[
            "case",
            "edit",
            "ronin-1",
            "--unannotate",
            "0xdef",
            "--format",
            "json",
        ],
    ));
    assert_eq!(
        unannotated["annotations"],
        serde_json::json!([{"target": "0xabc", "note": "the exploiter"}])
    );

    // Bad edits are refused with what to do, and change nothing.
    let blank = chaintrail(data, &["case", "edit", "ronin-1", "--name", "  "]);
    assert!(!blank.status.success());
    assert!(
        String::from_utf8_lossy(&blank.stderr).contains("a case needs a name"),
        "{}",
        String::from_utf8_lossy(&blank.stderr)
    );
    let bad = chaintrail(
        data,
        &["case", "edit", "ronin-1", "--annotate", "no-equals"],
    );
    assert!(String::from_utf8_lossy(&bad.stderr).contains("expected TARGET=NOTE"));
    let shown = json(&chaintrail(data, &["case", "show", "ronin-1"]));
    assert_eq!(shown, unannotated);

    let removed = json(&chaintrail(
        data,
        &["case", "rm", "ronin-1", "--format", "json"],
    ));
    assert_eq!(removed["name"], "Ronin bridge, day two");
    assert!(!data.join("cases/ronin-1.json").exists());
    let again = chaintrail(data, &["case", "rm", "ronin-1"]);
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("no case `ronin-1`"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let listed = json(&chaintrail(data, &["case", "list", "--format", "json"]));
    assert_eq!(listed, serde_json::json!([]));
}
