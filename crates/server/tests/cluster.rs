//! `GET /v1/cluster/{address}` over real HTTP on a Bitcoin store written by the real writer and
//! clustered by `chaintrail_cluster::refresh`.

mod common;

use chaintrail_core::testing::{numbered_tx as tx, regtest_address as addr};
use chaintrail_core::{BitcoinNetwork, Chain, TxHash};
use chaintrail_store::Store;
use common::{KEY, config, get, start};

const BTC: Chain = Chain::Bitcoin(BitcoinNetwork::Regtest);

#[test]
fn the_cluster_of_an_address_with_the_merge_that_joined_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::init(dir.path()).unwrap();
    let mut writer = store.writer(BTC).unwrap();
    for t in [
        tx(1, &[], &[(1, 50_000)]),
        tx(2, &[], &[(2, 70_000)]),
        tx(3, &[(1, 0), (2, 0)], &[(3, 119_000)]),
    ] {
        writer.append_utxo_tx(&t).unwrap();
    }
    writer.finish("test", serde_json::json!(3)).unwrap();
    chaintrail_cluster::refresh(&store, None, chaintrail_cluster::Mode::Incremental).unwrap();
    let server = start(dir.path(), config());

    let reply = get(&server, &format!("/v1/cluster/{}", addr(2)), Some(KEY));
    assert_eq!(reply.status, 200, "{}", reply.json);
    let info = &reply.json[0];
    assert_eq!(info["chain"], "bitcoin-regtest");
    assert_eq!(info["size"], 2);
    assert_eq!(info["cluster_address"], addr(1).to_string());
    assert_eq!(info["joined_by"]["heuristic"], "multi-input");
    assert_eq!(info["joined_by"]["tx"], TxHash([3; 32]).to_hex());
    assert_eq!(info["first_seen"], 1_700_000_600u64);
    assert_eq!(info["last_seen"], 1_700_001_800u64);

    let alone = get(&server, &format!("/v1/cluster/{}", addr(3)), Some(KEY));
    assert_eq!(
        (alone.status, &alone.json[0]["size"]),
        (200, &serde_json::json!(1))
    );
    let missing = get(&server, &format!("/v1/cluster/{}", addr(9)), Some(KEY));
    assert_eq!(missing.status, 404);
    let bad = get(
        &server,
        &format!("/v1/cluster/{}?chain=nonsense", addr(2)),
        Some(KEY),
    );
    assert_eq!(bad.status, 400);
}
