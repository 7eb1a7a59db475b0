use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A 32-byte transaction hash, kept in the byte order it is displayed in (for Bitcoin that is
/// the reverse of the serialized txid, as explorers and Core's RPC print it).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct TxHash(pub [u8; 32]);

/// Why a text is not a transaction hash.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashError {
    /// Not 64 hex digits (with or without `0x`).
    #[error(
        "`{input}` is not a transaction hash: expected 64 hex digits (optionally after 0x), found {found} characters"
    )]
    Length {
        /// The text given.
        input: String,
        /// How many digits it has.
        found: usize,
    },
    /// A character that is not a hex digit.
    #[error("`{input}` is not a transaction hash: `{ch}` is not hex")]
    NotHex {
        /// The text given.
        input: String,
        /// The offending character.
        ch: char,
    },
}

impl FromStr for TxHash {
    type Err = HashError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.trim();
        let digits = text
            .strip_prefix("0x")
            .or_else(|| text.strip_prefix("0X"))
            .unwrap_or(text);
        if let Some(ch) = digits.chars().find(|c| !c.is_ascii_hexdigit()) {
            return Err(HashError::NotHex {
                input: text.to_string(),
                ch,
            });
        }
        let mut raw = [0u8; 32];
        hex::decode_to_slice(digits, &mut raw).map_err(|_| HashError::Length {
            input: text.to_string(),
            found: digits.len(),
        })?;
        Ok(TxHash(raw))
    }
}

impl TxHash {
    /// Hex without prefix, the form Bitcoin tools use.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Hex with 0x prefix, the form EVM tools use.
    pub fn to_hex_prefixed(&self) -> String {
        format!("0x{}", hex::encode(self.0))
    }
}

impl fmt::Display for TxHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for TxHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TxHash({})", self.to_hex())
    }
}

impl Serialize for TxHash {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TxHash {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}
