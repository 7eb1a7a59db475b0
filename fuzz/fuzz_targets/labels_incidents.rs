//! Incident CSVs (the DPRK list and DeFiHackLabs, told by the header), then the ledger's
//! tallies and the attacker labels derived from what was imported.
#![no_main]

use chaintrail_fuzz::{fresh_dir, write_file};
use chaintrail_labels::IncidentLedger;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = write_file(&fresh_dir("incidents"), "incidents.csv", data);
    let mut ledger = IncidentLedger::in_memory();
    if ledger.import(&path).is_ok() {
        let _ = ledger.stats();
        let _ = ledger.attacker_labels();
    }
});
