//! cryo Parquet exports through the importer: schema checks, column types, row decoding,
//! per-block assembly, value flows and the store's writer.
//! Input: one or more files separated by `FILE_SEPARATOR`; each file's first byte picks its
//! dataset (blocks, transactions, logs, traces, native_transfers, erc20_transfers,
//! erc20_metadata), the rest is the Parquet file.
//!
//! The importer catches panics of the `parquet` crate on malformed files and reports them as
//! errors (crates/evm/src/cryo.rs, `read_file`); libFuzzer's panic hook would abort on them
//! first, so this target's hook lets panics raised inside the `parquet` crate unwind to that
//! `catch_unwind` and aborts on every other panic.
#![no_main]

use std::sync::Once;

use chaintrail_evm::{Cryo, CryoDataset};
use chaintrail_fuzz::{fresh_dir, fresh_store, select, write_file};
use chaintrail_ingest::{ImportOptions, Importer};
use libfuzzer_sys::fuzz_target;

const FILE_SEPARATOR: &[u8] = b"\n--cryo-file--\n";

const DATASETS: [CryoDataset; 7] = [
    CryoDataset::Blocks,
    CryoDataset::Transactions,
    CryoDataset::Logs,
    CryoDataset::Traces,
    CryoDataset::NativeTransfers,
    CryoDataset::Erc20Transfers,
    CryoDataset::Erc20Metadata,
];

fn files(data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = data;
    while let Some(at) = rest
        .windows(FILE_SEPARATOR.len())
        .position(|w| w == FILE_SEPARATOR)
    {
        out.push(&rest[..at]);
        rest = &rest[at + FILE_SEPARATOR.len()..];
    }
    out.push(rest);
    out
}

fn let_parquet_panics_unwind() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let fuzzer_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let in_parquet = info
                .location()
                .is_some_and(|l| l.file().contains("/parquet-"));
            if !in_parquet {
                fuzzer_hook(info);
            }
        }));
    });
}

fuzz_target!(|data: &[u8]| {
    let_parquet_panics_unwind();
    let dir = fresh_dir("cryo");
    for (i, file) in files(data).into_iter().enumerate() {
        if let Some((dataset, parquet)) = select(file, &DATASETS) {
            write_file(
                &dir,
                &format!("f{i}__{}__0.parquet", dataset.name()),
                parquet,
            );
        }
    }
    let store = fresh_store();
    let options = ImportOptions {
        checkpoint_every: 2,
        ..ImportOptions::default()
    };
    let _ = Cryo.import(&store, &dir, &options);
});
