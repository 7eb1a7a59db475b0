//! chaintrail's own flow-jsonl through the importer: header, account and UTXO transactions, and
//! the store's writer.
#![no_main]

use chaintrail_fuzz::{fresh_dir, fresh_store, write_file};
use chaintrail_ingest::{FlowJsonl, ImportOptions, Importer};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = write_file(&fresh_dir("flow"), "flows.jsonl", data);
    let store = fresh_store();
    let options = ImportOptions {
        checkpoint_every: 2,
        ..ImportOptions::default()
    };
    if let Ok(report) = FlowJsonl.import(&store, &path, &options) {
        store
            .reader(report.chain)
            .expect("a finished import leaves a readable chain");
    }
});
