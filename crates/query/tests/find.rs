//! Finding addresses and transactions across the store's chains.

use chaintrail_core::{Chain, TxHash};
use chaintrail_query::{QueryError, find_address, find_tx};
use chaintrail_store::Store;

const ANVIL: Chain = Chain::Evm(31337);

#[test]
fn addresses_and_transactions_are_found_on_the_chains_that_can_hold_them() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = Store::init(dir.path()).expect("store");
    let txs: Vec<_> = chaintrail_ingest::synthetic::account_txs(7, 200).collect();
    let mut writer = store.writer(ANVIL).expect("writer");
    for tx in &txs {
        writer.append_account_tx(tx).expect("append");
    }
    writer
        .finish("test", serde_json::json!(null))
        .expect("finish");

    let first = &txs[0];
    let found = find_tx(&store, &first.hash, None)
        .expect("find")
        .expect("present");
    assert_eq!(found.chain, ANVIL);
    assert_eq!(found.transfers.len(), first.transfers.len());
    assert!(
        find_tx(&store, &TxHash([0xab; 32]), None)
            .expect("find")
            .is_none()
    );

    let sender = first.transfers[0].from.clone().expect("a sender");
    let summaries = find_address(&store, &sender.to_string(), None, 3).expect("address");
    assert_eq!(summaries.len(), 1);
    assert_eq!(summaries[0].chain, ANVIL);
    assert!(summaries[0].outgoing > 0);

    let err = find_address(
        &store,
        "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
        None,
        3,
    )
    .expect_err("no bitcoin chain");
    assert!(matches!(err, QueryError::NoSuchChain { .. }), "{err}");
    assert!(err.to_string().ends_with("(chains: anvil)"), "{err}");
}
