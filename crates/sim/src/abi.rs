//! The Solidity interfaces of the simulated contracts (alloy `sol!`): every call's input and every
//! event's topics and data are the real ABI encodings of these declarations.

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::SolEvent;

use crate::model::EvmLog;

/// ERC-20 tokens, the stablecoin issuer's freeze, and WETH9.
pub(crate) mod erc20 {
    alloy_sol_types::sol! {
        function transfer(address to, uint256 amount) returns (bool);
        function transferFrom(address from, address to, uint256 amount) returns (bool);
        function mint(address to, uint256 amount);
        function blacklist(address account);
        event Transfer(address indexed from, address indexed to, uint256 value);
        event Blacklisted(address indexed account);
    }
}

pub(crate) mod weth {
    alloy_sol_types::sol! {
        function deposit();
        function withdraw(uint256 wad);
        event Deposit(address indexed dst, uint256 wad);
        event Withdrawal(address indexed src, uint256 wad);
    }
}

/// Uniswap V2 router and pair.
pub(crate) mod uniswap_v2 {
    alloy_sol_types::sol! {
        function swapExactTokensForETH(
            uint256 amountIn,
            uint256 amountOutMin,
            address[] path,
            address to,
            uint256 deadline
        ) returns (uint256[] amounts);
        function swapExactETHForTokens(
            uint256 amountOutMin,
            address[] path,
            address to,
            uint256 deadline
        ) returns (uint256[] amounts);
        function swap(uint256 amount0Out, uint256 amount1Out, address to, bytes data);
        event Sync(uint112 reserve0, uint112 reserve1);
        event Swap(
            address indexed sender,
            uint256 amount0In,
            uint256 amount1In,
            uint256 amount0Out,
            uint256 amount1Out,
            address indexed to
        );
    }
}

/// Tornado Cash fixed-denomination instances.
pub(crate) mod tornado {
    alloy_sol_types::sol! {
        function deposit(bytes32 commitment);
        function withdraw(
            bytes proof,
            bytes32 root,
            bytes32 nullifierHash,
            address recipient,
            address relayer,
            uint256 fee,
            uint256 refund
        );
        event Deposit(bytes32 indexed commitment, uint32 leafIndex, uint256 timestamp);
        event Withdrawal(address to, bytes32 nullifierHash, address indexed relayer, uint256 fee);
    }
}

/// THORChain router v4 (`THORChain_Router`, "Router Version: 4.1").
pub(crate) mod thorchain {
    alloy_sol_types::sol! {
        struct Coin {
            address asset;
            uint256 amount;
        }
        function depositWithExpiry(
            address vault,
            address asset,
            uint256 amount,
            string memo,
            uint256 expiration
        );
        function transferOut(address to, address asset, uint256 amount, string memo);
        function returnVaultAssets(address router, address vault, Coin[] coins, string memo);
        event Deposit(address indexed to, address indexed asset, uint256 amount, string memo);
        event TransferOut(
            address indexed vault,
            address indexed to,
            address asset,
            uint256 amount,
            string memo
        );
        event VaultTransfer(address indexed oldVault, address indexed newVault, Coin[] coins, string memo);
    }
}

/// The Avalanche Bridge's BTC.b token (`BridgeToken` with Bitcoin origin fields).
pub(crate) mod btcb {
    alloy_sol_types::sol! {
        function mint(
            address to,
            uint256 amount,
            address feeAddress,
            uint256 feeAmount,
            bytes32 originTxId,
            uint256 originOutputIndex
        );
        event Mint(
            address to,
            uint256 amount,
            address feeAddress,
            uint256 feeAmount,
            bytes32 originTxId,
            uint256 originOutputIndex
        );
    }
}

/// A 20-byte account as an ABI address.
pub(crate) fn addr(raw: [u8; 20]) -> Address {
    Address::from(raw)
}

pub(crate) fn uint(v: u128) -> U256 {
    U256::from(v)
}

pub(crate) fn word(bytes: [u8; 32]) -> B256 {
    B256::from(bytes)
}

/// The log `emitter` writes for `event`.
pub(crate) fn log<E: SolEvent>(emitter: [u8; 20], event: &E) -> EvmLog {
    EvmLog {
        address: emitter,
        topics: event
            .encode_topics()
            .into_iter()
            .map(|topic| topic.0.0)
            .collect(),
        data: event.encode_data(),
    }
}

#[cfg(test)]
mod tests {
    use alloy_sol_types::{SolCall, SolEvent};

    use super::*;

    #[test]
    fn signatures_are_the_published_ones() {
        let hex = |b: B256| hex::encode(b);
        assert_eq!(
            hex(erc20::Transfer::SIGNATURE_HASH),
            "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
        );
        assert_eq!(
            hex(tornado::Deposit::SIGNATURE_HASH),
            "a945e51eec50ab98c161376f0db4cf2aeba3ec92755fe2fcd388bdbbb80ff196"
        );
        assert_eq!(
            hex(tornado::Withdrawal::SIGNATURE_HASH),
            "e9e508bad6d4c3227e881ca19068f099da81b5164dd6d62b2eaf1e8bc6c34931"
        );
        assert_eq!(
            hex(thorchain::Deposit::SIGNATURE_HASH),
            "ef519b7eb82aaf6ac376a6df2d793843ebfd593de5f1a0601d3cc6ab49ebb395"
        );
        assert_eq!(
            hex(btcb::Mint::SIGNATURE_HASH),
            "c5532043e6f3d77e1c320ff59bd4157ca9075ef59f6b55ceab6c3f7d2f78c9ca"
        );
        assert!(hex(uniswap_v2::Swap::SIGNATURE_HASH).starts_with("d78ad95f"));
        assert_eq!(hex::encode(tornado::depositCall::SELECTOR), "b214faa5");
        assert_eq!(hex::encode(tornado::withdrawCall::SELECTOR), "21a0adb6");
        assert_eq!(
            hex::encode(thorchain::depositWithExpiryCall::SELECTOR),
            "44bc937b"
        );
        assert_eq!(
            hex::encode(thorchain::transferOutCall::SELECTOR),
            "574da717"
        );
    }

    #[test]
    fn memo_events_put_the_string_after_the_head() {
        let event = thorchain::Deposit {
            to: addr([1; 20]),
            asset: Address::ZERO,
            amount: uint(7),
            memo: "=:b:x".into(),
        };
        let log = log([9; 20], &event);
        assert_eq!(log.topics.len(), 3);
        assert_eq!(log.topics[1][12..], [1; 20]);
        // amount, offset of the string (two words of head), its length, its bytes padded.
        assert_eq!(log.data.len(), 32 * 4);
        assert_eq!(log.data[31], 7);
        assert_eq!(log.data[63], 64);
        assert_eq!(log.data[95], 5);
        assert_eq!(&log.data[96..101], b"=:b:x");
    }
}
