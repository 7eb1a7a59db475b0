use std::fmt;
use std::str::FromStr;

use alloy_primitives::U256;
use serde::{Deserialize, Serialize};

/// A non-negative amount in an asset's base units (satoshi, wei, token units).
///
/// 256 bits wide, so every EVM `uint256` fits. Arithmetic is checked: nothing wraps, and a
/// result that does not fit is an error, never a silently different number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Amount(U256);

/// Why a text or a computation gives no amount.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    /// The text is empty.
    #[error("empty amount")]
    Empty,
    /// A negative number.
    #[error("amount `{0}` is negative: amounts are in base units and never below zero")]
    Negative(String),
    /// A character that is not a digit (or the decimal point).
    #[error("amount `{input}` is not a whole number in base units: `{ch}` is not a digit")]
    NotANumber {
        /// The text given.
        input: String,
        /// The offending character.
        ch: char,
    },
    /// More than 256 bits.
    #[error("amount `{0}` does not fit in 256 bits")]
    Overflow(String),
    /// More fractional digits than the asset's decimals.
    #[error("amount `{input}` has more than {decimals} decimal places")]
    TooPrecise {
        /// The text given.
        input: String,
        /// The asset's decimal places.
        decimals: u8,
    },
    /// A sum beyond 256 bits.
    #[error("amount arithmetic overflowed 256 bits")]
    ArithmeticOverflow,
    /// A difference below zero.
    #[error("amount arithmetic went below zero")]
    ArithmeticUnderflow,
}

impl Amount {
    /// Nothing.
    pub const ZERO: Amount = Amount(U256::ZERO);

    /// An amount of `value` base units.
    pub fn from_u64(value: u64) -> Amount {
        Amount(U256::from(value))
    }

    /// An amount of `value` base units.
    pub fn from_u128(value: u128) -> Amount {
        Amount(U256::from(value))
    }

    /// The amount of a 32-byte big-endian number (as stored).
    pub fn from_be_bytes(bytes: [u8; 32]) -> Amount {
        Amount(U256::from_be_bytes(bytes))
    }

    /// The amount as a 32-byte big-endian number (as stored).
    pub fn to_be_bytes(self) -> [u8; 32] {
        self.0.to_be_bytes()
    }

    /// The amount as a 256-bit integer.
    pub fn as_u256(self) -> U256 {
        self.0
    }

    /// The amount of a 256-bit integer.
    pub fn from_u256(value: U256) -> Amount {
        Amount(value)
    }

    /// The value as u64, or `None` when it does not fit.
    pub fn to_u64(self) -> Option<u64> {
        u64::try_from(self.0).ok()
    }

    /// The value as u128, or `None` when it does not fit.
    pub fn to_u128(self) -> Option<u128> {
        u128::try_from(self.0).ok()
    }

    /// Whether the amount is zero.
    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }

    /// `self + other`, or an error instead of wrapping.
    pub fn checked_add(self, other: Amount) -> Result<Amount, AmountError> {
        self.0
            .checked_add(other.0)
            .map(Amount)
            .ok_or(AmountError::ArithmeticOverflow)
    }

    /// `self - other`, or an error instead of going below zero.
    pub fn checked_sub(self, other: Amount) -> Result<Amount, AmountError> {
        self.0
            .checked_sub(other.0)
            .map(Amount)
            .ok_or(AmountError::ArithmeticUnderflow)
    }

    /// Parse a decimal ("12.5") given in whole units of an asset with `decimals` places.
    pub fn from_units(text: &str, decimals: u8) -> Result<Amount, AmountError> {
        let text = text.trim();
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        if fraction.len() > usize::from(decimals) {
            return Err(AmountError::TooPrecise {
                input: text.to_string(),
                decimals,
            });
        }
        let padded = format!("{whole}{fraction:0<width$}", width = usize::from(decimals));
        padded.parse::<Amount>().map_err(|err| match err {
            AmountError::NotANumber { ch, .. } => AmountError::NotANumber {
                input: text.to_string(),
                ch,
            },
            AmountError::Overflow(_) => AmountError::Overflow(text.to_string()),
            other => other,
        })
    }

    /// Format in whole units with `decimals` places, trailing zeros trimmed ("1.5", "0.0001").
    pub fn format_units(self, decimals: u8) -> String {
        let digits = self.0.to_string();
        let decimals = usize::from(decimals);
        if decimals == 0 {
            return digits;
        }
        let padded = format!("{digits:0>width$}", width = decimals + 1);
        let (whole, fraction) = padded.split_at(padded.len() - decimals);
        let fraction = fraction.trim_end_matches('0');
        if fraction.is_empty() {
            whole.to_string()
        } else {
            format!("{whole}.{fraction}")
        }
    }

    /// Lossy conversion for display and USD estimates only; never used for accounting.
    pub fn to_f64_units(self, decimals: u8) -> f64 {
        let value: f64 = self.0.to_string().parse().unwrap_or(f64::INFINITY);
        value / 10f64.powi(i32::from(decimals))
    }
}

impl FromStr for Amount {
    type Err = AmountError;

    /// Accepts decimal base units ("1000") or 0x-prefixed hex ("0x3e8"), as node and ETL exports
    /// write them.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.trim();
        if text.is_empty() {
            return Err(AmountError::Empty);
        }
        if text.starts_with('-') {
            return Err(AmountError::Negative(text.to_string()));
        }
        let text = text.strip_prefix('+').unwrap_or(text);
        if let Some(hex_digits) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
            if let Some(ch) = hex_digits.chars().find(|c| !c.is_ascii_hexdigit()) {
                return Err(AmountError::NotANumber {
                    input: text.to_string(),
                    ch,
                });
            }
            if hex_digits.is_empty() {
                return Ok(Amount::ZERO);
            }
            return U256::from_str_radix(hex_digits, 16)
                .map(Amount)
                .map_err(|_| AmountError::Overflow(text.to_string()));
        }
        if let Some(ch) = text.chars().find(|c| !c.is_ascii_digit()) {
            return Err(AmountError::NotANumber {
                input: text.to_string(),
                ch,
            });
        }
        U256::from_str_radix(text, 10)
            .map(Amount)
            .map_err(|_| AmountError::Overflow(text.to_string()))
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Serialize for Amount {
    /// Serialized as a decimal string: JSON numbers lose precision above 2^53.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl std::iter::Sum for Amount {
    /// Sums saturate at the 256-bit maximum; use [`Amount::checked_add`] where it matters.
    fn sum<I: Iterator<Item = Amount>>(iter: I) -> Amount {
        Amount(iter.fold(U256::ZERO, |acc, a| acc.saturating_add(a.0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_and_rejects() {
        assert_eq!("1000".parse::<Amount>().unwrap(), Amount::from_u64(1000));
        assert_eq!("0x3e8".parse::<Amount>().unwrap(), Amount::from_u64(1000));
        let max = "115792089237316195423570985008687907853269984665640564039457584007913129639935";
        assert_eq!(max.parse::<Amount>().unwrap().to_string(), max);
        let too_big =
            "115792089237316195423570985008687907853269984665640564039457584007913129639936";
        assert!(matches!(
            too_big.parse::<Amount>(),
            Err(AmountError::Overflow(_))
        ));
        assert!(matches!(
            "-5".parse::<Amount>(),
            Err(AmountError::Negative(_))
        ));
        assert!(matches!(
            "1e18".parse::<Amount>(),
            Err(AmountError::NotANumber { ch: 'e', .. })
        ));
        assert!(Amount::from_u64(u64::MAX).to_u64().is_some());
        let beyond = Amount::from_u128(u128::from(u64::MAX) + 1);
        assert_eq!(beyond.to_u64(), None);
    }

    #[test]
    fn units() {
        let a = Amount::from_units("1.5", 18).unwrap();
        assert_eq!(a.to_string(), "1500000000000000000");
        assert_eq!(a.format_units(18), "1.5");
        assert_eq!(Amount::from_u64(1).format_units(8), "0.00000001");
        assert_eq!(Amount::from_u64(100_000_000).format_units(8), "1");
        assert!(matches!(
            Amount::from_units("0.123", 2),
            Err(AmountError::TooPrecise { .. })
        ));
        assert!(
            Amount::from_u256(U256::MAX)
                .checked_add(Amount::from_u64(1))
                .is_err()
        );
    }

    proptest! {
        #[test]
        fn decimal_round_trip(hi in any::<u128>(), lo in any::<u128>()) {
            let value = Amount::from_u256((U256::from(hi) << 128) | U256::from(lo));
            prop_assert_eq!(value.to_string().parse::<Amount>().unwrap(), value);
            prop_assert_eq!(Amount::from_be_bytes(value.to_be_bytes()), value);
        }

        #[test]
        fn arbitrary_text_never_panics(text in "\\PC{0,90}") {
            let _ = text.parse::<Amount>();
            let _ = Amount::from_units(&text, 18);
        }
    }
}
