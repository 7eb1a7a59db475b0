use std::collections::BTreeMap;
use std::fmt;

use chaintrail_core::{Address, Chain};
use serde::{Deserialize, Serialize};

use crate::category::{self, Category};
use chaintrail_core::Date;

/// Where a label came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Source {
    /// US Treasury OFAC SDN list (advanced XML or a derived address list).
    Ofac,
    /// A GraphSense TagPack.
    Graphsense,
    /// An Etherscan-family explorer label cloud.
    Explorer,
    /// Forta's labelled datasets (Etherscan phish-hack / exploit / heist labels).
    Forta,
    /// Tornado Cash's own contract list.
    TornadoCash,
    /// An attacker address linked from an incident of the incident ledger.
    Incident,
    /// Inferred by chaintrail from chain data (e.g. exchange deposit addresses); the label's
    /// `details` carry the `evidence`.
    Derived,
}

impl Source {
    /// The source's name (`ofac`, `tagpack`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Ofac => "ofac",
            Source::Graphsense => "graphsense",
            Source::Explorer => "explorer",
            Source::Forta => "forta",
            Source::TornadoCash => "tornado_cash",
            Source::Incident => "incident",
            Source::Derived => "derived",
        }
    }

    /// The order in which sources' role claims of equal confidence win (lower first): a
    /// protocol's own contract list, then curated attribution (GraphSense), explorers' name
    /// tags, chaintrail's own inferences from chain data; Forta, incidents and OFAC never claim
    /// a role (they flag).
    pub fn role_rank(self) -> u8 {
        match self {
            Source::TornadoCash => 0,
            Source::Graphsense => 1,
            Source::Explorer => 2,
            Source::Derived => 3,
            Source::Forta => 4,
            Source::Incident => 5,
            Source::Ofac => 6,
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One attribution of one address, with its provenance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Label {
    /// The address as the source wrote it (trimmed).
    pub address: String,
    /// The chain, when chaintrail models it and the address parsed for it; `None` for
    /// currencies core does not model (TRX, LTC, XMR, …), kept as raw strings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain: Option<Chain>,
    /// The currency / network code as the source gives it (XBT, ETH, USDT, TRX, …).
    pub currency: String,
    /// Entity or label text (OFAC primary name, TagPack label, explorer name tag, …).
    pub name: String,
    /// The riskiest of `categories` (display and `lookup` ranking; tracing and screening use
    /// `role` and `flags` through `LabelStore::resolve`).
    pub category: Category,
    /// Every category the source's fields map to, riskiest first.
    pub categories: Vec<Category>,
    /// What the address does according to this label (the most specific role category of
    /// `categories`), if it says. Absent in stores written before roles and flags: derived
    /// from `categories` on load.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Category>,
    /// What the address is marked as according to this label (the flag categories of
    /// `categories`, riskiest first).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<Category>,
    /// Where the label comes from.
    pub source: Source,
    /// The unit an import replaces: re-importing a dataset replaces its labels.
    pub dataset: String,
    /// File the label was read from and its line (0 where the format has no lines).
    pub file: String,
    /// The 1-based line in `file`.
    pub line: u64,
    /// Confidence 0..=100.
    pub confidence: u8,
    /// The source's own confidence level id (GraphSense `confidence`), if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence_level: Option<String>,
    /// First day the label holds, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<Date>,
    /// First day the label no longer holds (exclusive), e.g. the OFAC delisting snapshot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<Date>,
    /// Set when the label's first day is not known: `valid_from` is then the first evidence that
    /// it holds (the first OFAC snapshot listing the address, whose own designation date OFAC
    /// does not publish), and whether it held on the days before is unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unknown_start: Option<UnknownStart>,
    /// Source-specific fields: SDN uid, programmes, actor, URL, TagPack fields, …
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub details: BTreeMap<String, String>,
}

/// A label whose start is unknown (see [`Label::unknown_start`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct UnknownStart {
    /// The last day it is known not to have held (an earlier snapshot without the entry): the
    /// unknown days run from the day after it to `valid_from`. `None`: no earlier evidence, the
    /// unknown days run back indefinitely.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub absent_on: Option<Date>,
}

/// Whether a dated claim holds on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validity {
    /// The claim holds on the day.
    Holds,
    /// Before the first evidence of a claim whose start is unknown.
    Unknown,
    /// The claim does not hold on the day.
    DoesNotHold,
}

/// Whether a claim valid `from <= day < to`, maybe with an unknown start, holds on `day`.
pub fn validity(
    from: Option<Date>,
    to: Option<Date>,
    unknown_start: Option<UnknownStart>,
    day: Date,
) -> Validity {
    if to.is_some_and(|to| day >= to) {
        return Validity::DoesNotHold;
    }
    match (from, unknown_start) {
        (Some(from), _) if day >= from => Validity::Holds,
        (None, _) => Validity::Holds,
        (Some(_), Some(start)) if start.absent_on.is_none_or(|absent| day > absent) => {
            Validity::Unknown
        }
        (Some(_), _) => Validity::DoesNotHold,
    }
}

impl Label {
    /// The lookup key of this label's address (see [`normalize_key`]).
    pub fn key(&self) -> String {
        normalize_key(self.chain, &self.address)
    }

    /// Does the label hold on `date`? (`valid_from <= date < valid_to`)
    pub fn valid_on(&self, date: Date) -> bool {
        self.validity_on(date) == Validity::Holds
    }

    /// Does the label hold on `date`, or is that unknown (before the first evidence of a label
    /// whose start is unknown)?
    pub fn validity_on(&self, date: Date) -> Validity {
        validity(self.valid_from, self.valid_to, self.unknown_start, date)
    }

    /// An OFAC label that has not been delisted.
    pub fn is_active_sanction(&self) -> bool {
        self.source == Source::Ofac && self.valid_to.is_none()
    }

    /// A label from `source` saying that `address` on `chain` is `name`, of `categories`
    /// (roles and flags alike; at least one, else `other`), with full confidence, no dates and
    /// no details, stored under `dataset`: for labels made by code rather than read from a file.
    pub fn new(
        source: Source,
        dataset: &str,
        chain: Chain,
        address: &str,
        name: &str,
        categories: Vec<Category>,
    ) -> Label {
        let categories = category::normalise(categories);
        let mut label = Label {
            address: address.trim().to_string(),
            chain: Some(chain),
            currency: chain.native_symbol().to_string(),
            name: name.trim().to_string(),
            category: categories[0],
            categories,
            role: None,
            flags: Vec::new(),
            source,
            dataset: dataset.to_string(),
            file: String::new(),
            line: 0,
            confidence: 100,
            confidence_level: None,
            valid_from: None,
            valid_to: None,
            unknown_start: None,
            details: BTreeMap::new(),
        };
        label.normalise_kinds();
        label
    }

    /// A role label chaintrail inferred from chain data (`Source::Derived`): `address` on
    /// `chain` does `role` (e.g. an exchange deposit address), named `name`, with the evidence
    /// (e.g. "swept to Exchange One's hot wallet 0x… in 12 txs") in `details["evidence"]`.
    /// Store such labels with [`crate::LabelStore::replace_labels`] under `dataset`.
    pub fn derived(
        dataset: &str,
        chain: Chain,
        address: &str,
        name: &str,
        role: Category,
        confidence: u8,
        evidence: &str,
    ) -> Label {
        Label {
            confidence: confidence.min(100),
            details: BTreeMap::from([("evidence".to_string(), evidence.to_string())]),
            ..Label::new(Source::Derived, dataset, chain, address, name, vec![role])
        }
    }

    /// Make `role`/`flags` and `categories`/`category` agree: labels of older stores (no role
    /// or flags) get them from their categories; labels built with only a role and flags get
    /// their categories from those.
    pub fn normalise_kinds(&mut self) {
        if self.role.is_none() && self.flags.is_empty() {
            (self.role, self.flags) = category::split_kinds(&self.categories);
            return;
        }
        self.flags.retain(|f| f.is_flag());
        self.flags.sort();
        self.flags.dedup();
        self.role = self.role.filter(|r| r.is_role());
        let mut all = self.categories.clone();
        all.extend(self.role);
        all.extend(self.flags.iter().copied());
        self.categories = category::normalise(all);
        self.category = self.categories[0];
    }
}

/// Fields every importer provides to make a label.
pub(crate) struct LabelDraft<'a> {
    pub source: Source,
    pub dataset: &'a str,
    pub file: &'a str,
    pub line: u64,
    pub address: &'a str,
    pub currency: &'a str,
    pub name: String,
    pub categories: Vec<Category>,
    pub confidence: u8,
}

impl LabelDraft<'_> {
    /// Build the label, mapping the currency to a modelled chain where possible. Returns a
    /// warning when the address does not parse for the chain its currency implies (it is
    /// then kept as a raw string: never dropped).
    pub fn build(self) -> (Label, Option<String>) {
        let address = self.address.trim().to_string();
        let currency = self.currency.trim().to_string();
        let mut warning = None;
        let chain = match currency_chain(&currency, &address) {
            Some(chain) => match Address::parse(chain, &address) {
                Ok(_) => Some(chain),
                Err(e) => {
                    warning = Some(format!(
                        "address does not parse as {chain} ({e}); kept as a raw {currency} string"
                    ));
                    None
                }
            },
            None => None,
        };
        let categories = category::normalise(self.categories);
        let (role, flags) = category::split_kinds(&categories);
        let label = Label {
            address,
            chain,
            currency,
            name: self.name.trim().to_string(),
            category: categories[0],
            categories,
            role,
            flags,
            source: self.source,
            dataset: self.dataset.to_string(),
            file: self.file.to_string(),
            line: self.line,
            confidence: self.confidence.min(100),
            confidence_level: None,
            valid_from: None,
            valid_to: None,
            unknown_start: None,
            details: BTreeMap::new(),
        };
        (label, warning)
    }
}

pub(crate) fn is_evm_hex(address: &str) -> bool {
    let digits = address
        .strip_prefix("0x")
        .or_else(|| address.strip_prefix("0X"));
    digits.is_some_and(|d| d.len() == 40 && d.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The chain a currency code (OFAC ticker, TagPack currency/network) implies for an address,
/// if chaintrail models it. Tokens issued on several chains (USDT, USDC, BNB, AVAX) map to their
/// EVM chain only when the address is an EVM address (Tron USDT stays raw).
pub fn currency_chain(currency: &str, address: &str) -> Option<Chain> {
    let evm = is_evm_hex(address);
    let upper = currency.trim().to_ascii_uppercase();
    match upper.as_str() {
        "XBT" | "BTC" => Some(Chain::BITCOIN),
        "ETH" => Some(Chain::ETHEREUM),
        "ETC" => Some(Chain::Evm(61)),
        "ARB" | "ARBITRUM" => Some(Chain::Evm(42161)),
        "OP" | "OPTIMISM" => Some(Chain::Evm(10)),
        "BSC" | "BEP20" => Some(Chain::Evm(56)),
        "MATIC" | "POL" | "POLYGON" => Some(Chain::Evm(137)),
        "FTM" => Some(Chain::Evm(250)),
        "BASE" => Some(Chain::Evm(8453)),
        "BNB" if evm => Some(Chain::Evm(56)),
        "AVAX" if evm => Some(Chain::Evm(43114)),
        "USDT" | "USDC" | "DAI" | "WBTC" | "WETH" if evm => Some(Chain::ETHEREUM),
        _ => None,
    }
}

/// The lookup key of an address: lower-case `0x…` for any EVM-format address (whatever its
/// chain: the same key on every EVM chain), the canonical form for a parsed Bitcoin address
/// (lower-case bech32), else the trimmed text as written.
pub fn normalize_key(chain: Option<Chain>, address: &str) -> String {
    let text = address.trim();
    if is_evm_hex(text) {
        return text.to_ascii_lowercase();
    }
    if let Some(chain @ Chain::Bitcoin(_)) = chain
        && let Ok(parsed) = Address::parse(chain, text)
    {
        return parsed.to_string();
    }
    text.to_string()
}

/// Keys under which a query string is looked up: as written, normalised for its inferred
/// chain, and lower-cased (so that a case-folded copy of a case-insensitive address still
/// matches; see `LabelStore::lookup`).
pub(crate) fn query_keys(query: &str) -> Vec<String> {
    let text = query.trim();
    let mut keys = vec![text.to_string()];
    if is_evm_hex(text) {
        keys.push(text.to_ascii_lowercase());
    } else if let Ok((chain, parsed)) = Address::parse_any(text)
        && matches!(chain, Chain::Bitcoin(_))
    {
        keys.push(parsed.to_string());
    }
    let lower = text.to_lowercase();
    keys.push(lower);
    keys.sort();
    keys.dedup();
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_normalise_evm_and_bech32() {
        let a = "0x098B716B8Aaf21512996dC57EB0615e2383E2f96";
        assert_eq!(
            normalize_key(Some(Chain::ETHEREUM), a),
            "0x098b716b8aaf21512996dc57eb0615e2383e2f96"
        );
        assert_eq!(
            normalize_key(None, a),
            normalize_key(Some(Chain::Evm(56)), a)
        );
        assert_eq!(
            normalize_key(
                Some(Chain::BITCOIN),
                "BC1QAR0SRRR7XFKVY5L643LYDNW9RE59GTZZWF5MDQ"
            ),
            "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
        );
        assert_eq!(normalize_key(None, " TXyz "), "TXyz");
        assert!(
            query_keys("0xABCDEF0123456789abcdef0123456789ABCDEF01")
                .contains(&"0xabcdef0123456789abcdef0123456789abcdef01".to_string())
        );
    }

    #[test]
    fn currencies_map_to_chains() {
        let evm = "0x098B716B8Aaf21512996dC57EB0615e2383E2f96";
        assert_eq!(currency_chain("USDT", evm), Some(Chain::ETHEREUM));
        assert_eq!(
            currency_chain("USDT", "TA3941uFAvmVibSkQ6fMJXxmaSNovX86mz"),
            None
        );
        assert_eq!(currency_chain("ARB", evm), Some(Chain::Evm(42161)));
        assert_eq!(currency_chain("XBT", "1x"), Some(Chain::BITCOIN));
        assert_eq!(currency_chain("XMR", "4abc"), None);
    }
}
