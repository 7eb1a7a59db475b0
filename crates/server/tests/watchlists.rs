//! `/v1/watchlists` over real HTTP: entries added, listed and removed, the same file
//! `chaintrail watch` edits; bad entries get a 4xx naming what was wrong.

mod common;

use chaintrail_alert::Watchlist;
use chaintrail_store::Store;
use common::{KEY, config, delete, get, post, start};

#[test]
fn watch_entries_are_added_listed_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    Store::init(dir.path()).unwrap();
    let server = start(dir.path(), config());

    let added = post(
        &server,
        "/v1/watchlists",
        r#"{"kind":"address","chain":"ethereum","address":"0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed","note":"thief"}"#,
        Some(KEY),
    );
    assert_eq!(added.status, 200, "{}", added.json);
    assert_eq!(
        added.json["address"],
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
    );
    assert_eq!(added.json["note"], "thief");
    let id = added.json["id"].as_str().unwrap().to_string();
    let case = post(
        &server,
        "/v1/watchlists",
        &format!(
            r#"{{"kind":"case","seeds":["ethereum:0x{}"],"policy":"fifo","max_hops":5}}"#,
            "ab".repeat(32)
        ),
        Some(KEY),
    );
    assert_eq!(case.status, 200, "{}", case.json);
    assert_eq!(
        (case.json["policy"].as_str(), case.json["max_hops"].as_u64()),
        (Some("fifo"), Some(5))
    );

    let again = post(
        &server,
        "/v1/watchlists",
        r#"{"kind":"address","chain":"ethereum","address":"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"}"#,
        Some(KEY),
    );
    assert_eq!(again.status, 409, "{}", again.json);
    assert_eq!(again.json["error"]["code"], "already_watched");
    for (body, says) in [
        (
            r#"{"kind":"address","chain":"ethereum"}"#,
            "needs `address`",
        ),
        (r#"{"kind":"planet","name":"x"}"#, "unknown watch kind"),
        (
            r#"{"kind":"address","chain":"ethereum","address":"0x12"}"#,
            "not an address of ethereum",
        ),
        (r#"{"kind":"entity","nmae":"x"}"#, "unknown field"),
    ] {
        let reply = post(&server, "/v1/watchlists", body, Some(KEY));
        assert_eq!(reply.status, 400, "{body}: {}", reply.json);
        let message = reply.json["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{body}: {message}");
    }
    assert_eq!(post(&server, "/v1/watchlists", "{}", None).status, 401);

    let listed = get(&server, "/v1/watchlists", Some(KEY));
    assert_eq!(listed.status, 200);
    assert_eq!(listed.json["entries"].as_array().map(Vec::len), Some(2));
    // The CLI and the alert engine read the same file.
    assert_eq!(Watchlist::open(dir.path()).unwrap().entries().len(), 2);

    let removed = delete(&server, &format!("/v1/watchlists/{id}"), Some(KEY));
    assert_eq!(removed.status, 200, "{}", removed.json);
    assert_eq!(removed.json["id"], id.as_str());
    let gone = delete(&server, &format!("/v1/watchlists/{id}"), Some(KEY));
    assert_eq!(gone.status, 404);
    assert_eq!(Watchlist::open(dir.path()).unwrap().entries().len(), 1);
}
