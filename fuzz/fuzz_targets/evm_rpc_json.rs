//! EVM JSON-RPC answers: blocks with transactions and withdrawals, receipts, logs, Parity traces
//! and Geth call-tracer frames. Input: a selector byte for the decoder, then the `result` JSON.
#![no_main]

use alloy_primitives::B256;
use chaintrail_evm::{
    decode_block, decode_geth_traces, decode_log, decode_parity_traces, decode_receipt,
};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Some((&which, json)) = data.split_first() else {
        return;
    };
    let Ok(value) = serde_json::from_slice::<Value>(json) else {
        return;
    };
    match which % 5 {
        0 => drop(decode_block(&value)),
        1 => drop(decode_receipt(&value)),
        2 => drop(decode_log(&value)),
        3 => drop(decode_parity_traces(&value)),
        _ => drop(decode_geth_traces(&value, 1, &[B256::ZERO])),
    }
});
