//! Search names an address on every chain where it appears and a hash on every chain that has
//! the transaction; anything else finds nothing.

use std::collections::BTreeMap;

use chaintrail_core::{Chain, TxHash};
use chaintrail_query::{HitKind, SearchHit, search};
use chaintrail_store::Store;

const ANVIL: Chain = Chain::Evm(31337);

#[test]
fn an_address_on_two_chains_is_two_hits_and_a_hash_one() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = Store::init(dir.path()).expect("store");
    let txs: Vec<_> = chaintrail_ingest::synthetic::account_txs(7, 50).collect();
    // The same transfers on two EVM chains; the second chain holds only the first five.
    for (chain, count) in [(Chain::ETHEREUM, 5), (ANVIL, txs.len())] {
        let mut writer = store.writer(chain).expect("writer");
        for tx in &txs[..count] {
            writer.append_account_tx(tx).expect("append");
        }
        writer
            .finish("test", serde_json::json!(null))
            .expect("finish");
    }
    let readers: BTreeMap<Chain, _> = [Chain::ETHEREUM, ANVIL]
        .into_iter()
        .map(|chain| (chain, store.reader(chain).expect("reader")))
        .collect();

    let sender = txs[0].transfers[0].from.clone().expect("a sender");
    let text = sender.to_string().to_lowercase();
    let hits = search(&readers, &format!("  {text} "));
    let chains: Vec<Chain> = hits.iter().map(|h| h.chain).collect();
    assert_eq!(chains, vec![Chain::ETHEREUM, ANVIL], "{hits:?}");
    assert!(hits.iter().all(|h| h.kind == HitKind::Address));
    assert!(hits.iter().all(|h| h.id == sender.to_string()));

    let late = &txs[txs.len() - 1].hash;
    assert_eq!(
        search(&readers, &late.to_hex()),
        vec![SearchHit {
            kind: HitKind::Transaction,
            chain: ANVIL,
            id: late.to_hex_prefixed(),
        }]
    );
    assert!(search(&readers, &TxHash([0xab; 32]).to_hex_prefixed()).is_empty());
    assert!(search(&readers, "not an address").is_empty());
}
