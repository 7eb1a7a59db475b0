//! Wallet fee fingerprints: how each EVM account's wallet sets the EIP-1559 fields of its
//! transactions (`maxFeePerGas`, `maxPriorityFeePerGas`), and what the chain then charges.
//!
//! Most users keep a few common wallet defaults, so their settings say nothing about who they
//! are; a minority type exact, unusual values that follow them from address to address (the
//! post-London form of Tutela's unique-gas-price heuristic, `reference/methods.md` §3.2).

use rand::Rng;

use crate::evm::GWEI;

/// How a wallet sets its fees. Every style keeps `maxFeePerGas` at or above the base fee, so
/// every transaction can be included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FeeStyle {
    /// `maxFeePerGas = 2 × base fee + tip` (the ethers.js / MetaMask-style default).
    DoubleBase { tip: u64 },
    /// `maxFeePerGas = base fee + 2 × tip` (Blocknative's estimator).
    BasePlusTwoTips { tip: u64 },
    /// Exact values, typed by the user or fixed by the software.
    Fixed { max_fee: u64, tip: u64 },
}

/// The simulated base fee stays within these bounds (it moves by up to half a gwei a block).
pub(crate) const MIN_BASE_FEE: u64 = 5 * GWEI;
pub(crate) const MAX_BASE_FEE: u64 = 40 * GWEI;
/// The lowest fixed `maxFeePerGas` a wallet uses: above the highest base fee.
const MIN_FIXED_MAX_FEE: u64 = MAX_BASE_FEE + 5 * GWEI;

impl FeeStyle {
    /// The default of most wallets: 1.5 gwei tip, twice the base fee as headroom.
    pub(crate) const DEFAULT: FeeStyle = FeeStyle::DoubleBase { tip: 3 * GWEI / 2 };

    /// A user's wallet: 85% keep one of six common settings (four wallet defaults, two round
    /// values many people type), 15% use exact values of their own.
    pub(crate) fn for_user(rng: &mut impl Rng) -> FeeStyle {
        match rng.random_range(0..100) {
            0..40 => FeeStyle::DEFAULT,
            40..55 => FeeStyle::DoubleBase { tip: GWEI },
            55..63 => FeeStyle::DoubleBase { tip: 2 * GWEI },
            63..72 => FeeStyle::BasePlusTwoTips { tip: 2 * GWEI },
            72..79 => FeeStyle::Fixed {
                max_fee: 50 * GWEI,
                tip: 2 * GWEI,
            },
            79..85 => FeeStyle::Fixed {
                max_fee: 100 * GWEI,
                tip: 3 * GWEI,
            },
            _ => FeeStyle::unusual(rng),
        }
    }

    /// Exact, unusual values (45–150 gwei max fee to the wei, 1–4 gwei tip to the kwei): with
    /// overwhelming probability no other wallet uses the same pair.
    pub(crate) fn unusual(rng: &mut impl Rng) -> FeeStyle {
        FeeStyle::Fixed {
            max_fee: rng.random_range(MIN_FIXED_MAX_FEE..150 * GWEI),
            tip: rng.random_range(1_000_000..4_000_000u64) * 1_000,
        }
    }

    /// Whether the style is one of the exact, unusual ones (no common default or round value).
    pub(crate) fn is_unusual(self) -> bool {
        match self {
            FeeStyle::Fixed { max_fee, tip } => max_fee % GWEI != 0 || tip % GWEI != 0,
            _ => false,
        }
    }

    /// `maxPriorityFeePerGas`.
    pub(crate) fn tip(self) -> u64 {
        match self {
            FeeStyle::DoubleBase { tip }
            | FeeStyle::BasePlusTwoTips { tip }
            | FeeStyle::Fixed { tip, .. } => tip,
        }
    }

    /// `maxFeePerGas` in a block of base fee `base`.
    pub(crate) fn max_fee(self, base: u64) -> u64 {
        match self {
            FeeStyle::DoubleBase { tip } => 2 * base + tip,
            FeeStyle::BasePlusTwoTips { tip } => base + 2 * tip,
            FeeStyle::Fixed { max_fee, .. } => max_fee,
        }
    }

    /// The price per gas the chain charges: `min(maxFeePerGas, base fee + tip)`.
    pub(crate) fn effective_price(self, base: u64) -> u64 {
        self.max_fee(base).min(base + self.tip())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_max_fee_caps_the_tip() {
        let style = FeeStyle::Fixed {
            max_fee: 42 * GWEI,
            tip: 3 * GWEI,
        };
        assert_eq!(style.effective_price(40 * GWEI), 42 * GWEI);
        assert_eq!(style.effective_price(20 * GWEI), 23 * GWEI);
        assert_eq!(FeeStyle::DEFAULT.max_fee(10 * GWEI), 21_500_000_000);
        assert_eq!(
            FeeStyle::BasePlusTwoTips { tip: 2 * GWEI }.max_fee(10 * GWEI),
            14 * GWEI
        );
    }

    #[test]
    fn unusual_styles_are_told_from_round_ones() {
        let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(9);
        assert!(FeeStyle::unusual(&mut rng).is_unusual());
        assert!(
            !FeeStyle::Fixed {
                max_fee: 50 * GWEI,
                tip: 2 * GWEI
            }
            .is_unusual()
        );
        assert!(!FeeStyle::DEFAULT.is_unusual());
    }
}
