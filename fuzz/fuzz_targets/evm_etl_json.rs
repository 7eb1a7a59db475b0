//! ethereum-etl JSON-lines tables (`parse_etl_json`). Input: a selector byte for the table, then the JSON lines.
#![no_main]

use chaintrail_evm::parse_etl_json;
use chaintrail_fuzz::{ETL_TABLES, select};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some((table, lines)) = select(data, &ETL_TABLES) {
        let _ = parse_etl_json(table, lines);
    }
});
