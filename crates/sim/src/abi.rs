//! Minimal Solidity ABI encoding and the event/function signatures the simulated contracts use.

use alloy_primitives::keccak256;

/// One ABI argument.
pub(crate) enum Tok {
    Word([u8; 32]),
    Bytes(Vec<u8>),
    Addrs(Vec<[u8; 20]>),
}

pub(crate) fn word_u128(v: u128) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[16..].copy_from_slice(&v.to_be_bytes());
    w
}

pub(crate) fn word_addr(a: &[u8; 20]) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[12..].copy_from_slice(a);
    w
}

pub(crate) fn topic(signature: &str) -> [u8; 32] {
    keccak256(signature.as_bytes()).0
}

pub(crate) fn selector(signature: &str) -> [u8; 4] {
    let h = keccak256(signature.as_bytes()).0;
    [h[0], h[1], h[2], h[3]]
}

/// ABI-encode arguments (head/tail layout for dynamic values).
pub(crate) fn encode(args: &[Tok]) -> Vec<u8> {
    let head_len = 32 * args.len();
    let mut head = Vec::with_capacity(head_len);
    let mut tail: Vec<u8> = Vec::new();
    for arg in args {
        match arg {
            Tok::Word(w) => head.extend_from_slice(w),
            Tok::Bytes(b) => {
                head.extend_from_slice(&word_u128((head_len + tail.len()) as u128));
                tail.extend_from_slice(&word_u128(b.len() as u128));
                tail.extend_from_slice(b);
                tail.resize(tail.len().div_ceil(32) * 32, 0);
            }
            Tok::Addrs(list) => {
                head.extend_from_slice(&word_u128((head_len + tail.len()) as u128));
                tail.extend_from_slice(&word_u128(list.len() as u128));
                for a in list {
                    tail.extend_from_slice(&word_addr(a));
                }
            }
        }
    }
    head.extend_from_slice(&tail);
    head
}

/// Function call data: selector followed by the encoded arguments.
pub(crate) fn call(signature: &str, args: &[Tok]) -> Vec<u8> {
    let mut data = selector(signature).to_vec();
    data.extend_from_slice(&encode(args));
    data
}

/// Event topic0 values, computed once.
pub(crate) struct Topics {
    pub transfer: [u8; 32],
    pub swap: [u8; 32],
    pub sync: [u8; 32],
    pub weth_deposit: [u8; 32],
    pub weth_withdrawal: [u8; 32],
    pub tornado_deposit: [u8; 32],
    pub tornado_withdrawal: [u8; 32],
    pub thor_deposit: [u8; 32],
    pub blacklisted: [u8; 32],
}

impl Topics {
    pub(crate) fn new() -> Topics {
        Topics {
            transfer: topic("Transfer(address,address,uint256)"),
            swap: topic("Swap(address,uint256,uint256,uint256,uint256,address)"),
            sync: topic("Sync(uint112,uint112)"),
            weth_deposit: topic("Deposit(address,uint256)"),
            weth_withdrawal: topic("Withdrawal(address,uint256)"),
            tornado_deposit: topic("Deposit(bytes32,uint32,uint256)"),
            tornado_withdrawal: topic("Withdrawal(address,bytes32,address,uint256)"),
            thor_deposit: topic("Deposit(address,address,uint256,string)"),
            blacklisted: topic("Blacklisted(address)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_match_the_published_values() {
        let t = Topics::new();
        assert_eq!(
            hex::encode(t.transfer),
            "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
        );
        assert_eq!(
            hex::encode(t.tornado_deposit),
            "a945e51eec50ab98c161376f0db4cf2aeba3ec92755fe2fcd388bdbbb80ff196"
        );
        assert_eq!(
            hex::encode(t.tornado_withdrawal),
            "e9e508bad6d4c3227e881ca19068f099da81b5164dd6d62b2eaf1e8bc6c34931"
        );
        assert_eq!(
            hex::encode(t.thor_deposit),
            "ef519b7eb82aaf6ac376a6df2d793843ebfd593de5f1a0601d3cc6ab49ebb395"
        );
        assert!(hex::encode(t.swap).starts_with("d78ad95f"));
        assert_eq!(hex::encode(selector("deposit(bytes32)")), "b214faa5");
        assert_eq!(
            hex::encode(selector(
                "withdraw(bytes,bytes32,bytes32,address,address,uint256,uint256)"
            )),
            "21a0adb6"
        );
    }

    #[test]
    fn dynamic_arguments_use_offsets() {
        let data = encode(&[Tok::Word(word_u128(7)), Tok::Bytes(b"abc".to_vec())]);
        assert_eq!(data.len(), 32 * 4);
        assert_eq!(data[63], 64); // offset of the bytes
        assert_eq!(data[95], 3); // length
        assert_eq!(&data[96..99], b"abc");
    }
}
