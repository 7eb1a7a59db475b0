//! The wallet software of the simulated Bitcoin wallets: what each sets in nVersion, nLockTime
//! and nSequence, so that the wallet-fingerprint change heuristic faces what it faces on
//! mainnet (methods.md §2.2, *Wallet fingerprinting*). The profiles, and their sources:
//!
//! - Bitcoin Core and Electrum: nVersion 2, nLockTime the tip height (anti-fee-sniping; one
//!   time in ten up to 100 blocks less), replace-by-fee signalled (I. Misra, "Wallet
//!   Fingerprints: Detection & Analysis", ishaana.com 2023; consentonchain.github.io,
//!   "Wallet Fingerprinting using nLocktime and nVersion", 2022). The two look alike.
//! - Mobile wallets: nVersion 2, nLockTime 0, replace-by-fee signalled (bitcoinprivacy.wiki,
//!   *Wallet fingerprinting*: "most mobile wallets set nLockTime to 0").
//! - Legacy wallets: nVersion 1, nLockTime 0, final inputs (the same page: version 1 is the
//!   legacy default, rare in recent transactions).
//! - Services (exchanges, the custodial mixer, bridge vaults, miners, CoinJoin coordinators):
//!   their own software, nVersion 1 or 2 per service, nLockTime 0, no replace-by-fee — an
//!   assumption (batching services pay from hot wallets that do not fee-bump by replacement),
//!   not a measurement.
//!
//! A user's software is drawn from the seed and the wallet's number, not from the world's random
//! stream, so that adding it changed no other draw of the world.

use chaintrail_core::TxFingerprint;

use crate::seeded::derived;

/// Wallet software, as far as the transactions it builds show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Software {
    BitcoinCore,
    Electrum,
    Mobile,
    Legacy,
    /// A service's own software, with its nVersion.
    Service {
        version: i32,
    },
}

/// Anti-fee-sniping wallets set nLockTime this many blocks further back one time in ten.
const ANTI_FEE_SNIPING_JITTER: u64 = 100;

impl Software {
    /// A private user's software: Bitcoin Core 35 %, Electrum 20 %, mobile 35 %, legacy 10 %.
    pub(crate) fn of_user(seed: u64, wallet: usize) -> Software {
        match derived(seed, "btc-software", wallet as u64)[0] % 20 {
            0..7 => Software::BitcoinCore,
            7..11 => Software::Electrum,
            11..18 => Software::Mobile,
            _ => Software::Legacy,
        }
    }

    /// A service's software: nVersion 1 or 2, by the service's entity id.
    pub(crate) fn of_service(entity: u32) -> Software {
        Software::Service {
            version: 1 + (entity % 2) as i32,
        }
    }

    /// The fingerprint of a transaction this software builds for block `height`; `txid` is
    /// the randomness of the anti-fee-sniping jitter.
    pub(crate) fn fingerprint(self, height: u64, txid: &[u8; 32]) -> TxFingerprint {
        match self {
            Software::BitcoinCore | Software::Electrum => {
                let tip = height.saturating_sub(1);
                let jitter = if txid[0] < 26 {
                    u64::from(txid[1]) % ANTI_FEE_SNIPING_JITTER
                } else {
                    0
                };
                TxFingerprint {
                    version: 2,
                    lock_time: u32::try_from(tip.saturating_sub(jitter)).unwrap_or(0),
                    rbf: true,
                }
            }
            Software::Mobile => TxFingerprint {
                version: 2,
                lock_time: 0,
                rbf: true,
            },
            Software::Legacy => TxFingerprint {
                version: 1,
                lock_time: 0,
                rbf: false,
            },
            Software::Service { version } => TxFingerprint {
                version,
                lock_time: 0,
                rbf: false,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_sets_the_tip_height_and_services_zero() {
        let plain = [200u8; 32];
        let core = Software::BitcoinCore.fingerprint(800_000, &plain);
        assert_eq!((core.version, core.lock_time, core.rbf), (2, 799_999, true));
        assert_eq!(core.sequence(), 0xffff_fffd);
        let mut jittered = plain;
        jittered[0] = 3;
        jittered[1] = 42;
        assert_eq!(
            Software::Electrum.fingerprint(800_000, &jittered).lock_time,
            799_957
        );
        let exchange = Software::of_service(7).fingerprint(800_000, &plain);
        assert_eq!(
            (exchange.version, exchange.lock_time, exchange.rbf),
            (2, 0, false)
        );
        assert_eq!(exchange.sequence(), u32::MAX);
        assert_eq!(Software::of_service(8), Software::Service { version: 1 });
        let legacy = Software::Legacy.fingerprint(10, &plain);
        assert_eq!(
            (legacy.version, legacy.lock_time, legacy.rbf),
            (1, 0, false)
        );
    }
}
