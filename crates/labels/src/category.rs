use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// chaintrail's one category taxonomy. Every source's vocabulary (OFAC, GraphSense concepts,
/// explorer label clouds, Forta, Tornado Cash, incidents) maps onto it; the mapping tables are
/// in this module and in `docs/labels.md`.
///
/// The order of the variants is the risk order used to rank labels of equal confidence: the
/// riskiest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Category {
    /// On a sanctions list (OFAC SDN, or a secondary source that says so).
    Sanctioned,
    /// Hacks, exploits, heists and the addresses holding stolen funds.
    Hack,
    /// Ransomware operators and payments.
    Ransomware,
    /// Terrorism, terrorism financing, violent extremism.
    Terrorism,
    /// Other grave abuse: child sexual abuse, human trafficking, violence.
    Abuse,
    /// Darknet markets and vendors (drugs, weapons, counterfeits, stolen cards).
    Darknet,
    /// Scams: investment fraud, Ponzi and pyramid schemes, extortion, sextortion.
    Scam,
    /// Phishing and drainer kits.
    Phishing,
    /// Money laundering and other financial crime not covered above.
    FinancialCrime,
    /// Mixers and CoinJoin coordinators (Tornado Cash, Blender.io, Sinbad, Samourai, Wasabi).
    Mixer,
    /// Addresses blocked by a stablecoin issuer (USDT/USDC blacklists).
    Blocked,
    /// Gambling sites.
    Gambling,
    /// Online marketplaces (legitimate or not, e.g. NFT markets; Hydra is also sanctioned).
    Market,
    /// OTC desks and brokers.
    Otc,
    /// Cross-chain bridges.
    Bridge,
    /// Decentralised exchanges, routers and pools.
    Dex,
    /// Centralised exchanges (custodial: funds can be frozen).
    Exchange,
    /// Other DeFi: lending, derivatives, staking, DAOs, tokens.
    Defi,
    /// Miners and mining pools.
    Miner,
    /// Custodial wallets and wallet services.
    WalletService,
    /// Other services (payment processors, hosting, VPN, shops, donations, organisations).
    Service,
    /// Anything else (individual users, unknown).
    Other,
}

pub const ALL_CATEGORIES: &[Category] = &[
    Category::Sanctioned,
    Category::Hack,
    Category::Ransomware,
    Category::Terrorism,
    Category::Abuse,
    Category::Darknet,
    Category::Scam,
    Category::Phishing,
    Category::FinancialCrime,
    Category::Mixer,
    Category::Blocked,
    Category::Gambling,
    Category::Market,
    Category::Otc,
    Category::Bridge,
    Category::Dex,
    Category::Exchange,
    Category::Defi,
    Category::Miner,
    Category::WalletService,
    Category::Service,
    Category::Other,
];

impl Category {
    /// The category's name (`sanctioned`, `exchange`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Sanctioned => "sanctioned",
            Category::Hack => "hack",
            Category::Ransomware => "ransomware",
            Category::Terrorism => "terrorism",
            Category::Abuse => "abuse",
            Category::Darknet => "darknet",
            Category::Scam => "scam",
            Category::Phishing => "phishing",
            Category::FinancialCrime => "financial_crime",
            Category::Mixer => "mixer",
            Category::Blocked => "blocked",
            Category::Gambling => "gambling",
            Category::Market => "market",
            Category::Otc => "otc",
            Category::Bridge => "bridge",
            Category::Dex => "dex",
            Category::Exchange => "exchange",
            Category::Defi => "defi",
            Category::Miner => "miner",
            Category::WalletService => "wallet_service",
            Category::Service => "service",
            Category::Other => "other",
        }
    }

    /// Is this a category of illicit activity (as opposed to a kind of service)? Darknet is
    /// both: a role (a darknet market is a service) and illicit.
    pub fn is_illicit(self) -> bool {
        self <= Category::FinancialCrime
    }

    /// Is this a **flag** — what an address is marked as (sanctioned, hack, ransomware,
    /// terrorism, abuse, scam, phishing, financial crime, blocked) — rather than a role, what it
    /// does? Flags decide risk; they never decide how a trace treats the address.
    pub fn is_flag(self) -> bool {
        matches!(
            self,
            Category::Sanctioned
                | Category::Hack
                | Category::Ransomware
                | Category::Terrorism
                | Category::Abuse
                | Category::Scam
                | Category::Phishing
                | Category::FinancialCrime
                | Category::Blocked
        )
    }

    /// Is this a **role** — what an address does (exchange, mixer, bridge, DEX, custodian, OTC,
    /// market, gambling, miner, DeFi, other service, darknet market)? `Other` is neither: it says
    /// nothing about the address.
    pub fn is_role(self) -> bool {
        !self.is_flag() && self != Category::Other
    }

    /// How specific a role is (lower = more specific), to choose among the roles one source
    /// gives an address and among equally strong claims: converters name the contract's
    /// function (a pool, a router, a bridge), then custodial services by how narrow they are,
    /// and the generic `wallet_service`, `defi` and `service` last. Flags and `Other` rank
    /// after every role.
    pub fn role_specificity(self) -> u8 {
        match self {
            Category::Mixer => 0,
            Category::Bridge => 1,
            Category::Dex => 2,
            Category::Exchange => 3,
            Category::Otc => 4,
            Category::Darknet => 5,
            Category::Gambling => 6,
            Category::Miner => 7,
            Category::Market => 8,
            Category::WalletService => 9,
            Category::Defi => 10,
            Category::Service => 11,
            _ => u8::MAX,
        }
    }
}

/// Split categories into the most specific role (if any) and the flags (riskiest first,
/// without duplicates).
pub fn split_kinds(categories: &[Category]) -> (Option<Category>, Vec<Category>) {
    let role = categories
        .iter()
        .copied()
        .filter(|c| c.is_role())
        .min_by_key(|c| c.role_specificity());
    let mut flags: Vec<Category> = categories.iter().copied().filter(|c| c.is_flag()).collect();
    flags.sort();
    flags.dedup();
    (role, flags)
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Category {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ALL_CATEGORIES
            .iter()
            .copied()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| format!("unknown category `{s}`"))
    }
}

/// GraphSense concept id (`category`, `abuse`, `concepts` fields) → category.
/// Unknown ids map to `Other` (validation has already reported them).
pub const GRAPHSENSE_CONCEPTS: &[(&str, Category)] = &[
    ("sanction", Category::Sanctioned),
    ("hacking", Category::Hack),
    ("service_hack", Category::Hack),
    ("account_hack", Category::Hack),
    ("exploit", Category::Hack),
    ("data_breach", Category::Hack),
    ("malware", Category::Hack),
    ("ransomware", Category::Ransomware),
    ("terrorism", Category::Terrorism),
    ("terrorism_financing", Category::Terrorism),
    ("extremism", Category::Terrorism),
    ("sexual_abuse", Category::Abuse),
    ("child_sexual_abuse", Category::Abuse),
    ("violence", Category::Abuse),
    ("human_trafficking", Category::Abuse),
    ("murder", Category::Abuse),
    ("torture", Category::Abuse),
    ("dark_web", Category::Darknet),
    ("drugs", Category::Darknet),
    ("weapons", Category::Darknet),
    ("counterfeit", Category::Darknet),
    ("payment_card_fraud", Category::Darknet),
    ("scam", Category::Scam),
    ("investment_fraud", Category::Scam),
    ("ponzi_scheme", Category::Scam),
    ("pyramid_scheme", Category::Scam),
    ("extortion", Category::Scam),
    ("sextortion", Category::Scam),
    ("social_engineering", Category::Scam),
    ("phishing", Category::Phishing),
    ("financial_crime", Category::FinancialCrime),
    ("money_laundering", Category::FinancialCrime),
    ("mixing", Category::Mixer),
    ("mixing_service", Category::Mixer),
    ("coinjoin", Category::Mixer),
    ("black_list", Category::Blocked),
    ("gambling", Category::Gambling),
    ("market", Category::Market),
    ("defi_bridge", Category::Bridge),
    ("defi_dex", Category::Dex),
    ("defi_dex_pair", Category::Dex),
    ("exchange", Category::Exchange),
    ("defi", Category::Defi),
    ("defi_token", Category::Defi),
    ("defi_lending", Category::Defi),
    ("defi_derivatives", Category::Defi),
    ("defi_dao", Category::Defi),
    ("defi_staking", Category::Defi),
    ("defi_custody", Category::Defi),
    ("miner", Category::Miner),
    ("mining_service", Category::Miner),
    ("wallet_service", Category::WalletService),
    ("escrow_wallet", Category::WalletService),
    ("ico_wallet", Category::WalletService),
    ("cold_wallet", Category::WalletService),
    ("hot_wallet", Category::WalletService),
    ("warm_wallet", Category::WalletService),
    ("service", Category::Service),
    ("organization", Category::Service),
    ("payment_processor", Category::Service),
    ("atm", Category::Service),
    ("shop", Category::Service),
    ("faucet", Category::Service),
    ("hosting", Category::Service),
    ("vpn", Category::Service),
    ("nameservice", Category::Service),
    ("filesharing", Category::Service),
    ("messaging_service", Category::Service),
    ("search_engine", Category::Service),
    ("index", Category::Service),
    ("donation", Category::Service),
];

pub fn from_graphsense_concept(id: &str) -> Category {
    GRAPHSENSE_CONCEPTS
        .iter()
        .find(|(known, _)| *known == id)
        .map_or(Category::Other, |(_, c)| *c)
}

/// Explorer label-cloud slug (Etherscan family) → category. Slugs not listed map to `Other`
/// (the explorer name tag is kept on the label).
pub const EXPLORER_SLUGS: &[(&str, Category)] = &[
    ("ofac-sanctions-lists", Category::Sanctioned),
    ("heist", Category::Hack),
    ("exploit", Category::Hack),
    ("phish-hack", Category::Phishing),
    ("tornado-cash", Category::Mixer),
    ("ethereum-mixer", Category::Mixer),
    ("mixer", Category::Mixer),
    ("blocked", Category::Blocked),
    ("gambling", Category::Gambling),
    ("marketplace", Category::Market),
    ("nft", Category::Market),
    ("opensea", Category::Market),
    ("rarible", Category::Market),
    ("looksrare", Category::Market),
    ("bridge", Category::Bridge),
    ("multichain", Category::Bridge),
    ("anyswap", Category::Bridge),
    ("wormhole", Category::Bridge),
    ("hop-protocol", Category::Bridge),
    ("across-protocol", Category::Bridge),
    ("synapse", Category::Bridge),
    ("connext", Category::Bridge),
    ("nitro", Category::Bridge),
    ("dex", Category::Dex),
    ("0x-protocol", Category::Dex),
    ("0x-protocol-ecosystem", Category::Dex),
    ("1inch", Category::Dex),
    ("uniswap", Category::Dex),
    ("sushiswap", Category::Dex),
    ("balancer", Category::Dex),
    ("bancor", Category::Dex),
    ("curve-fi", Category::Dex),
    ("kyberswap", Category::Dex),
    ("pancakeswap", Category::Dex),
    ("spookyswap", Category::Dex),
    ("spiritswap", Category::Dex),
    ("burgerswap", Category::Dex),
    ("bscswap", Category::Dex),
    ("airswap", Category::Dex),
    ("tokenlon", Category::Dex),
    ("loopring", Category::Dex),
    ("dydx", Category::Dex),
    ("exchange", Category::Exchange),
    ("binance", Category::Exchange),
    ("coinbase", Category::Exchange),
    ("kraken", Category::Exchange),
    ("huobi", Category::Exchange),
    ("bitfinex", Category::Exchange),
    ("kucoin", Category::Exchange),
    ("okx", Category::Exchange),
    ("crypto-com", Category::Exchange),
    ("poloniex", Category::Exchange),
    ("bithumb", Category::Exchange),
    ("coinsquare", Category::Exchange),
    ("maskex", Category::Exchange),
    ("fiat-gateway", Category::Exchange),
    ("defi", Category::Defi),
    ("aave", Category::Defi),
    ("compound", Category::Defi),
    ("maker", Category::Defi),
    ("lido", Category::Defi),
    ("rocket-pool", Category::Defi),
    ("synthetix", Category::Defi),
    ("yearn-finance", Category::Defi),
    ("staking", Category::Defi),
    ("yield-farming", Category::Defi),
    ("loans", Category::Defi),
    ("vaults", Category::Defi),
    ("derivatives", Category::Defi),
    ("mining", Category::Miner),
    ("validator", Category::Miner),
    ("proposer-fee-recipient", Category::Miner),
    ("hot-wallet", Category::WalletService),
    ("multisig", Category::WalletService),
    ("safe-formerly-gnosis-safe", Category::WalletService),
    ("donate", Category::Service),
    ("fund", Category::Service),
    ("gitcoin-grants", Category::Service),
];

pub fn from_explorer_slug(slug: &str) -> Category {
    EXPLORER_SLUGS
        .iter()
        .find(|(known, _)| *known == slug)
        .map_or(Category::Other, |(_, c)| *c)
}

/// Sorts and de-duplicates categories, riskiest first; never empty.
pub(crate) fn normalise(mut categories: Vec<Category>) -> Vec<Category> {
    categories.sort();
    categories.dedup();
    if categories.len() > 1 {
        categories.retain(|c| *c != Category::Other);
    }
    if categories.is_empty() {
        categories.push(Category::Other);
    }
    categories
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_order() {
        for c in ALL_CATEGORIES {
            assert_eq!(c.as_str().parse::<Category>().unwrap(), *c);
        }
        assert!(Category::Sanctioned < Category::Mixer);
        assert!(Category::Hack.is_illicit());
        assert!(!Category::Exchange.is_illicit());
        assert_eq!(from_graphsense_concept("coinjoin"), Category::Mixer);
        assert_eq!(from_explorer_slug("tornado-cash"), Category::Mixer);
        let kinds: Vec<(Category, bool, bool)> = ALL_CATEGORIES
            .iter()
            .map(|c| (*c, c.is_role(), c.is_flag()))
            .filter(|(_, role, flag)| !role && !flag)
            .collect();
        assert_eq!(kinds, vec![(Category::Other, false, false)]);
        assert!(Category::Darknet.is_role() && Category::Darknet.is_illicit());
        assert!(Category::Blocked.is_flag() && !Category::Mixer.is_flag());
        assert_eq!(
            split_kinds(&[
                Category::Sanctioned,
                Category::WalletService,
                Category::Exchange,
                Category::Sanctioned,
                Category::Other,
            ]),
            (Some(Category::Exchange), vec![Category::Sanctioned])
        );
        assert_eq!(split_kinds(&[Category::Other]), (None, vec![]));
        assert_eq!(
            normalise(vec![
                Category::Other,
                Category::Exchange,
                Category::Exchange
            ]),
            vec![Category::Exchange]
        );
    }
}
