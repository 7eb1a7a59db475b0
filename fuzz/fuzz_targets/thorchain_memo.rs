//! THORChain memos (`thorchain::memo::parse`) and what is read off a parsed memo.
#![no_main]

use chaintrail_links::thorchain::memo;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = memo::parse_hash(&text);
    if let Ok(parsed) = memo::parse(&text) {
        let _ = (
            parsed.expects_outbound(),
            parsed.destination(),
            parsed.asset(),
            parsed.settles(),
        );
    }
});
