//! The alert engine over a store imported in two ranges through the real flow-jsonl importer,
//! delivering to a real webhook receiver on 127.0.0.1 that checks the HMAC signature.
//!
//! The world (chain anvil, ether in wei; block h has timestamp 1_700_000_000 + 12·h):
//! - range 1: block 1 the theft (victim → thief, 100 ETH, the case's seed); block 2 the thief
//!   sends 60 ETH to a mule; block 3 the watched wallet sends 5 ETH to a bystander;
//! - range 2: block 4 the mule deposits its 60 ETH at the exchange; block 5 a sanctioned
//!   address pays the watched wallet 1 ETH; block 6 the thief sends its last 40 ETH away.

mod receiver;

use std::path::Path;
use std::time::Duration;

use chaintrail_alert::{
    Alert, AlertConfig, AlertEngine, CaseTrace, DEAD_LETTER_FILE, EventKey, RetryPolicy, Rule,
    Side, SinkConfig, WatchTarget, Watchlist, alert_id, retraction_id,
};
use chaintrail_core::{
    AccountTransfer, AccountTx, Address, Amount, AssetKind, BlockRef, Chain, TransferKind, TxHash,
};
use chaintrail_ingest::{FlowJsonl, FlowRecord, ImportOptions, Importer, write_flow_jsonl};
use chaintrail_labels::LabelStore;
use chaintrail_store::Store;
use receiver::{Behaviour, Receiver};

const CHAIN: Chain = Chain::Evm(31337);
const SECRET: &str = "test-secret";
const ETH: u128 = 1_000_000_000_000_000_000;

fn address(n: u64) -> Address {
    Address::parse(CHAIN, &format!("0x{n:040x}")).expect("an EVM address")
}

const VICTIM: u64 = 0xa1;
const THIEF: u64 = 0xa2;
const MULE: u64 = 0xa3;
const EXCHANGE: u64 = 0xa4;
const WATCHED: u64 = 0xa5;
const BYSTANDER: u64 = 0xa6;
const SANCTIONED: u64 = 0xa7;

fn tx_hash(block: u64) -> TxHash {
    let mut bytes = [0u8; 32];
    bytes[0] = 0xee;
    bytes[31] = block as u8;
    TxHash(bytes)
}

fn hash_text(block: u64) -> String {
    tx_hash(block).to_hex_prefixed()
}

fn payment(block: u64, from: u64, to: u64, eth: u128) -> FlowRecord {
    FlowRecord::Account(AccountTx {
        hash: tx_hash(block),
        block: BlockRef {
            height: block,
            timestamp: 1_700_000_000 + 12 * block,
        },
        transfers: vec![AccountTransfer {
            from: Some(address(from)),
            to: Some(address(to)),
            asset: AssetKind::Native,
            amount: Amount::from_u128(eth * ETH),
            kind: TransferKind::Native,
            success: true,
        }],
    })
}

fn range_one() -> Vec<FlowRecord> {
    vec![
        payment(1, VICTIM, THIEF, 100),
        payment(2, THIEF, MULE, 60),
        payment(3, WATCHED, BYSTANDER, 5),
    ]
}

fn range_two() -> Vec<FlowRecord> {
    vec![
        payment(4, MULE, EXCHANGE, 60),
        payment(5, SANCTIONED, WATCHED, 1),
        payment(6, THIEF, BYSTANDER, 40),
    ]
}

fn import(store: &Store, dir: &Path, name: &str, records: &[FlowRecord]) {
    let path = dir.join(name);
    write_flow_jsonl(&path, CHAIN, records).expect("write the export");
    FlowJsonl
        .import(store, &path, &ImportOptions::default())
        .expect("import");
}

/// A store with range 1 imported, the exchange and the sanctioned address labelled (TagPacks
/// through the real importer), and the watchlist: the watched wallet and the theft's case.
fn world(dir: &Path) -> Store {
    let store = Store::init(&dir.join("data")).expect("store");
    import(&store, dir, "range1.jsonl", &range_one());
    let packs = dir.join("packs");
    std::fs::create_dir_all(&packs).expect("packs dir");
    std::fs::write(
        packs.join("exchange.yaml"),
        format!(
            "title: Test exchange\ncreator: test\nconfidence: authority_data\n\
             category: exchange\nlabel: TestEx\ncurrency: ETH\nlastmod: 2024-01-01\n\
             source: https://example.invalid/test\ntags:\n- address: '{}'\n",
            address(EXCHANGE)
        ),
    )
    .expect("pack");
    std::fs::write(
        packs.join("sanctioned.yaml"),
        format!(
            "title: Sanctioned actor\ncreator: test\nconfidence: authority_data\n\
             abuse: sanction\nlabel: Bad Actor\ncurrency: ETH\nlastmod: 2024-01-01\n\
             source: https://example.invalid/test\ntags:\n- address: '{}'\n",
            address(SANCTIONED)
        ),
    )
    .expect("pack");
    let mut labels = LabelStore::open(store.dir()).expect("labels");
    let report = labels.import_tagpacks(&packs).expect("tagpacks");
    assert_eq!(
        (report.imported, report.rejected.len()),
        (2, 0),
        "{report:?}"
    );
    labels.save().expect("save labels");
    let mut watchlist = Watchlist::open(store.dir()).expect("watchlist");
    watchlist
        .add(
            WatchTarget::address(CHAIN, &address(WATCHED).to_string()).expect("address"),
            Some("known wallet".to_string()),
        )
        .expect("watch the wallet");
    watchlist
        .add(
            WatchTarget::case(CaseTrace {
                seeds: vec![format!("anvil:{}", hash_text(1))],
                policy: "haircut".to_string(),
                max_hops: 10,
                min_value: "0".to_string(),
            })
            .expect("case"),
            Some("the theft".to_string()),
        )
        .expect("watch the case");
    store
}

fn watch_ids(store: &Store) -> (String, String) {
    let list = Watchlist::open(store.dir()).expect("watchlist");
    let id = |want: fn(&WatchTarget) -> bool| {
        list.entries()
            .iter()
            .find(|e| want(&e.target))
            .map(|e| e.id.clone())
            .expect("entry")
    };
    (
        id(|t| matches!(t, WatchTarget::Address { .. })),
        id(|t| matches!(t, WatchTarget::Case(_))),
    )
}

fn fast_retries(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        first_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
    }
}

fn webhook_engine(store: &Store, receiver: &Receiver, retry: RetryPolicy) -> AlertEngine {
    AlertEngine::open(
        store.dir(),
        AlertConfig {
            sinks: vec![SinkConfig::webhook(&receiver.url, SECRET).expect("sink")],
            retry,
            links_file: None,
        },
    )
    .expect("engine")
}

fn id_of(block: u64, rule: Rule, watch: &str) -> String {
    alert_id(
        &EventKey {
            chain: CHAIN,
            tx: hash_text(block),
            side: Side::Transfer,
            position: 0,
            rule,
            watch: watch.to_string(),
        },
        0,
    )
}

/// (rule, block, holder, counterparty, amount in wei, path length) of an alert.
fn summary(alert: &Alert) -> (Rule, u64, String, String, String, usize) {
    (
        alert.rule,
        alert.block.number,
        alert
            .holder
            .as_ref()
            .map(|p| p.address.clone())
            .unwrap_or_default(),
        alert
            .counterparty
            .as_ref()
            .map(|p| p.address.clone())
            .unwrap_or_default(),
        alert.amount.amount.clone(),
        alert.path.len(),
    )
}

fn wei(eth: u128) -> String {
    (eth * ETH).to_string()
}

fn parsed(receiver: &Receiver) -> Vec<Alert> {
    receiver
        .requests()
        .into_iter()
        .filter(|r| r.acknowledged)
        .map(|r| serde_json::from_value(r.body).expect("an alert"))
        .collect()
}

#[test]
fn two_ranges_raise_exact_signed_alerts_once_and_a_rollback_retracts_those_above_the_fork() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = world(dir.path());
    let (wallet, case) = watch_ids(&store);
    let receiver = Receiver::start(SECRET, Behaviour::Accept);
    let jsonl = dir.path().join("alerts.jsonl");
    let config = AlertConfig {
        sinks: vec![
            SinkConfig::webhook(&receiver.url, SECRET).expect("sink"),
            SinkConfig::JsonlFile(jsonl.clone()),
        ],
        retry: fast_retries(3),
        links_file: None,
    };
    let mut engine = AlertEngine::open(store.dir(), config.clone()).expect("engine");
    engine.blocks_applied(&store, CHAIN, 1, 3).expect("range 1");
    assert_eq!(engine.last_report().raised, 2);

    let first = parsed(&receiver);
    let a = |n: u64| address(n).to_string();
    assert_eq!(
        first.iter().map(summary).collect::<Vec<_>>(),
        vec![
            (Rule::TaintedHolderSends, 2, a(THIEF), a(MULE), wei(60), 2),
            (Rule::WatchedSends, 3, a(WATCHED), a(BYSTANDER), wei(5), 0),
        ]
    );
    assert_eq!(
        first.iter().map(|a| a.id.clone()).collect::<Vec<_>>(),
        vec![
            id_of(2, Rule::TaintedHolderSends, &case),
            id_of(3, Rule::WatchedSends, &wallet),
        ]
    );
    // The case's path: the theft, then the thief's payment, each with its rule.
    let path = &first[0].path;
    assert_eq!(
        path.iter()
            .map(|s| (s.tx.clone(), s.rule.clone(), s.value.amount.clone()))
            .collect::<Vec<_>>(),
        vec![
            (hash_text(1), "seed".to_string(), wei(100)),
            (hash_text(2), "haircut".to_string(), wei(60)),
        ]
    );
    assert_eq!(first[0].tx, hash_text(2));
    assert_eq!(first[0].block.timestamp, 1_700_000_024);
    assert_eq!(first[0].amount.units, "60");
    assert_eq!(first[0].confidence, 1.0);
    assert!(receiver.requests().iter().all(|r| r.signature_valid));

    // Range 2 arrives.
    import(&store, dir.path(), "range2.jsonl", &range_two());
    engine.blocks_applied(&store, CHAIN, 4, 6).expect("range 2");
    assert_eq!(engine.last_report().raised, 4);
    let all = parsed(&receiver);
    assert_eq!(
        all[2..].iter().map(summary).collect::<Vec<_>>(),
        vec![
            (
                Rule::TaintedHolderSends,
                4,
                a(MULE),
                a(EXCHANGE),
                wei(60),
                3
            ),
            (
                Rule::TaintedReachesService,
                4,
                a(MULE),
                a(EXCHANGE),
                wei(60),
                3
            ),
            (
                Rule::SanctionedCounterparty,
                5,
                a(WATCHED),
                a(SANCTIONED),
                wei(1),
                0
            ),
            (
                Rule::TaintedHolderSends,
                6,
                a(THIEF),
                a(BYSTANDER),
                wei(40),
                2
            ),
        ]
    );
    let service = &all[3];
    assert_eq!(service.id, id_of(4, Rule::TaintedReachesService, &case));
    let exchange = service.counterparty.as_ref().expect("the exchange");
    assert_eq!(
        (exchange.entity.as_deref(), exchange.category.as_deref()),
        (Some("TestEx"), Some("exchange"))
    );
    let sanctioned = all[4].counterparty.as_ref().expect("the sanctioned party");
    assert_eq!(sanctioned.flags, vec!["sanctioned".to_string()]);
    assert_eq!(all[4].id, id_of(5, Rule::SanctionedCounterparty, &wallet));
    assert!(receiver.requests().iter().all(|r| r.signature_valid));
    assert_eq!(receiver.requests().len(), 6);

    // A restart that evaluates range 2 again (its last commit replayed) delivers nothing twice.
    drop(engine);
    let mut engine = AlertEngine::open(store.dir(), config.clone()).expect("reopen");
    assert_eq!(engine.deliver().expect("deliver").delivered, 0);
    engine.blocks_applied(&store, CHAIN, 1, 6).expect("replay");
    assert_eq!(engine.last_report().raised, 0);
    assert_eq!(receiver.requests().len(), 6);
    let lines: Vec<Alert> = std::fs::read_to_string(&jsonl)
        .expect("jsonl sink")
        .lines()
        .map(|l| serde_json::from_str(l).expect("an alert line"))
        .collect();
    assert_eq!(lines, all);

    // Blocks 5 and 6 are orphaned: exactly their alerts are retracted.
    engine.rolled_back(&store, CHAIN, 4).expect("rollback");
    assert_eq!(engine.last_report().retracted, 2);
    let after = parsed(&receiver);
    assert_eq!(after.len(), 8);
    let retractions = &after[6..];
    assert_eq!(
        retractions
            .iter()
            .map(|r| (
                r.retracts.clone().expect("retracts"),
                r.id.clone(),
                r.block.number
            ))
            .collect::<Vec<_>>(),
        vec![
            (all[4].id.clone(), retraction_id(&all[4].id), 5),
            (all[5].id.clone(), retraction_id(&all[5].id), 6),
        ]
    );
    assert!(
        retractions
            .iter()
            .all(|r| r.kind == chaintrail_alert::AlertKind::Retracted)
    );
    // A second rollback to the same point retracts nothing more.
    engine
        .rolled_back(&store, CHAIN, 4)
        .expect("rollback again");
    assert_eq!(engine.last_report().retracted, 0);
    // The same transactions confirmed again on the new branch: raised anew, as revision 1.
    engine
        .blocks_applied(&store, CHAIN, 5, 6)
        .expect("new branch");
    let again = parsed(&receiver);
    assert_eq!(again.len(), 10);
    assert_eq!(
        again[8..]
            .iter()
            .map(|a| (a.revision, a.rule, a.id == all[4].id || a.id == all[5].id))
            .collect::<Vec<_>>(),
        vec![
            (1, Rule::SanctionedCounterparty, false),
            (1, Rule::TaintedHolderSends, false),
        ]
    );
}

#[test]
fn a_receiver_that_fails_twice_gets_the_alert_on_the_third_attempt() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = world(dir.path());
    let receiver = Receiver::start(SECRET, Behaviour::FailFirst(2));
    let mut engine = webhook_engine(&store, &receiver, fast_retries(5));
    engine.blocks_applied(&store, CHAIN, 1, 3).expect("range 1");
    let report = engine.last_report().clone();
    assert_eq!(
        (
            report.delivered,
            report.failed_attempts,
            report.dead_lettered,
            report.pending
        ),
        (2, 2, 0, 0)
    );
    let requests = receiver.requests();
    assert_eq!(requests.len(), 4);
    let ids: Vec<String> = requests
        .iter()
        .map(|r| r.body["id"].as_str().unwrap_or_default().to_string())
        .collect();
    // The first alert three times (two refusals, then accepted), the second once.
    assert_eq!(ids[0], ids[1]);
    assert_eq!(ids[1], ids[2]);
    assert_ne!(ids[2], ids[3]);
    assert_eq!(
        requests.iter().map(|r| r.acknowledged).collect::<Vec<_>>(),
        [false, false, true, true]
    );
    assert!(!store.dir().join("alerts").join(DEAD_LETTER_FILE).exists());
}

#[test]
fn a_receiver_that_always_fails_sends_the_alerts_to_the_dead_letter_file() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = world(dir.path());
    let receiver = Receiver::start(SECRET, Behaviour::AlwaysFail);
    let mut engine = webhook_engine(&store, &receiver, fast_retries(3));
    engine.blocks_applied(&store, CHAIN, 1, 3).expect("range 1");
    let report = engine.last_report().clone();
    assert_eq!(
        (
            report.delivered,
            report.failed_attempts,
            report.dead_lettered,
            report.pending
        ),
        (0, 6, 2, 0)
    );
    assert_eq!(receiver.requests().len(), 6);
    let dead: Vec<serde_json::Value> =
        std::fs::read_to_string(store.dir().join("alerts").join(DEAD_LETTER_FILE))
            .expect("dead letters")
            .lines()
            .map(|l| serde_json::from_str(l).expect("a dead letter"))
            .collect();
    let (wallet, case) = watch_ids(&store);
    assert_eq!(
        dead.iter()
            .map(|d| (
                d["alert"]["id"].as_str().unwrap_or_default().to_string(),
                d["attempts"].as_u64(),
                d["sink"].as_str().unwrap_or_default().to_string()
            ))
            .collect::<Vec<_>>(),
        vec![
            (
                id_of(2, Rule::TaintedHolderSends, &case),
                Some(3),
                format!("webhook:{}", receiver.url)
            ),
            (
                id_of(3, Rule::WatchedSends, &wallet),
                Some(3),
                format!("webhook:{}", receiver.url)
            ),
        ]
    );
    assert!(
        dead[0]["error"]
            .as_str()
            .unwrap_or_default()
            .contains("HTTP 500")
    );
    // Dead letters are not retried after a restart.
    let mut engine = webhook_engine(&store, &receiver, fast_retries(3));
    assert_eq!(engine.deliver().expect("deliver").failed_attempts, 0);
    assert_eq!(receiver.requests().len(), 6);
}

/// The environment variable that makes [`child_delivers_until_killed`] run: the data dir and
/// the receiver's URL, separated by a newline.
const CHILD_ENV: &str = "CHAINTRAIL_ALERT_TEST_CHILD";

/// Run only as the child of the kill -9 test: raise range 1 and deliver until killed.
#[test]
fn child_delivers_until_killed() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let (data, url) = spec.split_once('\n').expect("dir and url");
    let store = Store::open(Path::new(data)).expect("store");
    let mut engine = AlertEngine::open(
        store.dir(),
        AlertConfig {
            sinks: vec![SinkConfig::webhook(url, SECRET).expect("sink")],
            retry: fast_retries(3),
            links_file: None,
        },
    )
    .expect("engine");
    // Blocks on the second delivery, which the receiver never answers, until killed.
    engine.blocks_applied(&store, CHAIN, 1, 3).expect("range 1");
}

#[test]
fn a_restart_after_kill_9_delivers_only_what_was_not_acknowledged() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = world(dir.path());
    let (wallet, case) = watch_ids(&store);
    let hanging = Receiver::start(SECRET, Behaviour::HangAfter(1));
    let mut child = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args(["child_delivers_until_killed", "--exact", "--nocapture"])
        .env(
            CHILD_ENV,
            format!("{}\n{}", store.dir().display(), hanging.url),
        )
        .spawn()
        .expect("spawn the child");
    // Wait until the second alert is in flight (received, never answered).
    let started = std::time::Instant::now();
    while hanging.requests().len() < 2 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the child delivered {} alerts",
            hanging.requests().len()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().expect("kill -9");
    child.wait().expect("reap");
    let acknowledged = hanging.acknowledged_ids();
    assert_eq!(
        acknowledged,
        vec![id_of(2, Rule::TaintedHolderSends, &case)]
    );

    // Restart (same configuration, the receiver answers again): only the alert that was in
    // flight is sent, and nothing acknowledged is sent twice.
    hanging.set(Behaviour::Accept);
    let mut engine = webhook_engine(&store, &hanging, fast_retries(3));
    let report = engine.deliver().expect("deliver");
    assert_eq!((report.delivered, report.pending), (1, 0));
    assert_eq!(
        hanging.acknowledged_ids(),
        vec![
            id_of(2, Rule::TaintedHolderSends, &case),
            id_of(3, Rule::WatchedSends, &wallet),
        ]
    );
    let first = id_of(2, Rule::TaintedHolderSends, &case);
    let sent_first = hanging
        .requests()
        .iter()
        .filter(|r| r.body["id"] == first.as_str())
        .count();
    assert_eq!(sent_first, 1);
    // The block range evaluated again after the restart raises nothing new.
    engine.blocks_applied(&store, CHAIN, 1, 3).expect("replay");
    assert_eq!(hanging.requests().len(), 3);
}
