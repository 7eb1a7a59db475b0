//! A real node: anvil (Foundry 1.7.1, installed from npm into `.tools/` by setup-anvil.sh) on
//! 127.0.0.1. The test deploys the contracts of `contracts/Fixtures.sol` (compiled bytecode in
//! `contracts/Fixtures.json`), sends transactions — some reverting, some with reverting inner
//! calls — ingests the blocks, checks every flow, and checks that for every touched address the
//! recorded native flows add up to its balance change according to `eth_getBalance`.

mod anvil_node;
mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use alloy_primitives::{Address as EvmAddress, B256, I256, U256};
use alloy_sol_types::SolCall;
use chaintrail_core::{Address, Amount, AssetKind, Chain, TransferKind};
use chaintrail_evm::TokenNaming;
use chaintrail_evm::events::{
    KEPT_TOPICS, KeptLog, MixerEventKind, SwapProtocol, read_contract_creations, read_kept_logs,
    read_mixer_events, read_swaps,
};
use chaintrail_evm::{
    EvmError, ForkedBlock, RpcAuth, RpcClient, RpcConfig, RpcOptions, TraceSource, ingest_rpc_with,
};
use chaintrail_ingest::ImportOptions;
use chaintrail_store::Store;

use anvil_node::start_anvil;
use serde_json::{Value, json};

mod abi {
    alloy_sol_types::sol! {
        function transfer(address to, uint256 value) returns (bool);
        function burn(uint256 value);
        function swapV2(uint256 a0In, uint256 a1In, uint256 a0Out, uint256 a1Out, address to);
        function swapV3(int256 amount0, int256 amount1, address recipient);
        function boom();
        function split(address a, address b);
        function tryBoth(address good, address bad);
        function createAndKill(address heir);
    }
    pub mod weth {
        alloy_sol_types::sol! {
            function deposit();
            function withdraw(uint256 wad);
        }
    }
    pub mod mixer {
        alloy_sol_types::sol! {
            function deposit(bytes32 commitment);
            function withdraw(address to, bytes32 nullifierHash, address relayer, uint256 fee);
        }
    }
    pub mod router {
        alloy_sol_types::sol! {
            function deposit(address vault, string memo);
        }
    }
}

/// from, to, asset, amount, kind, success.
type Flow = (
    Option<Address>,
    Option<Address>,
    AssetKind,
    u128,
    TransferKind,
    bool,
);

const ETH: u128 = 1_000_000_000_000_000_000;

pub struct Node {
    pub client: RpcClient,
    pub accounts: Vec<EvmAddress>,
}

impl Node {
    pub fn new(url: &str) -> Node {
        let client = RpcClient::new(url, RpcAuth::None, RpcOptions::default()).expect("client");
        let accounts = client
            .call("eth_accounts", json!([]))
            .expect("accounts")
            .as_array()
            .expect("list")
            .iter()
            .map(|a| a.as_str().expect("text").parse().expect("address"))
            .collect();
        Node { client, accounts }
    }

    pub fn rpc(&self, method: &'static str, params: Value) -> Value {
        self.client
            .call(method, params)
            .unwrap_or_else(|e| panic!("{method}: {e}"))
    }

    /// Send a transaction (explicit gas, so that reverting ones are mined too); returns its
    /// hash and whether it succeeded.
    pub fn send(
        &self,
        from: EvmAddress,
        to: Option<EvmAddress>,
        value: u128,
        data: Vec<u8>,
    ) -> (B256, bool) {
        let mut tx = json!({
            "from": from,
            "value": format!("{value:#x}"),
            "data": format!("0x{}", hex::encode(&data)),
            "gas": "0x2dc6c0",
        });
        if let Some(to) = to {
            tx["to"] = json!(to);
        }
        let hash: B256 =
            serde_json::from_value(self.rpc("eth_sendTransaction", json!([tx]))).expect("hash");
        let receipt = self.receipt(hash);
        (hash, receipt["status"] == "0x1")
    }

    /// The receipt, waiting for the block (anvil may answer `eth_sendTransaction` first).
    pub fn receipt(&self, hash: B256) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let receipt = self.rpc("eth_getTransactionReceipt", json!([hash]));
            if !receipt.is_null() {
                return receipt;
            }
            assert!(
                Instant::now() < deadline,
                "transaction {hash} was never mined"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn deploy(&self, from: EvmAddress, name: &str, args: &[u8]) -> EvmAddress {
        let artifacts: Value =
            serde_json::from_str(include_str!("contracts/Fixtures.json")).expect("artifacts");
        let code = artifacts["contracts"][name]["bytecode"]
            .as_str()
            .expect("bytecode");
        let mut data = hex::decode(code.trim_start_matches("0x")).expect("hex");
        data.extend_from_slice(args);
        let (hash, ok) = self.send(from, None, 0, data);
        assert!(ok, "deploying {name} failed");
        let receipt = self.receipt(hash);
        receipt["contractAddress"]
            .as_str()
            .expect("address")
            .parse()
            .expect("address")
    }

    pub fn balance(&self, who: EvmAddress, block: u64) -> U256 {
        let value = self.rpc("eth_getBalance", json!([who, format!("{block:#x}")]));
        U256::from_str_radix(value.as_str().expect("text").trim_start_matches("0x"), 16)
            .expect("number")
    }

    pub fn head(&self) -> u64 {
        let value = self.rpc("eth_blockNumber", json!([]));
        u64::from_str_radix(value.as_str().expect("text").trim_start_matches("0x"), 16)
            .expect("number")
    }
}

fn word(value: u128) -> Vec<u8> {
    U256::from(value).to_be_bytes::<32>().to_vec()
}

fn ct(a: EvmAddress) -> Address {
    Address::Evm(a.0.0)
}

/// Σ successful native inflows − outflows per address, from the store.
fn native_net(store: &Store, chain: Chain) -> HashMap<u32, (U256, U256)> {
    let reader = store.reader(chain).expect("reader");
    let mut net: HashMap<u32, (U256, U256)> = HashMap::new();
    for row in 0..reader.transfer_count() {
        let t = reader.transfer(row).expect("transfer");
        let native = reader
            .asset(t.asset)
            .is_some_and(|a| a.kind == AssetKind::Native);
        if !native || !t.success {
            continue;
        }
        let amount = t.amount.as_u256();
        net.entry(t.to).or_default().0 += amount;
        net.entry(t.from).or_default().1 += amount;
    }
    net
}

#[test]
fn anvil_flows_and_balances() {
    let Some(anvil) = start_anvil() else { return };
    let node = Node::new(&anvil.url);
    let a = node.accounts.clone();
    let start = node.head();

    // Plain transfer.
    let (plain, ok) = node.send(a[0], Some(a[1]), ETH, Vec::new());
    assert!(ok);
    // ERC-20: mint on deploy, transfer, burn, and a reverted transfer (no balance).
    let token = node.deploy(a[0], "Token", &word(1_000_000 * ETH));
    assert!(
        node.send(
            a[0],
            Some(token),
            0,
            abi::transferCall {
                to: a[2],
                value: U256::from(1000)
            }
            .abi_encode()
        )
        .1
    );
    assert!(
        node.send(
            a[0],
            Some(token),
            0,
            abi::burnCall {
                value: U256::from(10)
            }
            .abi_encode()
        )
        .1
    );
    let (bad_token, ok) = node.send(
        a[3],
        Some(token),
        0,
        abi::transferCall {
            to: a[2],
            value: U256::from(5),
        }
        .abi_encode(),
    );
    assert!(!ok, "a transfer without balance must revert");
    // WETH.
    let weth = node.deploy(a[0], "Weth", &[]);
    assert!(
        node.send(
            a[1],
            Some(weth),
            2 * ETH,
            abi::weth::depositCall {}.abi_encode()
        )
        .1
    );
    assert!(
        node.send(
            a[1],
            Some(weth),
            0,
            abi::weth::withdrawCall {
                wad: U256::from(ETH / 2)
            }
            .abi_encode()
        )
        .1
    );
    // Swap events.
    let v2 = node.deploy(a[0], "SwapEmitter", &[]);
    let v3 = node.deploy(a[0], "SwapEmitterV3", &[]);
    assert!(
        node.send(
            a[4],
            Some(v2),
            0,
            abi::swapV2Call {
                a0In: U256::from(500),
                a1In: U256::ZERO,
                a0Out: U256::ZERO,
                a1Out: U256::from(42),
                to: a[5]
            }
            .abi_encode()
        )
        .1
    );
    assert!(
        node.send(
            a[4],
            Some(v3),
            0,
            abi::swapV3Call {
                amount0: I256::try_from(-7i64).expect("i256"),
                amount1: I256::try_from(9i64).expect("i256"),
                recipient: a[6]
            }
            .abi_encode()
        )
        .1
    );
    // Internal ether: split, an inner call that reverts, create + self-destruct, top-level reverts.
    let reverter = node.deploy(a[0], "Reverter", &[]);
    let forwarder = node.deploy(a[0], "Forwarder", &[]);
    assert!(
        node.send(
            a[2],
            Some(forwarder),
            ETH,
            abi::splitCall { a: a[4], b: a[5] }.abi_encode()
        )
        .1
    );
    let (try_both, ok) = node.send(
        a[2],
        Some(forwarder),
        4 * ETH,
        abi::tryBothCall {
            good: a[6],
            bad: reverter,
        }
        .abi_encode(),
    );
    assert!(
        ok,
        "the outer call succeeds although its inner call reverts"
    );
    let (kill, ok) = node.send(
        a[2],
        Some(forwarder),
        3 * ETH / 10,
        abi::createAndKillCall { heir: a[7] }.abi_encode(),
    );
    assert!(ok);
    let (boom, ok) = node.send(a[3], Some(reverter), ETH, abi::boomCall {}.abi_encode());
    assert!(!ok);
    let (refused, ok) = node.send(a[3], Some(reverter), ETH, Vec::new());
    assert!(!ok);
    // Mixer with Tornado's events.
    let mixer = node.deploy(a[0], "Mixer", &word(ETH));
    let commitment = B256::repeat_byte(0xc0);
    let nullifier = B256::repeat_byte(0x11);
    assert!(
        node.send(
            a[8],
            Some(mixer),
            ETH,
            abi::mixer::depositCall { commitment }.abi_encode()
        )
        .1
    );
    assert!(
        node.send(
            a[3],
            Some(mixer),
            0,
            abi::mixer::withdrawCall {
                to: a[9],
                nullifierHash: nullifier,
                relayer: a[3],
                fee: U256::from(ETH / 10)
            }
            .abi_encode()
        )
        .1
    );
    // A THORChain-style router deposit: ether to the vault, the memo in the event.
    let router = node.deploy(a[0], "Router", &[]);
    let memo = "=:BTC.BTC:bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh";
    let (bridged, ok) = node.send(
        a[7],
        Some(router),
        ETH / 4,
        abi::router::depositCall {
            vault: a[5],
            memo: memo.to_string(),
        }
        .abi_encode(),
    );
    assert!(ok);
    // Tokens whose metadata the ingest asks the contracts for: a string symbol, MKR's bytes32
    // symbol, and garbage answers.
    let mut meta_args = Vec::new();
    meta_args.extend(word(0x60));
    meta_args.extend(word(6));
    meta_args.extend(word(1_000_000_000_000));
    meta_args.extend(word(4));
    meta_args.extend(b"USDC");
    meta_args.resize(meta_args.len().next_multiple_of(32), 0);
    let meta_token = node.deploy(a[0], "MetaToken", &meta_args);
    let mkr = node.deploy(a[0], "Bytes32Token", &word(ETH));
    let garbage = node.deploy(a[0], "GarbageToken", &word(ETH));
    let end = node.head();

    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::init(dir.path()).expect("store");
    let config = RpcConfig {
        wrapped_native: vec![weth],
        blocks_per_batch: 3,
        concurrency: 2,
        ..RpcConfig::default()
    };
    let report = ingest_rpc_with(
        &store,
        &anvil.url,
        start + 1,
        end,
        &config,
        &ImportOptions::default(),
    )
    .expect("ingest");
    assert_eq!(
        report.traces,
        TraceSource::TraceBlock,
        "anvil answers trace_block"
    );
    assert_eq!(report.blocks, end - start);
    assert_eq!(
        report.import.txs_read,
        end - start,
        "automine: one transaction per block"
    );
    let chain = report.import.chain;
    let reader = store.reader(chain).expect("reader");

    // Every flow of the interesting transactions.
    let flows = |hash: B256| -> Vec<Flow> {
        let tx = reader
            .tx_id(&chaintrail_core::TxHash(hash.0))
            .expect("tx stored");
        reader
            .tx_transfers(tx)
            .map(|row| {
                let t = reader.transfer(row).expect("row");
                (
                    reader.address(t.from),
                    reader.address(t.to),
                    reader.asset(t.asset).expect("asset").kind.clone(),
                    t.amount.to_u128().expect("small"),
                    t.kind,
                    t.success,
                )
            })
            .filter(|f| {
                f.4 != TransferKind::Fee && f.4 != TransferKind::Burn || f.2 != AssetKind::Native
            })
            .collect()
    };
    use TransferKind::{Burn, Internal, Mint, Token};
    let native = AssetKind::Native;
    assert_eq!(
        flows(plain),
        vec![(
            Some(ct(a[0])),
            Some(ct(a[1])),
            native.clone(),
            ETH,
            TransferKind::Native,
            true
        )]
    );
    assert_eq!(
        flows(bad_token),
        vec![],
        "a reverted token transfer moves no token"
    );
    assert_eq!(
        flows(try_both),
        vec![
            (
                Some(ct(a[2])),
                Some(ct(forwarder)),
                native.clone(),
                4 * ETH,
                TransferKind::Native,
                true
            ),
            (
                Some(ct(forwarder)),
                Some(ct(a[6])),
                native.clone(),
                ETH,
                Internal,
                true
            ),
            (
                Some(ct(forwarder)),
                Some(ct(reverter)),
                native.clone(),
                ETH,
                Internal,
                false
            ),
        ]
    );
    let child = read_contract_creations(&store, chain)
        .expect("contracts")
        .into_iter()
        .find(|c| c.tx.0 == kill.0)
        .expect("the child's creation");
    assert_eq!(child.creator, ct(forwarder));
    assert_eq!(
        flows(kill),
        vec![
            (
                Some(ct(a[2])),
                Some(ct(forwarder)),
                native.clone(),
                3 * ETH / 10,
                TransferKind::Native,
                true
            ),
            (
                Some(ct(forwarder)),
                Some(child.address.clone()),
                native.clone(),
                3 * ETH / 10,
                Internal,
                true
            ),
            (
                Some(child.address.clone()),
                Some(ct(a[7])),
                native.clone(),
                3 * ETH / 10,
                Internal,
                true
            ),
        ]
    );
    assert_eq!(
        flows(boom),
        vec![(
            Some(ct(a[3])),
            Some(ct(reverter)),
            native.clone(),
            ETH,
            TransferKind::Native,
            false
        )]
    );
    assert_eq!(
        flows(refused),
        vec![(
            Some(ct(a[3])),
            Some(ct(reverter)),
            native.clone(),
            ETH,
            TransferKind::Native,
            false
        )]
    );
    // Reverted transactions still pay gas.
    for hash in [boom, refused, bad_token] {
        let tx = reader.tx_id(&chaintrail_core::TxHash(hash.0)).expect("tx");
        let paid = reader
            .tx_transfers(tx)
            .filter_map(|r| reader.transfer(r))
            .any(|t| t.kind == TransferKind::Burn && t.success);
        assert!(paid, "reverted tx {hash} burns its base fee");
    }

    // Tokens: mint, transfer, burn; WETH wrap and unwrap.
    let mut token_flows = Vec::new();
    for row in 0..reader.transfer_count() {
        let t = reader.transfer(row).expect("row");
        if let AssetKind::Token(contract) = &reader.asset(t.asset).expect("asset").kind
            && [ct(token), ct(weth)].contains(contract)
        {
            token_flows.push((
                contract.clone(),
                reader.address(t.from),
                reader.address(t.to),
                t.amount,
                t.kind,
            ));
        }
    }
    assert_eq!(
        token_flows,
        vec![
            (
                ct(token),
                None,
                Some(ct(a[0])),
                Amount::from_u128(1_000_000 * ETH),
                Mint
            ),
            (
                ct(token),
                Some(ct(a[0])),
                Some(ct(a[2])),
                Amount::from_u64(1000),
                Token
            ),
            (ct(token), Some(ct(a[0])), None, Amount::from_u64(10), Burn),
            (
                ct(weth),
                None,
                Some(ct(a[1])),
                Amount::from_u128(2 * ETH),
                Mint
            ),
            (
                ct(weth),
                Some(ct(a[1])),
                None,
                Amount::from_u128(ETH / 2),
                Burn
            ),
        ]
    );

    // Swaps and mixer events, persisted under the store.
    let swaps = read_swaps(&store, chain).expect("swaps");
    assert_eq!(swaps.len(), 2);
    assert_eq!(
        (swaps[0].protocol, &swaps[0].pool, &swaps[0].recipient),
        (SwapProtocol::UniswapV2, &ct(v2), &ct(a[5]))
    );
    assert_eq!(
        (swaps[0].amount0_in, swaps[0].amount1_out),
        (Amount::from_u64(500), Amount::from_u64(42))
    );
    assert_eq!(
        (swaps[1].protocol, &swaps[1].recipient, &swaps[1].tx_from),
        (SwapProtocol::UniswapV3, &ct(a[6]), &ct(a[4]))
    );
    assert_eq!(
        (swaps[1].amount0_out, swaps[1].amount1_in),
        (Amount::from_u64(7), Amount::from_u64(9))
    );
    let mixers = read_mixer_events(&store, chain).expect("mixers");
    assert_eq!(mixers.len(), 2);
    assert_eq!(mixers[0].tx_from, ct(a[8]));
    assert_eq!(
        mixers[0].kind,
        MixerEventKind::Deposit {
            commitment,
            leaf_index: 0,
            timestamp: mixers[0].block.timestamp
        }
    );
    assert_eq!(
        mixers[1].kind,
        MixerEventKind::Withdrawal {
            to: ct(a[9]),
            nullifier_hash: nullifier,
            relayer: ct(a[3]),
            fee: Amount::from_u128(ETH / 10)
        }
    );
    let creations = read_contract_creations(&store, chain).expect("contracts");
    assert_eq!(creations.len(), 12, "11 deployments and the child");

    // Token metadata: asked of each token contract once; answers that revert (Token and Weth
    // have no symbol()) or are garbage leave the token unknown without failing the ingest.
    let metadata = |contract: EvmAddress| {
        reader
            .assets()
            .iter()
            .find(|asset| asset.contract() == Some(&ct(contract)))
            .map(|asset| (asset.symbol.clone(), asset.decimals))
    };
    assert_eq!(metadata(meta_token), Some(("USDC".to_string(), 6)));
    assert_eq!(metadata(mkr), Some(("MKR".to_string(), 18)));
    for unknown in [garbage, token, weth] {
        assert_eq!(metadata(unknown), Some((String::new(), 0)), "{unknown}");
    }
    assert_eq!(
        report.tokens,
        TokenNaming {
            from_source: 2,
            from_registry: 0,
            unknown: 3
        }
    );

    // The raw logs of kept topics: the mixer's Tornado events and the router's Deposit.
    let kept = read_kept_logs(&store, chain).expect("kept logs");
    let signature = |log: &KeptLog| {
        KEPT_TOPICS
            .iter()
            .find(|(topic, _)| Some(topic) == log.topics.first())
            .map(|(_, signature)| *signature)
    };
    assert_eq!(
        kept.iter().map(signature).collect::<Vec<_>>(),
        [
            Some("Deposit(bytes32,uint32,uint256)"),
            Some("Withdrawal(address,bytes32,address,uint256)"),
            Some("Deposit(address,address,uint256,string)"),
        ]
    );
    assert!(kept[..2].iter().all(|log| log.address == ct(mixer)));
    let deposit = &kept[2];
    assert_eq!(deposit.tx.0, bridged.0);
    assert_eq!(
        (&deposit.address, &deposit.tx_from, &deposit.tx_to),
        (&ct(router), &ct(a[7]), &Some(ct(router)))
    );
    assert_eq!(
        deposit.topics[1..],
        [a[5].into_word(), EvmAddress::ZERO.into_word()]
    );
    let mut data = word(ETH / 4);
    data.extend(word(0x40));
    data.extend(word(memo.len() as u128));
    data.extend(memo.as_bytes());
    data.resize(data.len().next_multiple_of(32), 0);
    assert_eq!(deposit.data.to_vec(), data);
    assert_eq!(
        deposit.block,
        reader.tx_block(
            reader
                .tx_id(&chaintrail_core::TxHash(bridged.0))
                .expect("tx")
        )
    );

    // Completeness: Σ recorded native flows = balance change, for every touched address.
    let net = native_net(&store, chain);
    let mut touched: Vec<EvmAddress> = (0..reader.address_count() as u32)
        .filter_map(|id| match reader.address(id) {
            Some(Address::Evm(raw)) => Some(EvmAddress::from(raw)),
            _ => None,
        })
        .collect();
    let stored = touched.len();
    // Also every account and contract of the test, touched by value or not.
    touched.extend(a.iter().copied());
    touched.extend([
        token, weth, v2, v3, reverter, forwarder, mixer, router, meta_token, mkr, garbage,
    ]);
    touched.sort();
    touched.dedup();
    for who in &touched {
        let (inflow, outflow) = reader
            .address_id(&ct(*who))
            .and_then(|id| net.get(&id).copied())
            .unwrap_or_default();
        let before = node.balance(*who, start);
        let after = node.balance(*who, end);
        assert_eq!(
            before + inflow,
            after + outflow,
            "{who}: balance {before} → {after}, in {inflow}, out {outflow}"
        );
    }
    assert!(
        stored >= 15 && touched.len() >= 19,
        "{stored} stored, {} checked",
        touched.len()
    );

    // Ingesting again stores nothing twice, and writes no event twice.
    let again = ingest_rpc_with(
        &store,
        &anvil.url,
        start + 1,
        end,
        &config,
        &ImportOptions::default(),
    )
    .expect("again");
    assert_eq!(again.import.txs_read, 0);
    let again = ingest_rpc_with(
        &store,
        &anvil.url,
        start + 1,
        end,
        &RpcConfig {
            wrapped_native: vec![weth],
            ..RpcConfig::default()
        },
        &ImportOptions::default(),
    );
    assert_eq!(
        again.expect("same range, new settings").import.totals.txs,
        end - start
    );
    assert_eq!(read_swaps(&store, chain).expect("swaps").len(), 2);
    assert_eq!(read_mixer_events(&store, chain).expect("mixers").len(), 2);
    assert_eq!(read_kept_logs(&store, chain).expect("kept logs"), kept);
}

/// Block `number`'s hash on the node.
fn block_hash(node: &Node, number: u64) -> B256 {
    let block = node.rpc(
        "eth_getBlockByNumber",
        json!([format!("{number:#x}"), false]),
    );
    serde_json::from_value(block["hash"].clone()).expect("hash")
}

#[test]
fn anvil_blocks_of_another_fork_than_the_stored_chain_are_refused() {
    let Some(anvil) = start_anvil() else { return };
    let node = Node::new(&anvil.url);
    let a = node.accounts.clone();
    let start = node.head();
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::init(dir.path()).expect("store");
    let chain = Chain::Evm(31337);
    let ingest = |from, to| {
        ingest_rpc_with(
            &store,
            &anvil.url,
            from,
            to,
            &RpcConfig::default(),
            &ImportOptions::default(),
        )
    };
    // Committed transactions (a refused ingest leaves the indexes for readers stale).
    let stored_txs = || store.writer(chain).expect("writer").progress().txs;

    // One payment per block; each ingest's first block is checked against the stored head.
    for (i, to) in [a[1], a[2]].into_iter().enumerate() {
        assert!(node.send(a[0], Some(to), ETH, Vec::new()).1);
        let block = start + 1 + i as u64;
        assert_eq!(ingest(block, block).expect("ingest").import.txs_read, 1);
    }
    let fork_point = node.rpc("evm_snapshot", json!([]));
    assert!(node.send(a[0], Some(a[3]), ETH, Vec::new()).1);
    let orphaned = start + 3;
    assert_eq!(
        ingest(orphaned, orphaned).expect("ingest").import.txs_read,
        1
    );
    let orphaned_hash = block_hash(&node, orphaned);

    // The node drops block `orphaned` and mines another chain on top of the fork point.
    assert_eq!(node.rpc("evm_revert", json!([fork_point])), json!(true));
    assert_eq!(node.head(), orphaned - 1);
    assert!(node.send(a[0], Some(a[4]), 2 * ETH, Vec::new()).1);
    assert!(node.send(a[0], Some(a[5]), 3 * ETH, Vec::new()).1);
    let (replacement, next) = (block_hash(&node, orphaned), orphaned + 1);
    assert_ne!(replacement, orphaned_hash);

    match ingest(next, next) {
        Err(EvmError::Fork(ForkedBlock::Parent {
            number,
            parent,
            stored,
        })) => assert_eq!((number, parent, stored), (next, replacement, orphaned_hash)),
        other => panic!("expected a refused fork, got {other:?}"),
    }
    let message = ingest(next, next).expect_err("refused").to_string();
    assert!(
        message.contains(&format!(
            "block {next} names parent {replacement}, but the stored block {orphaned} is \
             {orphaned_hash}"
        )),
        "{message}"
    );
    assert!(message.contains("fresh store"), "{message}");
    match ingest(orphaned, next) {
        Err(EvmError::Fork(ForkedBlock::Sibling {
            number,
            hash,
            stored,
        })) => assert_eq!(
            (number, hash, stored),
            (orphaned, replacement, orphaned_hash)
        ),
        other => panic!("expected a refused sibling, got {other:?}"),
    }
    // Nothing of the other fork is stored.
    assert_eq!(stored_txs(), 3);
}
