//! Output-script classification as Bitcoin Core reports it (issue item 4).

use bitcoin::ScriptBuf;
use chaintrail_bitcoin::classify_script;
use chaintrail_core::{Address, BitcoinAddress, BitcoinNetwork, Chain};

fn classify(hex_text: &str) -> Address {
    let script = ScriptBuf::from_bytes(hex::decode(hex_text).expect("hex"));
    classify_script(&script, BitcoinNetwork::Mainnet)
}

const GENESIS_KEY: &str = "04678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5f";

#[test]
fn p2pk_is_kept_and_reachable_as_its_p2pkh_address() {
    let address = classify(&format!("41{GENESIS_KEY}ac"));
    assert_eq!(address.type_name(), "p2pk");
    assert_eq!(address.to_string(), format!("p2pk:{GENESIS_KEY}"));
    let Address::Bitcoin { network, kind } = &address else {
        panic!("bitcoin")
    };
    let p2pkh = Address::Bitcoin {
        network: *network,
        kind: kind.p2pkh_equivalent().expect("p2pkh form"),
    };
    assert_eq!(p2pkh.to_string(), "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa");
    assert_eq!(
        Address::parse(Chain::BITCOIN, &address.to_string()).expect("round trip"),
        address
    );
    // Core recognises P2PK by key size and prefix, not by the point being on the curve.
    let off_curve = format!("21{}ac", "02".to_string() + &"00".repeat(32));
    assert_eq!(classify(&off_curve).type_name(), "p2pk");
    let bad_prefix = format!("21{}ac", "05".to_string() + &"11".repeat(32));
    assert_eq!(classify(&bad_prefix).type_name(), "nonstandard");
}

#[test]
fn standard_addresses_print_canonically() {
    for (script, text, kind) in [
        (
            "76a91462e907b15cbf27d5425399ebf6f0fb50ebb88f1888ac",
            "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
            "p2pkh",
        ),
        (
            "a914b472a266d0bd89c13706a4132ccfb16f7c3b9fcb87",
            "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
            "p2sh",
        ),
        (
            "0014751e76e8199196d454941c45d1b3a323f1433bd6",
            "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
            "p2wpkh",
        ),
        (
            "00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262",
            "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3",
            "p2wsh",
        ),
        (
            "5120a60869f0dbcf1dc659c9cecbaf8050135ea9e8cdc487053f1dc6880949dc684c",
            "bc1p5cyxnuxmeuwuvkwfem96lqzszd02n6xdcjrs20cac6yqjjwudpxqkedrcr",
            "p2tr",
        ),
        // Pay-to-anchor: a version 1 program of 2 bytes.
        ("51024e73", "bc1pfeessrawgf", "witness_unknown"),
        (
            "5210751e76e8199196d454941c45d1b3a323",
            "bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs",
            "witness_unknown",
        ),
    ] {
        let address = classify(script);
        assert_eq!(address.to_string(), text, "{script}");
        assert_eq!(address.type_name(), kind, "{script}");
        assert_eq!(
            Address::parse(Chain::BITCOIN, text).expect("parses"),
            address
        );
    }
}

#[test]
fn scripts_without_an_address_are_typed() {
    assert!(matches!(
        classify("6a0b68656c6c6f20776f726c64"),
        Address::Bitcoin {
            kind: BitcoinAddress::NullData,
            ..
        }
    ));
    let key_a = format!("02{}", "11".repeat(32));
    let key_b = format!("03{}", "22".repeat(32));
    let one_of_two = format!("5121{key_a}21{key_b}52ae");
    assert_eq!(classify(&one_of_two).type_name(), "multisig");
    // m > n, a key of the wrong shape, or a trailing opcode: not multisig.
    assert_eq!(
        classify(&format!("5321{key_a}21{key_b}52ae")).type_name(),
        "nonstandard"
    );
    let bad_key = format!("05{}", "11".repeat(32));
    assert_eq!(
        classify(&format!("5121{bad_key}21{key_b}52ae")).type_name(),
        "nonstandard"
    );
    assert_eq!(
        classify(&format!("5121{key_a}21{key_b}52ae51")).type_name(),
        "nonstandard"
    );
    // Segwit v0 programs must be 20 or 32 bytes.
    assert_eq!(
        classify(&format!("0019{}", "ab".repeat(25))).type_name(),
        "nonstandard"
    );
    // Two scripts of no standard form get different identities; the same script the same one.
    assert_ne!(classify("51"), classify("52"));
    assert_eq!(classify("51"), classify("51"));
}
