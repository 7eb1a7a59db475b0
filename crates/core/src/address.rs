use std::fmt;
use std::str::FromStr;

use bitcoin::hashes::Hash;

use crate::chain::{BitcoinNetwork, Chain};

/// An address on some chain. A value of this type is always valid: it came from a successful
/// parse or from a decoder that built it from chain data.
///
/// `Display` prints the canonical form: EIP-55 mixed case for EVM addresses, Base58Check or
/// lower-case bech32/bech32m for Bitcoin. Bitcoin outputs that have no address (P2PK, bare
/// multisig, OP_RETURN, non-standard scripts) still get a typed, printable identity so that every
/// output has a holder.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Address {
    /// An EVM address (20 bytes).
    Evm([u8; 20]),
    /// A Bitcoin output's holder on one network.
    Bitcoin {
        /// The network the address is for.
        network: BitcoinNetwork,
        /// The kind of output script and what identifies it.
        kind: BitcoinAddress,
    },
}

/// The kinds of Bitcoin output scripts chaintrail distinguishes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BitcoinAddress {
    /// Pay-to-public-key-hash: the key's HASH160.
    P2pkh([u8; 20]),
    /// Pay-to-script-hash: the script's HASH160.
    P2sh([u8; 20]),
    /// Pay-to-witness-public-key-hash (segwit v0): the key's HASH160.
    P2wpkh([u8; 20]),
    /// Pay-to-witness-script-hash (segwit v0): the script's SHA-256.
    P2wsh([u8; 32]),
    /// Pay-to-taproot (segwit v1): the output key.
    P2tr([u8; 32]),
    /// Segwit programs not yet given meaning by a soft fork: versions 2..=16, and version 1 with a
    /// program that is not 32 bytes (e.g. pay-to-anchor). Program length 2..=40.
    WitnessUnknown {
        /// The witness version.
        version: u8,
        /// The witness program.
        program: Box<[u8]>,
    },
    /// Pay-to-public-key: the serialized key (33 or 65 bytes).
    P2pk(Box<[u8]>),
    /// Bare multisig, identified by the SHA-256 of its script.
    Multisig([u8; 32]),
    /// A script of no standard form, identified by the SHA-256 of its script.
    NonStandard([u8; 32]),
    /// OP_RETURN outputs: they carry data, never spendable value, and share one identity.
    NullData,
}

/// Why a text is not an address of the chain it was parsed for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    /// The text is empty.
    #[error("empty address")]
    Empty,
    /// Not `0x` and 40 hex digits.
    #[error(
        "`{input}` is not an EVM address: expected 0x followed by 40 hex digits, found {found}"
    )]
    EvmLength {
        /// The text given.
        input: String,
        /// How many characters followed `0x`.
        found: usize,
    },
    /// A character that is not a hex digit.
    #[error("`{input}` is not an EVM address: character `{ch}` at position {position} is not hex")]
    EvmNotHex {
        /// The text given.
        input: String,
        /// The offending character.
        ch: char,
        /// Its position in the text.
        position: usize,
    },
    /// Mixed case that does not match the EIP-55 checksum.
    #[error(
        "`{input}` fails its EIP-55 checksum (mixed case must match the checksum exactly): \
         check the address for a typo, or give it in all lower case to skip the check"
    )]
    EvmChecksum {
        /// The text given.
        input: String,
    },
    /// Not a valid Bitcoin address.
    #[error("`{input}` is not a valid Bitcoin address: {reason}")]
    Bitcoin {
        /// The text given.
        input: String,
        /// The check that failed.
        reason: String,
    },
    /// A Bitcoin address of another network.
    #[error("`{input}` is a Bitcoin address for {found}, not for {expected}")]
    WrongNetwork {
        /// The text given.
        input: String,
        /// The network the address is for.
        found: &'static str,
        /// The chain it was parsed for.
        expected: Chain,
    },
    /// A malformed script identity (`p2pk:…`, `multisig:…`, `nonstandard:…`).
    #[error("`{input}` is not a valid {kind} identity: {reason}")]
    Script {
        /// The text given.
        input: String,
        /// The kind of identity.
        kind: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The text looks like no chain's address.
    #[error("cannot tell which chain `{input}` belongs to: {reason}")]
    UnknownFormat {
        /// The text given.
        input: String,
        /// Why no chain fits.
        reason: String,
    },
    /// A stored address key that does not decode (a corrupt store).
    #[error("corrupt address key in the store: {0}")]
    BadKey(String),
}

impl Address {
    /// Parse an address for the given chain, checking checksums and network.
    pub fn parse(chain: Chain, text: &str) -> Result<Address, AddressError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(AddressError::Empty);
        }
        match chain {
            Chain::Evm(_) => parse_evm(text).map(Address::Evm),
            Chain::Bitcoin(network) => parse_bitcoin(network, text),
        }
    }

    /// Parse an address whose chain is not known: `0x…` is EVM, anything else Bitcoin on the
    /// network its prefix says. Returns the address with the most specific chain it implies
    /// (EVM addresses say nothing about their chain id and come back with `Chain::ETHEREUM`).
    pub fn parse_any(text: &str) -> Result<(Chain, Address), AddressError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(AddressError::Empty);
        }
        if text.starts_with("0x") || text.starts_with("0X") {
            return parse_evm(text).map(|raw| (Chain::ETHEREUM, Address::Evm(raw)));
        }
        let mut last_error = None;
        for network in [
            BitcoinNetwork::Mainnet,
            BitcoinNetwork::Testnet,
            BitcoinNetwork::Regtest,
        ] {
            match parse_bitcoin(network, text) {
                Ok(address) => return Ok((Chain::Bitcoin(network), address)),
                Err(err @ AddressError::WrongNetwork { .. }) => last_error = Some(err),
                Err(err) => {
                    return Err(AddressError::UnknownFormat {
                        input: text.to_string(),
                        reason: err.to_string(),
                    });
                }
            }
        }
        Err(last_error.unwrap_or(AddressError::UnknownFormat {
            input: text.to_string(),
            reason: "no known address format matched".to_string(),
        }))
    }

    /// The chain family's zero address, used by token contracts for mints and burns.
    pub const EVM_ZERO: Address = Address::Evm([0; 20]);

    /// Compact binary key used by the store's dictionary: a type tag followed by the payload.
    /// The network is not part of the key: a store directory is per chain.
    pub fn to_key(&self) -> Vec<u8> {
        match self {
            Address::Evm(raw) => raw.to_vec(),
            Address::Bitcoin { kind, .. } => {
                let (tag, payload): (u8, &[u8]) = match kind {
                    BitcoinAddress::P2pkh(h) => (0, h),
                    BitcoinAddress::P2sh(h) => (1, h),
                    BitcoinAddress::P2wpkh(h) => (2, h),
                    BitcoinAddress::P2wsh(h) => (3, h),
                    BitcoinAddress::P2tr(h) => (4, h),
                    BitcoinAddress::WitnessUnknown { version, program } => {
                        let mut key = vec![5, *version];
                        key.extend_from_slice(program);
                        return key;
                    }
                    BitcoinAddress::P2pk(key) => (6, key),
                    BitcoinAddress::Multisig(h) => (7, h),
                    BitcoinAddress::NonStandard(h) => (8, h),
                    BitcoinAddress::NullData => (9, &[]),
                };
                let mut key = Vec::with_capacity(1 + payload.len());
                key.push(tag);
                key.extend_from_slice(payload);
                key
            }
        }
    }

    /// Inverse of [`Address::to_key`] for a store of the given chain.
    pub fn from_key(chain: Chain, key: &[u8]) -> Result<Address, AddressError> {
        let bad = || AddressError::BadKey(hex::encode(key));
        match chain {
            Chain::Evm(_) => Ok(Address::Evm(key.try_into().map_err(|_| bad())?)),
            Chain::Bitcoin(network) => {
                let (&tag, payload) = key.split_first().ok_or_else(bad)?;
                let h20 =
                    || -> Result<[u8; 20], AddressError> { payload.try_into().map_err(|_| bad()) };
                let h32 =
                    || -> Result<[u8; 32], AddressError> { payload.try_into().map_err(|_| bad()) };
                let kind = match tag {
                    0 => BitcoinAddress::P2pkh(h20()?),
                    1 => BitcoinAddress::P2sh(h20()?),
                    2 => BitcoinAddress::P2wpkh(h20()?),
                    3 => BitcoinAddress::P2wsh(h32()?),
                    4 => BitcoinAddress::P2tr(h32()?),
                    5 => {
                        let (&version, program) = payload.split_first().ok_or_else(bad)?;
                        witness_unknown(version, program).map_err(|_| bad())?
                    }
                    6 => BitcoinAddress::P2pk(payload.into()),
                    7 => BitcoinAddress::Multisig(h32()?),
                    8 => BitcoinAddress::NonStandard(h32()?),
                    9 if payload.is_empty() => BitcoinAddress::NullData,
                    _ => return Err(bad()),
                };
                Ok(Address::Bitcoin { network, kind })
            }
        }
    }

    /// A short name of the address type: `evm`, `p2pkh`, `p2wpkh`, `p2tr`, `nulldata`, …
    pub fn type_name(&self) -> &'static str {
        match self {
            Address::Evm(_) => "evm",
            Address::Bitcoin { kind, .. } => match kind {
                BitcoinAddress::P2pkh(_) => "p2pkh",
                BitcoinAddress::P2sh(_) => "p2sh",
                BitcoinAddress::P2wpkh(_) => "p2wpkh",
                BitcoinAddress::P2wsh(_) => "p2wsh",
                BitcoinAddress::P2tr(_) => "p2tr",
                BitcoinAddress::WitnessUnknown { .. } => "witness_unknown",
                BitcoinAddress::P2pk(_) => "p2pk",
                BitcoinAddress::Multisig(_) => "multisig",
                BitcoinAddress::NonStandard(_) => "nonstandard",
                BitcoinAddress::NullData => "nulldata",
            },
        }
    }
}

fn parse_evm(text: &str) -> Result<[u8; 20], AddressError> {
    let digits = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .unwrap_or(text);
    if digits.len() != 40 {
        return Err(AddressError::EvmLength {
            input: text.to_string(),
            found: digits.len(),
        });
    }
    if let Some((position, ch)) = digits.char_indices().find(|(_, c)| !c.is_ascii_hexdigit()) {
        return Err(AddressError::EvmNotHex {
            input: text.to_string(),
            ch,
            position: position + (text.len() - digits.len()),
        });
    }
    let mut raw = [0u8; 20];
    hex::decode_to_slice(digits, &mut raw).map_err(|e| AddressError::EvmLength {
        input: format!("{text} ({e})"),
        found: digits.len(),
    })?;
    let has_lower = digits.bytes().any(|b| b.is_ascii_lowercase());
    let has_upper = digits.bytes().any(|b| b.is_ascii_uppercase());
    if has_lower && has_upper {
        let checksummed = alloy_primitives::Address::from(raw).to_checksum(None);
        if checksummed[2..] != *digits {
            return Err(AddressError::EvmChecksum {
                input: text.to_string(),
            });
        }
    }
    Ok(raw)
}

fn bitcoin_network(network: BitcoinNetwork) -> bitcoin::Network {
    match network {
        BitcoinNetwork::Mainnet => bitcoin::Network::Bitcoin,
        BitcoinNetwork::Testnet => bitcoin::Network::Testnet,
        BitcoinNetwork::Regtest => bitcoin::Network::Regtest,
    }
}

fn network_name(text: &str) -> &'static str {
    let lower = text.to_ascii_lowercase();
    if lower.starts_with("bc1") || text.starts_with('1') || text.starts_with('3') {
        "bitcoin mainnet"
    } else if lower.starts_with("bcrt1") {
        "bitcoin regtest"
    } else {
        "bitcoin testnet"
    }
}

fn witness_unknown(version: u8, program: &[u8]) -> Result<BitcoinAddress, String> {
    // Version 1 programs of any length but 32 (taproot) are unknown too, e.g. pay-to-anchor.
    if !(1..=16).contains(&version) || (version == 1 && program.len() == 32) {
        return Err(format!(
            "witness version {version} with a {}-byte program is not an unknown witness program",
            program.len()
        ));
    }
    if !(2..=40).contains(&program.len()) {
        return Err(format!(
            "witness program of {} bytes is outside 2..=40",
            program.len()
        ));
    }
    Ok(BitcoinAddress::WitnessUnknown {
        version,
        program: program.into(),
    })
}

fn parse_script_identity(
    network: BitcoinNetwork,
    text: &str,
) -> Option<Result<Address, AddressError>> {
    let (prefix, rest) = text.split_once(':')?;
    let kind_name = match prefix {
        "p2pk" => "p2pk",
        "multisig" => "multisig",
        "nonstandard" => "nonstandard",
        _ => return None,
    };
    let fail = |reason: String| AddressError::Script {
        input: text.to_string(),
        kind: kind_name,
        reason,
    };
    let bytes = match hex::decode(rest) {
        Ok(bytes) => bytes,
        Err(e) => return Some(Err(fail(format!("not hex: {e}")))),
    };
    let kind = match kind_name {
        "p2pk" => {
            if bitcoin::PublicKey::from_slice(&bytes).is_err() {
                return Some(Err(fail(
                    "expected a 33- or 65-byte public key in hex".to_string(),
                )));
            }
            BitcoinAddress::P2pk(bytes.into())
        }
        _ => {
            let Ok(hash) = <[u8; 32]>::try_from(bytes.as_slice()) else {
                return Some(Err(fail(
                    "expected the 32-byte SHA-256 of the script in hex".to_string(),
                )));
            };
            if kind_name == "multisig" {
                BitcoinAddress::Multisig(hash)
            } else {
                BitcoinAddress::NonStandard(hash)
            }
        }
    };
    Some(Ok(Address::Bitcoin { network, kind }))
}

fn parse_bitcoin(network: BitcoinNetwork, text: &str) -> Result<Address, AddressError> {
    if text == "nulldata" {
        return Ok(Address::Bitcoin {
            network,
            kind: BitcoinAddress::NullData,
        });
    }
    if let Some(result) = parse_script_identity(network, text) {
        return result;
    }
    let unchecked = bitcoin::Address::<bitcoin::address::NetworkUnchecked>::from_str(text)
        .map_err(|e| AddressError::Bitcoin {
            input: text.to_string(),
            reason: describe_bitcoin_error(&e),
        })?;
    if !unchecked.is_valid_for_network(bitcoin_network(network)) {
        return Err(AddressError::WrongNetwork {
            input: text.to_string(),
            found: network_name(text),
            expected: Chain::Bitcoin(network),
        });
    }
    // Regtest and testnet share Base58 prefixes; bech32 differs (bcrt vs tb) and is checked above.
    let checked = unchecked.assume_checked();
    let kind = match checked.to_address_data() {
        bitcoin::address::AddressData::P2pkh { pubkey_hash } => {
            BitcoinAddress::P2pkh(pubkey_hash.to_byte_array())
        }
        bitcoin::address::AddressData::P2sh { script_hash } => {
            BitcoinAddress::P2sh(script_hash.to_byte_array())
        }
        bitcoin::address::AddressData::Segwit { witness_program } => {
            from_witness_program(&witness_program).map_err(|reason| AddressError::Bitcoin {
                input: text.to_string(),
                reason,
            })?
        }
        _ => {
            return Err(AddressError::Bitcoin {
                input: text.to_string(),
                reason: "unsupported address type".to_string(),
            });
        }
    };
    Ok(Address::Bitcoin { network, kind })
}

fn describe_bitcoin_error(err: &bitcoin::address::ParseError) -> String {
    let text = err.to_string();
    if text.is_empty() {
        format!("{err:?}")
    } else {
        text
    }
}

/// Classify a segwit witness program into a typed Bitcoin address.
pub(crate) fn from_witness_program(
    program: &bitcoin::WitnessProgram,
) -> Result<BitcoinAddress, String> {
    let bytes = program.program().as_bytes();
    let version = program.version().to_num();
    Ok(match (version, bytes.len()) {
        (0, 20) => BitcoinAddress::P2wpkh(bytes.try_into().map_err(|_| "length")?),
        (0, 32) => BitcoinAddress::P2wsh(bytes.try_into().map_err(|_| "length")?),
        (1, 32) => BitcoinAddress::P2tr(bytes.try_into().map_err(|_| "length")?),
        (0, n) => {
            return Err(format!(
                "segwit v0 program must be 20 or 32 bytes, found {n}"
            ));
        }
        _ => witness_unknown(version, bytes)?,
    })
}

impl BitcoinAddress {
    /// Classify an output script the way Bitcoin Core's `Solver` does when it reports the
    /// output's type: P2PK and bare multisig are recognised by the size and prefix of their keys
    /// (not by the keys being valid curve points), segwit v0 programs of other lengths are
    /// non-standard, and version 1 programs other than 32 bytes are unknown witness programs.
    pub fn from_script(script: &bitcoin::Script) -> BitcoinAddress {
        use bitcoin::hashes::sha256;
        let bytes = script.as_bytes();
        if script.is_op_return() {
            return BitcoinAddress::NullData;
        }
        if script.is_p2pkh() {
            return BitcoinAddress::P2pkh(bytes[3..23].try_into().unwrap_or([0; 20]));
        }
        if script.is_p2sh() {
            return BitcoinAddress::P2sh(bytes[2..22].try_into().unwrap_or([0; 20]));
        }
        if let Some(version) = script.witness_version()
            && let Ok(program) = bitcoin::WitnessProgram::new(version, &bytes[2..])
            && let Ok(kind) = from_witness_program(&program)
        {
            return kind;
        }
        if let Some(key) = p2pk_key(bytes) {
            return BitcoinAddress::P2pk(key.into());
        }
        let hash = sha256::Hash::hash(bytes).to_byte_array();
        if is_bare_multisig(bytes) {
            BitcoinAddress::Multisig(hash)
        } else {
            BitcoinAddress::NonStandard(hash)
        }
    }

    /// The P2PKH address that pays the same key as a P2PK output: Core and explorers show P2PK
    /// outputs under it, and coins sent to it are spendable by the same key. `None` for every
    /// other kind.
    pub fn p2pkh_equivalent(&self) -> Option<BitcoinAddress> {
        use bitcoin::hashes::hash160;
        match self {
            BitcoinAddress::P2pk(key) => Some(BitcoinAddress::P2pkh(
                hash160::Hash::hash(key).to_byte_array(),
            )),
            _ => None,
        }
    }
}

/// A public key of a size and prefix Core accepts in an output script (`CPubKey::ValidSize`).
fn valid_key_shape(key: &[u8]) -> bool {
    match key.len() {
        33 => matches!(key[0], 2 | 3),
        65 => matches!(key[0], 4 | 6 | 7),
        _ => false,
    }
}

/// The key of a `<key> OP_CHECKSIG` script.
fn p2pk_key(script: &[u8]) -> Option<&[u8]> {
    const OP_CHECKSIG: u8 = 0xac;
    let (&push, rest) = script.split_first()?;
    let (&last, key) = rest.split_last()?;
    (last == OP_CHECKSIG && usize::from(push) == key.len() && valid_key_shape(key)).then_some(key)
}

/// `OP_m <key>… OP_n OP_CHECKMULTISIG` with 1 ≤ m ≤ n ≤ 16 keys of valid shape.
fn is_bare_multisig(script: &[u8]) -> bool {
    const OP_1: u8 = 0x51;
    const OP_16: u8 = 0x60;
    const OP_CHECKMULTISIG: u8 = 0xae;
    let small = |op: u8| (OP_1..=OP_16).contains(&op).then(|| op - OP_1 + 1);
    let Some(m) = script.first().copied().and_then(small) else {
        return false;
    };
    let mut at = 1;
    let mut keys = 0u8;
    while let Some(&push) = script.get(at)
        && (push == 33 || push == 65)
    {
        match script.get(at + 1..at + 1 + usize::from(push)) {
            Some(key) if valid_key_shape(key) => keys += 1,
            _ => return false,
        }
        at += 1 + usize::from(push);
    }
    script.len() == at + 2
        && script[at + 1] == OP_CHECKMULTISIG
        && small(script[at]) == Some(keys)
        && m <= keys
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Address::Evm(raw) => {
                f.write_str(&alloy_primitives::Address::from(*raw).to_checksum(None))
            }
            Address::Bitcoin { network, kind } => {
                let net = bitcoin_network(*network);
                let program = |version: bitcoin::WitnessVersion, bytes: &[u8]| {
                    bitcoin::WitnessProgram::new(version, bytes)
                        .map(|p| bitcoin::Address::from_witness_program(p, net))
                };
                let printed = match kind {
                    BitcoinAddress::P2pkh(h) => {
                        bitcoin::Address::p2pkh(bitcoin::PubkeyHash::from_byte_array(*h), net)
                    }
                    BitcoinAddress::P2sh(h) => bitcoin::Address::p2sh_from_hash(
                        bitcoin::ScriptHash::from_byte_array(*h),
                        net,
                    ),
                    BitcoinAddress::P2wpkh(h) => {
                        program(bitcoin::WitnessVersion::V0, h).map_err(|_| fmt::Error)?
                    }
                    BitcoinAddress::P2wsh(h) => {
                        program(bitcoin::WitnessVersion::V0, h).map_err(|_| fmt::Error)?
                    }
                    BitcoinAddress::P2tr(h) => {
                        program(bitcoin::WitnessVersion::V1, h).map_err(|_| fmt::Error)?
                    }
                    BitcoinAddress::WitnessUnknown {
                        version,
                        program: p,
                    } => {
                        let version =
                            bitcoin::WitnessVersion::try_from(*version).map_err(|_| fmt::Error)?;
                        program(version, p).map_err(|_| fmt::Error)?
                    }
                    BitcoinAddress::P2pk(key) => return write!(f, "p2pk:{}", hex::encode(key)),
                    BitcoinAddress::Multisig(h) => {
                        return write!(f, "multisig:{}", hex::encode(h));
                    }
                    BitcoinAddress::NonStandard(h) => {
                        return write!(f, "nonstandard:{}", hex::encode(h));
                    }
                    BitcoinAddress::NullData => return f.write_str("nulldata"),
                };
                write!(f, "{printed}")
            }
        }
    }
}

/// Serialized as the canonical text. Deserializing infers the chain family from the text
/// (see [`Address::parse_any`]); typed script identities without a network prefix read as mainnet.
impl serde::Serialize for Address {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Address {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Address::parse_any(&text)
            .map(|(_, address)| address)
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BTC: Chain = Chain::BITCOIN;

    #[test]
    fn evm_checksum_rules() {
        let canonical = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
        let parsed = Address::parse(Chain::ETHEREUM, canonical).unwrap();
        assert_eq!(parsed.to_string(), canonical);
        let lower = canonical.to_ascii_lowercase();
        assert_eq!(Address::parse(Chain::ETHEREUM, &lower).unwrap(), parsed);
        let upper = format!("0x{}", canonical[2..].to_ascii_uppercase());
        assert_eq!(Address::parse(Chain::ETHEREUM, &upper).unwrap(), parsed);
        let broken = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD";
        let err = Address::parse(Chain::ETHEREUM, broken).unwrap_err();
        assert!(matches!(err, AddressError::EvmChecksum { .. }), "{err}");
        let err = Address::parse(Chain::ETHEREUM, "0x1234").unwrap_err();
        assert!(err.to_string().contains("found 4"), "{err}");
        let err = Address::parse(
            Chain::ETHEREUM,
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeg",
        )
        .unwrap_err();
        assert!(err.to_string().contains("position 41"), "{err}");
    }

    #[test]
    fn bitcoin_formats_round_trip() {
        for (text, kind) in [
            ("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "p2pkh"),
            ("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", "p2sh"),
            ("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "p2wpkh"),
            (
                "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3",
                "p2wsh",
            ),
            (
                "bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297",
                "p2tr",
            ),
        ] {
            let parsed = Address::parse(BTC, text).unwrap();
            assert_eq!(parsed.to_string(), text);
            assert_eq!(parsed.type_name(), kind);
            let key = parsed.to_key();
            assert_eq!(Address::from_key(BTC, &key).unwrap(), parsed);
        }
        // Upper-case bech32 is valid and prints canonically in lower case.
        let upper = "BC1QAR0SRRR7XFKVY5L643LYDNW9RE59GTZZWF5MDQ";
        assert_eq!(
            Address::parse(BTC, upper).unwrap().to_string(),
            upper.to_ascii_lowercase()
        );
    }

    #[test]
    fn bitcoin_errors_name_the_problem() {
        let err = Address::parse(BTC, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb").unwrap_err();
        assert!(
            err.to_string().contains("not a valid Bitcoin address"),
            "{err}"
        );
        let err = Address::parse(BTC, "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx").unwrap_err();
        assert!(matches!(err, AddressError::WrongNetwork { .. }), "{err}");
        let (chain, _) = Address::parse_any("tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx").unwrap();
        assert_eq!(chain, Chain::Bitcoin(BitcoinNetwork::Testnet));
        let regtest = Chain::Bitcoin(BitcoinNetwork::Regtest);
        let (chain, _) =
            Address::parse_any("bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080").unwrap();
        assert_eq!(chain, regtest);
    }

    #[test]
    fn script_identities_round_trip() {
        let key = "0411db93e1dcdb8a016b49840f8c53bc1eb68a382e97b1482ecad7b148a6909a5cb2e0eaddfb84ccf9744464f82e160bfa9b8b64f9d4c03f999b8643f656b412a3";
        let text = format!("p2pk:{key}");
        let parsed = Address::parse(BTC, &text).unwrap();
        assert_eq!(parsed.to_string(), text);
        assert_eq!(Address::from_key(BTC, &parsed.to_key()).unwrap(), parsed);
        let nulldata = Address::parse(BTC, "nulldata").unwrap();
        assert_eq!(
            Address::from_key(BTC, &nulldata.to_key()).unwrap(),
            nulldata
        );
    }
}
