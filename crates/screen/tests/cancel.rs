//! A raised cancellation flag stops the exposure walk at its next step and the screening with
//! `ScreenError::Cancelled` (the server raises it when a request times out).

use chaintrail_core::{AccountTransfer, AccountTx, Address, Amount, AssetKind, BlockRef};
use chaintrail_core::{Chain, TransferKind, TxHash};
use chaintrail_screen::{Query, ScreenError, Screener};
use chaintrail_store::Store;
use chaintrail_trace::Cancel;

const ETH: Chain = Chain::Evm(31337);

#[test]
fn a_cancelled_screening_stops_with_an_error() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = Store::init(dir.path()).expect("init");
    let mut writer = store.writer(ETH).expect("writer");
    let send = |n: u8, from: u8, to: u8| AccountTx {
        hash: TxHash([n; 32]),
        block: BlockRef {
            height: u64::from(n),
            timestamp: 1_650_000_000 + u64::from(n) * 12,
        },
        transfers: vec![AccountTransfer {
            from: Some(Address::Evm([from; 20])),
            to: Some(Address::Evm([to; 20])),
            asset: AssetKind::Native,
            amount: Amount::from_u64(1_000),
            kind: TransferKind::Native,
            success: true,
        }],
    };
    for tx in [send(1, 1, 2), send(2, 2, 3), send(3, 3, 4)] {
        writer.append_account_tx(&tx).expect("append");
    }
    writer
        .finish("test", serde_json::json!(null))
        .expect("finish");
    let screener = Screener::open(dir.path()).expect("screener");
    let query = Query {
        address: Address::Evm([3; 20]).to_string(),
        chain: Some(ETH),
        at: Some("2026-11-23".parse().expect("date")),
        paths: false,
    };
    let fresh = Cancel::new();
    let screening = screener.screen_with(&query, &fresh).expect("not cancelled");
    assert!(!screening.truncated);
    let raised = Cancel::new();
    raised.cancel();
    let err = screener
        .screen_with(&query, &raised)
        .expect_err("cancelled");
    assert!(matches!(err, ScreenError::Cancelled), "{err}");
}
