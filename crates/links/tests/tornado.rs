//! Every demixing heuristic on hand-built cases: one it must link, one it must not. The cases
//! are written as an ethereum-etl export (transactions with their fee settings, Tornado Cash
//! `Deposit`/`Withdrawal` logs of the real ABI) and imported through the real importer.

use std::collections::BTreeSet;

use alloy_primitives::{Address as Raw, B256, U256};
use alloy_sol_types::{SolEvent, sol};
use chaintrail_core::{Address, Chain, TxHash};
use chaintrail_evm::EthereumEtl;
use chaintrail_ingest::{ImportOptions, Importer};
use chaintrail_labels::Category;
use chaintrail_links::Services;
use chaintrail_links::tornado::{Heuristic, candidates};
use chaintrail_store::Store;
use serde_json::{Value, json};

sol! {
    event Deposit(bytes32 indexed commitment, uint32 leafIndex, uint256 timestamp);
    event Withdrawal(address to, bytes32 nullifierHash, address indexed relayer, uint256 fee);
    // Tornado Cash's RewardSwap (anonymity mining).
    event Swap(address indexed recipient, uint256 pTORN, uint256 TORN);
}

struct NoServices;

impl Services for NoServices {
    fn service(&self, _: Chain, _: &Address) -> Option<(Category, String)> {
        None
    }
    fn addresses(&self, _: Chain) -> Vec<(Address, Category, String)> {
        Vec::new()
    }
}

/// Mainnet's 0.1 ETH pool and RewardSwap (../shared/data/tornado_cash), by their step codes.
const ETH_POINT_ONE: u8 = 0xC1;
const REWARD_SWAP: u8 = 0xC2;

fn raw(n: u8) -> Raw {
    match n {
        ETH_POINT_ONE => alloy_primitives::address!("0x12D66f87A04A9E220743712cE6d9bB1B5616B8Fc"),
        REWARD_SWAP => alloy_primitives::address!("0x5cab7692d4e94096462119ab7bf57319726eed2a"),
        _ => Raw::repeat_byte(n),
    }
}

const POOL_A: u8 = 0xA0;
const POOL_B: u8 = 0xB0;
const NO_RELAYER: u8 = 0;
const RELAYER: u8 = 0xEE;

/// One transaction of the export: a deposit, a withdrawal or a plain payment.
enum Step {
    Deposit {
        from: u8,
        pool: u8,
        fee: (u64, u64),
    },
    Withdraw {
        pool: u8,
        to: u8,
        relayer: u8,
        sender: u8,
        fee: (u64, u64),
    },
    Pay {
        from: u8,
        to: u8,
    },
    /// `recipient` swaps `points` anonymity points for TORN at `contract`.
    Claim {
        contract: u8,
        recipient: u8,
        points: u64,
    },
}

/// The export of `steps`, one per block, 12 s apart (a deposit and its withdrawal are in
/// different blocks, deposit first).
fn store_of(steps: &[Step]) -> (tempfile::TempDir, Store, Vec<TxHash>) {
    let export = tempfile::tempdir().expect("tmp");
    let (mut blocks, mut txs, mut logs) = (String::new(), String::new(), String::new());
    let mut hashes = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let number = 1000 + i as u64;
        let time = 1_700_000_000 + 12 * i as u64;
        let block_hash = format!("0x{:064x}", number);
        let tx_hash = format!("0x{:064x}", 0xbeef_0000u64 + i as u64);
        hashes.push(tx_hash.parse::<TxHash>().expect("hash"));
        blocks += &json!({"type": "block", "number": number, "hash": block_hash,
            "parent_hash": format!("0x{:064x}", number - 1), "timestamp": time,
            "miner": format!("{}", raw(0x99)), "transaction_count": 1, "gas_limit": 30000000,
            "gas_used": 21000, "base_fee_per_gas": 1000u64})
        .to_string();
        blocks.push('\n');
        let (from, to, value, fee, log): (u8, u8, u128, (u64, u64), Option<Value>) = match step {
            Step::Deposit { from, pool, fee } => {
                let event = Deposit {
                    commitment: B256::repeat_byte(i as u8 + 1),
                    leafIndex: i as u32,
                    timestamp: U256::from(time),
                };
                let data = event.encode_data();
                let topics: Vec<String> = event
                    .encode_topics()
                    .iter()
                    .map(|t| format!("{}", B256::from(t.0)))
                    .collect();
                (
                    *from,
                    *pool,
                    10u128.pow(18),
                    *fee,
                    Some(
                        json!({"address": format!("{}", raw(*pool)), "topics": topics, "data": format!("0x{}", hex::encode(data))}),
                    ),
                )
            }
            Step::Withdraw {
                pool,
                to,
                relayer,
                sender,
                fee,
            } => {
                let event = Withdrawal {
                    to: raw(*to),
                    nullifierHash: B256::repeat_byte(0x50 + i as u8),
                    relayer: raw(*relayer),
                    fee: U256::ZERO,
                };
                let data = event.encode_data();
                let topics: Vec<String> = event
                    .encode_topics()
                    .iter()
                    .map(|t| format!("{}", B256::from(t.0)))
                    .collect();
                (
                    *sender,
                    *pool,
                    0,
                    *fee,
                    Some(
                        json!({"address": format!("{}", raw(*pool)), "topics": topics, "data": format!("0x{}", hex::encode(data))}),
                    ),
                )
            }
            Step::Claim {
                contract,
                recipient,
                points,
            } => {
                let event = Swap {
                    recipient: raw(*recipient),
                    pTORN: U256::from(*points),
                    TORN: U256::from(*points) * U256::from(1_000u64),
                };
                let data = event.encode_data();
                let topics: Vec<String> = event
                    .encode_topics()
                    .iter()
                    .map(|t| format!("{}", B256::from(t.0)))
                    .collect();
                (
                    *recipient,
                    *contract,
                    0,
                    COMMON,
                    Some(
                        json!({"address": format!("{}", raw(*contract)), "topics": topics, "data": format!("0x{}", hex::encode(data))}),
                    ),
                )
            }
            Step::Pay { from, to } => (
                *from,
                *to,
                10u128.pow(16),
                (2_000_000_000, 1_000_000_000),
                None,
            ),
        };
        txs += &json!({"type": "transaction", "hash": tx_hash, "nonce": i, "transaction_index": 0,
            "from_address": format!("{}", raw(from)), "to_address": format!("{}", raw(to)),
            "value": value.to_string(), "gas": 100000, "gas_price": 1500u64, "input": "0x",
            "block_timestamp": time, "block_number": number, "block_hash": block_hash,
            "max_fee_per_gas": fee.0, "max_priority_fee_per_gas": fee.1, "transaction_type": 2,
            "receipt_cumulative_gas_used": 21000, "receipt_gas_used": 21000,
            "receipt_contract_address": null, "receipt_root": null, "receipt_status": 1,
            "receipt_effective_gas_price": 1500u64})
        .to_string();
        txs.push('\n');
        if let Some(mut log) = log {
            log["type"] = json!("log");
            log["log_index"] = json!(0);
            log["transaction_hash"] = json!(tx_hash);
            log["transaction_index"] = json!(0);
            log["block_number"] = json!(number);
            log["block_timestamp"] = json!(time);
            log["block_hash"] = json!(block_hash);
            logs += &log.to_string();
            logs.push('\n');
        }
    }
    for (name, text) in [("blocks", &blocks), ("transactions", &txs), ("logs", &logs)] {
        std::fs::write(export.path().join(format!("{name}.json")), text).expect("write");
    }
    let dir = tempfile::tempdir().expect("tmp");
    let store = Store::init(dir.path()).expect("store");
    EthereumEtl
        .import(&store, export.path(), &ImportOptions::default())
        .expect("import");
    (dir, store, hashes)
}

/// The (deposit step, withdrawal step) pairs a heuristic proposes.
fn proposed(steps: &[Step], heuristic: Heuristic) -> BTreeSet<(usize, usize)> {
    let (_dir, store, hashes) = store_of(steps);
    let events =
        chaintrail_evm::events::read_mixer_events(&store, Chain::ETHEREUM).expect("events");
    let reader = store.reader(Chain::ETHEREUM).expect("reader");
    let index = |tx: &TxHash| hashes.iter().position(|h| h == tx).expect("known tx");
    let logs = chaintrail_evm::events::read_kept_logs(&store, Chain::ETHEREUM).expect("logs");
    let claims = chaintrail_links::tornado::mining::claims(&logs);
    candidates(&reader, &events, &claims, &NoServices)
        .iter()
        .filter(|c| c.heuristic == heuristic)
        .map(|c| (index(&c.deposit), index(&c.withdrawal)))
        .collect()
}

/// The bulk movers' (deposit step, withdrawal step, share in thousandths) proposals.
fn shares(steps: &[Step]) -> BTreeSet<(usize, usize, u32)> {
    let (_dir, store, hashes) = store_of(steps);
    let events =
        chaintrail_evm::events::read_mixer_events(&store, Chain::ETHEREUM).expect("events");
    let reader = store.reader(Chain::ETHEREUM).expect("reader");
    let index = |tx: &TxHash| hashes.iter().position(|h| h == tx).expect("known tx");
    candidates(&reader, &events, &[], &NoServices)
        .iter()
        .filter(|c| c.heuristic == Heuristic::BulkMovers)
        .map(|c| {
            let thousandths = (c.share * 1000.0).round() as u32;
            (index(&c.deposit), index(&c.withdrawal), thousandths)
        })
        .collect()
}

const COMMON: (u64, u64) = (30_000_000_000, 1_000_000_000);

/// A note of pool A deposited by `from` with the common fee settings.
fn deposit(from: u8) -> Step {
    Step::Deposit {
        from,
        pool: POOL_A,
        fee: COMMON,
    }
}

/// A note of pool A withdrawn to `to` through the relayer.
fn withdraw(to: u8) -> Step {
    Step::Withdraw {
        pool: POOL_A,
        to,
        relayer: RELAYER,
        sender: RELAYER,
        fee: COMMON,
    }
}

#[test]
fn address_match_links_a_withdrawal_to_its_depositor_only() {
    let steps = [
        Step::Deposit {
            from: 1,
            pool: POOL_A,
            fee: COMMON,
        },
        Step::Deposit {
            from: 2,
            pool: POOL_A,
            fee: COMMON,
        },
        Step::Withdraw {
            pool: POOL_A,
            to: 1,
            relayer: RELAYER,
            sender: RELAYER,
            fee: COMMON,
        },
        Step::Withdraw {
            pool: POOL_A,
            to: 7,
            relayer: RELAYER,
            sender: RELAYER,
            fee: COMMON,
        },
    ];
    assert_eq!(
        proposed(&steps, Heuristic::AddressMatch),
        BTreeSet::from([(0, 2)])
    );
}

#[test]
fn unique_fee_settings_link_a_self_relayed_withdrawal_and_shared_ones_do_not() {
    let unusual = (31_415_926_535, 2_718_281_828);
    let steps = [
        Step::Deposit {
            from: 1,
            pool: POOL_A,
            fee: unusual,
        },
        Step::Deposit {
            from: 2,
            pool: POOL_A,
            fee: COMMON,
        },
        Step::Deposit {
            from: 3,
            pool: POOL_A,
            fee: COMMON,
        },
        // Self-relayed with the unusual settings: that wallet's.
        Step::Withdraw {
            pool: POOL_A,
            to: 8,
            relayer: NO_RELAYER,
            sender: 8,
            fee: unusual,
        },
        // Self-relayed with settings two deposits share: no link.
        Step::Withdraw {
            pool: POOL_A,
            to: 9,
            relayer: NO_RELAYER,
            sender: 9,
            fee: COMMON,
        },
    ];
    assert_eq!(
        proposed(&steps, Heuristic::UniqueFee),
        BTreeSet::from([(0, 3)])
    );
}

#[test]
fn linked_addresses_need_repeated_direct_transfers() {
    let steps = [
        Step::Pay { from: 1, to: 8 },
        Step::Pay { from: 8, to: 1 },
        Step::Pay { from: 2, to: 9 },
        Step::Deposit {
            from: 1,
            pool: POOL_A,
            fee: COMMON,
        },
        Step::Deposit {
            from: 2,
            pool: POOL_A,
            fee: COMMON,
        },
        // 8 and depositor 1 paid each other twice: linked.
        Step::Withdraw {
            pool: POOL_A,
            to: 8,
            relayer: RELAYER,
            sender: RELAYER,
            fee: COMMON,
        },
        // 9 met depositor 2 once: a chance meeting, no link.
        Step::Withdraw {
            pool: POOL_A,
            to: 9,
            relayer: RELAYER,
            sender: RELAYER,
            fee: COMMON,
        },
    ];
    assert_eq!(
        proposed(&steps, Heuristic::LinkedAddresses),
        BTreeSet::from([(3, 5)])
    );
}

#[test]
fn a_multi_denomination_portfolio_links_and_a_different_one_does_not() {
    let steps = [
        Step::Deposit {
            from: 1,
            pool: POOL_A,
            fee: COMMON,
        },
        Step::Deposit {
            from: 1,
            pool: POOL_A,
            fee: COMMON,
        },
        Step::Deposit {
            from: 1,
            pool: POOL_B,
            fee: COMMON,
        },
        // The same portfolio (2 × A, 1 × B) to one recipient: linked, notes of a pool in order.
        Step::Withdraw {
            pool: POOL_B,
            to: 8,
            relayer: RELAYER,
            sender: RELAYER,
            fee: COMMON,
        },
        Step::Withdraw {
            pool: POOL_A,
            to: 8,
            relayer: RELAYER,
            sender: RELAYER,
            fee: COMMON,
        },
        Step::Withdraw {
            pool: POOL_A,
            to: 8,
            relayer: RELAYER,
            sender: RELAYER,
            fee: COMMON,
        },
        // 3 × A to another: a different portfolio.
        Step::Withdraw {
            pool: POOL_A,
            to: 9,
            relayer: RELAYER,
            sender: RELAYER,
            fee: COMMON,
        },
        Step::Withdraw {
            pool: POOL_A,
            to: 9,
            relayer: RELAYER,
            sender: RELAYER,
            fee: COMMON,
        },
        Step::Withdraw {
            pool: POOL_A,
            to: 9,
            relayer: RELAYER,
            sender: RELAYER,
            fee: COMMON,
        },
    ];
    assert_eq!(
        proposed(&steps, Heuristic::MultiDenomination),
        BTreeSet::from([(0, 4), (1, 5), (2, 3)])
    );
}

#[test]
fn bulk_movers_pair_a_bulk_depositor_with_fresh_bulk_recipients_only() {
    let steps = [
        // 5 was active before the withdrawals: not fresh.
        Step::Pay { from: 3, to: 5 },
        Step::Deposit {
            from: 1,
            pool: POOL_A,
            fee: COMMON,
        },
        Step::Deposit {
            from: 1,
            pool: POOL_A,
            fee: COMMON,
        },
        Step::Deposit {
            from: 1,
            pool: POOL_A,
            fee: COMMON,
        },
        Step::Deposit {
            from: 2,
            pool: POOL_A,
            fee: COMMON,
        },
        Step::Withdraw {
            pool: POOL_A,
            to: 4,
            relayer: RELAYER,
            sender: RELAYER,
            fee: COMMON,
        },
        Step::Withdraw {
            pool: POOL_A,
            to: 5,
            relayer: RELAYER,
            sender: RELAYER,
            fee: COMMON,
        },
        Step::Withdraw {
            pool: POOL_A,
            to: 4,
            relayer: RELAYER,
            sender: RELAYER,
            fee: COMMON,
        },
        Step::Withdraw {
            pool: POOL_A,
            to: 5,
            relayer: RELAYER,
            sender: RELAYER,
            fee: COMMON,
        },
        // One withdrawal to a fresh address: not a bulk recipient.
        Step::Withdraw {
            pool: POOL_A,
            to: 6,
            relayer: RELAYER,
            sender: RELAYER,
            fee: COMMON,
        },
    ];
    // Depositor 1's notes (steps 1–3, bulk) pair in order with fresh bulk recipient 4's
    // withdrawals; depositor 2 (one note), recipient 5 (not fresh) and 6 (one) take no part.
    assert_eq!(
        proposed(&steps, Heuristic::BulkMovers),
        BTreeSet::from([(1, 5), (2, 7)])
    );
}

#[test]
fn bulk_campaigns_by_common_funding_share_the_withdrawals_they_overlap() {
    let steps = [
        // Wallet 0x30 funds depositors 1 and 2: one campaign of six notes (steps 2–7).
        Step::Pay { from: 0x30, to: 1 },
        Step::Pay { from: 0x30, to: 2 },
        deposit(1),
        deposit(1),
        deposit(1),
        deposit(2),
        deposit(2),
        deposit(2),
        // Depositor 3, funded by nobody here: a campaign of its own (steps 8–10).
        deposit(3),
        deposit(3),
        deposit(3),
        withdraw(4),
        withdraw(4),
    ];
    // Each withdrawal is one note's worth, two thirds from the six-note campaign and one third
    // from the three-note one, oldest notes first (the second takes what the first left).
    assert_eq!(
        shares(&steps),
        BTreeSet::from([
            (2, 11, 667),
            (8, 11, 333),
            (2, 12, 333),
            (3, 12, 333),
            (8, 12, 333),
        ])
    );
}

#[test]
fn bulk_depositors_without_common_funding_are_separate_campaigns() {
    let steps = [
        // 1 and 2 are funded by different wallets: two campaigns of three notes each.
        Step::Pay { from: 0x30, to: 1 },
        Step::Pay { from: 0x31, to: 2 },
        deposit(1),
        deposit(1),
        deposit(1),
        deposit(2),
        deposit(2),
        deposit(2),
        withdraw(4),
        withdraw(4),
    ];
    assert_eq!(
        shares(&steps),
        BTreeSet::from([(2, 8, 500), (5, 8, 500), (2, 9, 500), (5, 9, 500)])
    );
}

#[test]
fn a_recipient_withdrawing_exactly_one_campaigns_notes_takes_them_whole() {
    let steps = [
        Step::Pay { from: 0x30, to: 1 },
        Step::Pay { from: 0x31, to: 2 },
        // Campaign A: three notes (steps 2–4); campaign B: four (steps 5–8).
        deposit(1),
        deposit(1),
        deposit(1),
        deposit(2),
        deposit(2),
        deposit(2),
        deposit(2),
        // Recipient 4 withdraws three notes: only A has three, so A's notes go to it whole
        // rather than being shared with B's.
        withdraw(4),
        withdraw(4),
        withdraw(4),
        // Recipient 5 withdraws two: B alone holds notes now.
        withdraw(5),
        withdraw(5),
    ];
    assert_eq!(
        shares(&steps),
        BTreeSet::from([
            (2, 9, 1000),
            (3, 10, 1000),
            (4, 11, 1000),
            (5, 12, 1000),
            (6, 13, 1000),
        ])
    );
}

/// Every proposal of a heuristic: (deposit step, withdrawal step, confidence in hundredths).
fn confidences(steps: &[Step], heuristic: Heuristic) -> BTreeSet<(usize, usize, u32)> {
    let (_dir, store, hashes) = store_of(steps);
    let events =
        chaintrail_evm::events::read_mixer_events(&store, Chain::ETHEREUM).expect("events");
    let reader = store.reader(Chain::ETHEREUM).expect("reader");
    let index = |tx: &TxHash| hashes.iter().position(|h| h == tx).expect("known tx");
    candidates(&reader, &events, &[], &NoServices)
        .iter()
        .filter(|c| c.heuristic == heuristic)
        .map(|c| {
            let hundredths = (c.confidence * 100.0).round() as u32;
            (index(&c.deposit), index(&c.withdrawal), hundredths)
        })
        .collect()
}

fn deposit_into(from: u8, pool: u8) -> Step {
    Step::Deposit {
        from,
        pool,
        fee: COMMON,
    }
}

#[test]
fn address_match_is_worth_what_chance_leaves_of_it() {
    // Depositors 1, 3, 4 use pool A; 2, 5, 6 pool B: half the depositors used A, so a
    // withdrawal from A paid to a B-only depositor predicts one same-pool match by chance.
    // Paid to depositors through a relayer: one to 1 (same pool), one to 2 (B only) — the
    // class is all chance. Self-relayed by depositor 3: no such coincidence — worth 0.95.
    let steps = [
        deposit_into(1, POOL_A),
        deposit_into(2, POOL_B),
        deposit_into(3, POOL_A),
        deposit_into(4, POOL_A),
        deposit_into(5, POOL_B),
        deposit_into(6, POOL_B),
        withdraw(1),
        withdraw(2),
        Step::Withdraw {
            pool: POOL_A,
            to: 3,
            relayer: NO_RELAYER,
            sender: 3,
            fee: COMMON,
        },
    ];
    assert_eq!(
        confidences(&steps, Heuristic::AddressMatch),
        BTreeSet::from([(0, 6, 0), (2, 8, 95)])
    );
}

/// `n` payments between bystanders: a stretch of quiet in the pools, 12 s each.
fn quiet(n: usize) -> impl Iterator<Item = Step> {
    (0..n).map(|_| Step::Pay {
        from: 0x31,
        to: 0x32,
    })
}

#[test]
fn timing_pairs_a_quick_withdrawal_with_the_notes_just_before_it() {
    // Withdrawn 12 s after the deposit; the other withdrawal has no deposit within ten
    // minutes on either side: one quick withdrawal beyond chance of two measured (0.5).
    let steps: Vec<Step> = [deposit(1), withdraw(7)]
        .into_iter()
        .chain(quiet(60))
        .chain([withdraw(8)])
        .chain(quiet(60))
        .chain([deposit(2)])
        .collect();
    assert_eq!(
        confidences(&steps, Heuristic::Timing),
        BTreeSet::from([(0, 1, 50)])
    );
}

#[test]
fn timing_says_nothing_where_deposits_follow_withdrawals_as_often() {
    let steps = [deposit(1), withdraw(7), deposit(2)];
    assert_eq!(proposed(&steps, Heuristic::Timing), BTreeSet::new());
}

/// Depositor 1 pays recipient 7 twice (linked addresses ties its first note to 7's first
/// withdrawal), deposits a second note, and 7 withdraws again through `relayer`.
fn returning_user(relayer: u8) -> Vec<Step> {
    vec![
        deposit(1),
        Step::Pay { from: 1, to: 7 },
        Step::Pay { from: 1, to: 7 },
        withdraw(7),
        deposit(1),
        Step::Withdraw {
            pool: POOL_A,
            to: 7,
            relayer,
            sender: relayer,
            fee: COMMON,
        },
    ]
}

#[test]
fn relayer_behaviour_follows_a_recipient_back_to_its_relayer() {
    assert_eq!(
        proposed(&returning_user(RELAYER), Heuristic::RelayerBehaviour),
        BTreeSet::from([(4, 5)])
    );
    assert_eq!(
        proposed(&returning_user(0xED), Heuristic::RelayerBehaviour),
        BTreeSet::new()
    );
}

/// Deposits into mainnet's 0.1 ETH pool (4 anonymity points a block) at steps 0 and 1,
/// withdrawals at steps 3 and 5 (one block per step), then `claim`.
fn mined(claim: Step) -> Vec<Step> {
    let into_pool = |from| Step::Deposit {
        from,
        pool: ETH_POINT_ONE,
        fee: COMMON,
    };
    let out_of_pool = |to| Step::Withdraw {
        pool: ETH_POINT_ONE,
        to,
        relayer: RELAYER,
        sender: RELAYER,
        fee: COMMON,
    };
    vec![
        into_pool(1),
        into_pool(2),
        Step::Pay {
            from: 0x31,
            to: 0x32,
        },
        out_of_pool(7),
        Step::Pay {
            from: 0x31,
            to: 0x32,
        },
        out_of_pool(8),
        claim,
    ]
}

#[test]
fn torn_mining_links_the_one_note_that_stayed_as_long_as_the_points_say() {
    // 12 points at 4 a block: three blocks, deposit 0 to withdrawal 3 alone (the other gaps are
    // 2, 4 and 5 blocks).
    let claim = Step::Claim {
        contract: REWARD_SWAP,
        recipient: 0x40,
        points: 12,
    };
    assert_eq!(
        proposed(&mined(claim), Heuristic::TornMining),
        BTreeSet::from([(0, 3)])
    );
}

#[test]
fn torn_mining_needs_a_fitting_gap_and_the_reward_swap_itself() {
    // 28 points: seven blocks, which no pair is apart.
    let no_gap = Step::Claim {
        contract: REWARD_SWAP,
        recipient: 0x40,
        points: 28,
    };
    assert_eq!(
        proposed(&mined(no_gap), Heuristic::TornMining),
        BTreeSet::new()
    );
    // The same event from another contract is no claim.
    let elsewhere = Step::Claim {
        contract: 0x41,
        recipient: 0x40,
        points: 12,
    };
    assert_eq!(
        proposed(&mined(elsewhere), Heuristic::TornMining),
        BTreeSet::new()
    );
}
