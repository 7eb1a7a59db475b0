//! bitcoin-etl JSON lines through the importer: line index, block counts, satoshi amounts,
//! script classification, OP_RETURN payloads, and the store's writer.
//! Input: `transactions.json` (regtest addresses).
#![no_main]

use chaintrail_bitcoin::BitcoinEtl;
use chaintrail_core::{BitcoinNetwork, Chain};
use chaintrail_fuzz::{fresh_dir, fresh_store, write_file};
use chaintrail_ingest::{ImportOptions, Importer};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = fresh_dir("bitcoin-etl");
    write_file(&dir, "transactions.json", data);
    let store = fresh_store();
    let importer = BitcoinEtl {
        network: BitcoinNetwork::Regtest,
    };
    let options = ImportOptions {
        checkpoint_every: 2,
        ..ImportOptions::default()
    };
    if let Ok(report) = importer.import(&store, &dir, &options) {
        let reader = store
            .reader(Chain::Bitcoin(BitcoinNetwork::Regtest))
            .expect("a finished import leaves a readable chain");
        assert!(reader.tx_count() as u64 <= report.txs_read);
    }
});
