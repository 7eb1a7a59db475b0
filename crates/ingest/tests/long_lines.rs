//! A flow-jsonl file with a line longer than [`MAX_LINE`] (a damaged file, or one that is not
//! JSON lines at all) is refused with its file, line and the limit, and nothing is stored.

use std::fs::OpenOptions;

use chaintrail_core::Chain;
use chaintrail_ingest::{FlowJsonl, ImportOptions, Importer, MAX_LINE, write_flow_jsonl};
use chaintrail_store::Store;

#[test]
fn a_line_longer_than_the_limit_is_refused_with_file_line_and_limit() {
    let tmp = tempfile::tempdir().expect("tmp");
    let path = tmp.path().join("huge.flow.jsonl");
    write_flow_jsonl(&path, Chain::Evm(31337), []).expect("header");
    // Line 2: MAX_LINE + 1 zero bytes and no newline, as a sparse file (no disk used).
    let file = OpenOptions::new().append(true).open(&path).expect("open");
    let header = file.metadata().expect("size").len();
    file.set_len(header + MAX_LINE as u64 + 1).expect("extend");
    let store = Store::init(&tmp.path().join("store")).expect("store");
    let err = FlowJsonl
        .import(&store, &path, &ImportOptions::default())
        .expect_err("an over-long line");
    assert_eq!(
        err.to_string(),
        format!(
            "{}:2: the line is longer than 64 MiB, the most chaintrail reads as one line: the \
             file is damaged or not in this format",
            path.display()
        )
    );
    assert_eq!(store.chains().expect("chains"), []);
}

#[test]
fn a_line_at_the_limit_is_read() {
    // A line of exactly MAX_LINE bytes passes the length check and fails as JSON instead.
    let tmp = tempfile::tempdir().expect("tmp");
    let path = tmp.path().join("edge.flow.jsonl");
    write_flow_jsonl(&path, Chain::Evm(31337), []).expect("header");
    let file = OpenOptions::new().append(true).open(&path).expect("open");
    let header = file.metadata().expect("size").len();
    file.set_len(header + MAX_LINE as u64).expect("extend");
    let store = Store::init(&tmp.path().join("store")).expect("store");
    let err = FlowJsonl
        .import(&store, &path, &ImportOptions::default())
        .expect_err("not JSON");
    let text = err.to_string();
    assert!(
        text.contains(":2: not a anvil transaction record"),
        "{text}"
    );
}
