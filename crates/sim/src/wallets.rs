//! The wallet truth of a simulated world: who controls every address that appears on either
//! chain. It is written beside `ground_truth.json` as `wallets.csv` (one row per address; in
//! JSON it would be the largest part of the truth) and read back by evaluations that score
//! address clustering. Format in docs/sim.md.

use std::path::Path;

use chaintrail_core::Chain;
use serde::{Deserialize, Serialize};

use crate::SimError;
use crate::error::io_err;

/// Who controls one address.
///
/// `wallet` numbers a chain's wallets (ids are per chain: Bitcoin wallet 7 and EVM wallet 7 are
/// unrelated). On Bitcoin a wallet is one key store; on the EVM chain a user's wallet holds all
/// of the user's EOAs, and an entity has one wallet for all its accounts. `entity` is the
/// owning entity's id in `ground_truth.json`'s `entities[]` (services, thieves, the token
/// issuer), empty for a private user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressOwner {
    pub chain: Chain,
    /// As the exports print it (EVM addresses EIP-55 checksummed).
    pub address: String,
    pub wallet: u32,
    pub entity: Option<u32>,
}

/// Who is the same owner for clustering: an entity (all its wallets) or a private wallet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TrueOwner {
    Entity(u32),
    Wallet(Chain, u32),
}

impl AddressOwner {
    pub fn owner(&self) -> TrueOwner {
        match self.entity {
            Some(e) => TrueOwner::Entity(e),
            None => TrueOwner::Wallet(self.chain, self.wallet),
        }
    }
}

/// Every address that appears on chain, with its owner, sorted by chain and address.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WalletTruth {
    pub addresses: Vec<AddressOwner>,
}

impl WalletTruth {
    /// The file name beside `ground_truth.json`.
    pub const FILE: &'static str = "wallets.csv";

    /// The CSV text: header `chain,address,wallet,entity`, one row per address.
    pub fn to_csv(&self) -> Result<Vec<u8>, SimError> {
        let mut writer = csv::Writer::from_writer(Vec::new());
        for row in &self.addresses {
            writer.serialize(row).map_err(|source| SimError::Csv {
                path: Self::FILE.into(),
                source,
            })?;
        }
        writer.into_inner().map_err(|e| SimError::Csv {
            path: Self::FILE.into(),
            source: e.into_error().into(),
        })
    }

    /// Read a `wallets.csv` written by [`WalletTruth::to_csv`].
    pub fn read(path: &Path) -> Result<WalletTruth, SimError> {
        let bytes = std::fs::read(path).map_err(|e| io_err("read", path, e))?;
        let mut reader = csv::Reader::from_reader(bytes.as_slice());
        let addresses = reader
            .deserialize()
            .collect::<Result<Vec<AddressOwner>, _>>()
            .map_err(|source| SimError::Csv {
                path: path.to_path_buf(),
                source,
            })?;
        Ok(WalletTruth { addresses })
    }
}

#[cfg(test)]
mod tests {
    use chaintrail_core::BitcoinNetwork;

    use super::*;

    #[test]
    fn rows_survive_a_round_trip_through_the_file() {
        let truth = WalletTruth {
            addresses: vec![
                AddressOwner {
                    chain: Chain::Evm(31337),
                    address: "0x00000000000000000000000000000000000000A1".into(),
                    wallet: 3,
                    entity: None,
                },
                AddressOwner {
                    chain: Chain::Bitcoin(BitcoinNetwork::Regtest),
                    address: "bcrt1qexample".into(),
                    wallet: 12,
                    entity: Some(5),
                },
            ],
        };
        let csv = truth.to_csv().expect("csv");
        assert_eq!(
            String::from_utf8(csv.clone()).expect("utf8"),
            "chain,address,wallet,entity\n\
             anvil,0x00000000000000000000000000000000000000A1,3,\n\
             bitcoin-regtest,bcrt1qexample,12,5\n"
        );
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(WalletTruth::FILE);
        std::fs::write(&path, csv).expect("write");
        assert_eq!(WalletTruth::read(&path).expect("read"), truth);
        assert_eq!(
            truth.addresses[1].owner(),
            TrueOwner::Entity(5),
            "an entity's wallets are one owner"
        );
    }
}
