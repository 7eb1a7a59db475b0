//! The small store the browser test investigates: the real Ronin bridge exploiter (Lazarus
//! Group on OFAC's 2025-03-04 snapshot, "Ronin bridge exploiter" in GraphSense's pack) holds
//! 50 clean ETH, steals 100 ETH (tx 2, the seed), then sends 60 ETH to a real Binance reserve
//! wallet (GraphSense's pack) and 90 ETH to a fresh holder. Of the 60 ETH, FIFO taints 10 (the
//! clean 50 left first) and haircut 40 (two thirds): the policies disagree on what reached
//! Binance. The holder also got 1 ETH on a second EVM chain (anvil). The incident ledger holds
//! the real DPRK list and a curated row whose seed is the theft (tx 2).

use std::path::{Path, PathBuf};

use chaintrail_core::{
    AccountTransfer, AccountTx, Address, Amount, AssetKind, BlockRef, Chain, TransferKind, TxHash,
};
use chaintrail_labels::{IncidentLedger, LabelStore};
use chaintrail_store::Store;

pub const THIEF: &str = "0x098B716B8Aaf21512996dC57EB0615e2383E2f96";
pub const BINANCE: &str = "0xBE0eB53F46cd790Cd13851d5EFf43D12404d33E8";
pub const VICTIM: &str = "0x1111111111111111111111111111111111111111";
pub const HOLDER: &str = "0x2222222222222222222222222222222222222222";
pub const ANVIL: Chain = Chain::Evm(31337);
/// 2025-06-01 00:00 UTC, while OFAC lists the exploiter.
const T0: u64 = 1_748_736_000;

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(rel)
}

fn address(text: &str) -> Address {
    Address::parse(Chain::ETHEREUM, text).expect("address")
}

pub fn hash(n: u8) -> TxHash {
    TxHash([n; 32])
}

fn tx(n: u8, moves: &[(Option<&str>, &str, &str)]) -> AccountTx {
    AccountTx {
        hash: hash(n),
        block: BlockRef {
            height: u64::from(n),
            timestamp: T0 + u64::from(n) * 12,
        },
        transfers: moves
            .iter()
            .map(|(from, to, eth)| AccountTransfer {
                from: from.map(address),
                to: Some(address(to)),
                asset: AssetKind::Native,
                amount: Amount::from_units(eth, 18).expect("amount"),
                kind: if from.is_some() {
                    TransferKind::Native
                } else {
                    TransferKind::Mint
                },
                success: true,
            })
            .collect(),
    }
}

/// Write the store into `dir`.
pub fn build(dir: &Path) {
    let store = Store::init(dir).expect("init");
    let mut writer = store.writer(Chain::ETHEREUM).expect("writer");
    for t in [
        tx(1, &[(None, THIEF, "50"), (None, VICTIM, "100")]),
        tx(2, &[(Some(VICTIM), THIEF, "100")]),
        tx(3, &[(Some(THIEF), BINANCE, "60")]),
        tx(4, &[(Some(THIEF), HOLDER, "90")]),
    ] {
        writer.append_account_tx(&t).expect("append");
    }
    writer
        .finish("test", serde_json::json!(null))
        .expect("finish");
    // The holder appears on a second EVM chain too: searching it asks which chain.
    let mut writer = store.writer(ANVIL).expect("writer");
    writer
        .append_account_tx(&tx(1, &[(None, HOLDER, "1")]))
        .expect("append");
    writer
        .finish("test", serde_json::json!(null))
        .expect("finish");
    let mut labels = LabelStore::open(dir).expect("labels");
    labels
        .import_ofac(
            &data("ofac_sdn/sdn_digital_currency_addresses_2025-03-04.csv"),
            None,
        )
        .expect("ofac");
    for pack in ["ronin_bridge.yaml", "exchange-wallets-binance.yaml"] {
        labels
            .import_tagpacks(&data(&format!("graphsense_tagpacks/packs/{pack}")))
            .expect(pack);
    }
    labels.save().expect("save");
    // The incident ledger: the real DPRK list, and an investigator's curated row naming the
    // seed transaction of this world (so the dashboard links to its trace).
    let curated = dir.join("dprk_curated.csv");
    std::fs::write(
        &curated,
        format!(
            "date,victim,amount_usd,amount_as_written,vector_icon,source_path,note,chain,\
             attack_tx_urls\n2022-03-23,Ronin exploiter (curated),625000000,\"$625,000,000\",,\
             README.md,,ethereum,{}\n",
            hash(2).to_hex_prefixed()
        ),
    )
    .expect("curated incidents");
    let mut ledger = IncidentLedger::open(dir).expect("ledger");
    ledger
        .import(&data("incidents/dprk_attributed_incidents.csv"))
        .expect("dprk incidents");
    ledger.import(&curated).expect("curated");
    ledger.save().expect("save ledger");
}
