// SPDX-License-Identifier: Apache-2.0
// Contracts deployed on anvil by crates/evm/tests/anvil.rs. Compiled once with solc-js 0.8.35
// (evmVersion cancun, optimizer 200 runs) by tests/contracts/compile.sh into Fixtures.json.
pragma solidity ^0.8.20;

/// A minimal ERC-20: mints its supply to the deployer.
contract Token {
    mapping(address => uint256) public balanceOf;
    event Transfer(address indexed from, address indexed to, uint256 value);

    constructor(uint256 supply) {
        balanceOf[msg.sender] = supply;
        emit Transfer(address(0), msg.sender, supply);
    }

    function transfer(address to, uint256 value) external returns (bool) {
        require(balanceOf[msg.sender] >= value, "balance");
        balanceOf[msg.sender] -= value;
        balanceOf[to] += value;
        emit Transfer(msg.sender, to, value);
        return true;
    }

    function burn(uint256 value) external {
        require(balanceOf[msg.sender] >= value, "balance");
        balanceOf[msg.sender] -= value;
        emit Transfer(msg.sender, address(0), value);
    }
}

/// WETH9's interface: wraps ether into a token.
contract Weth {
    mapping(address => uint256) public balanceOf;
    event Deposit(address indexed dst, uint256 wad);
    event Withdrawal(address indexed src, uint256 wad);

    function deposit() external payable {
        balanceOf[msg.sender] += msg.value;
        emit Deposit(msg.sender, msg.value);
    }

    function withdraw(uint256 wad) external {
        require(balanceOf[msg.sender] >= wad, "balance");
        balanceOf[msg.sender] -= wad;
        payable(msg.sender).transfer(wad);
        emit Withdrawal(msg.sender, wad);
    }
}

/// Emits the Swap events of Uniswap V2 pairs and V3 pools with the caller's numbers.
contract SwapEmitter {
    event Swap(
        address indexed sender,
        uint256 amount0In,
        uint256 amount1In,
        uint256 amount0Out,
        uint256 amount1Out,
        address indexed to
    );

    function swapV2(uint256 a0In, uint256 a1In, uint256 a0Out, uint256 a1Out, address to) external {
        emit Swap(msg.sender, a0In, a1In, a0Out, a1Out, to);
    }
}

contract SwapEmitterV3 {
    event Swap(
        address indexed sender,
        address indexed recipient,
        int256 amount0,
        int256 amount1,
        uint160 sqrtPriceX96,
        uint128 liquidity,
        int24 tick
    );

    function swapV3(int256 amount0, int256 amount1, address recipient) external {
        emit Swap(msg.sender, recipient, amount0, amount1, 79228162514264337593543950336, 1000, -5);
    }
}

/// Refuses ether and reverts on demand.
contract Reverter {
    receive() external payable {
        revert("no ether");
    }

    function boom() external payable {
        revert("boom");
    }
}

/// Forwards ether internally; some inner calls revert.
contract Forwarder {
    function split(address payable a, address payable b) external payable {
        uint256 half = msg.value / 2;
        a.transfer(half);
        b.transfer(msg.value - half);
    }

    /// Sends a quarter to `good`, tries `bad` with another quarter (which reverts, so that value
    /// stays here), keeps the rest.
    function tryBoth(address payable good, address payable bad) external payable {
        uint256 quarter = msg.value / 4;
        good.transfer(quarter);
        (bool ok,) = bad.call{value: quarter}("");
        ok; // the failure is the point
    }

    /// Creates a child holding `msg.value`, then has it self-destruct to `heir`.
    function createAndKill(address payable heir) external payable {
        Child child = new Child{value: msg.value}();
        child.kill(heir);
    }

    function sweep(address payable to) external {
        to.transfer(address(this).balance);
    }
}

contract Child {
    constructor() payable {}

    function kill(address payable heir) external {
        selfdestruct(heir);
    }
}

/// Tornado-Cash-shaped mixer: fixed denomination, Tornado's Deposit and Withdrawal events.
contract Mixer {
    uint256 public immutable denomination;
    uint32 public nextIndex;
    event Deposit(bytes32 indexed commitment, uint32 leafIndex, uint256 timestamp);
    event Withdrawal(address to, bytes32 nullifierHash, address indexed relayer, uint256 fee);

    constructor(uint256 d) {
        denomination = d;
    }

    function deposit(bytes32 commitment) external payable {
        require(msg.value == denomination, "denomination");
        emit Deposit(commitment, nextIndex, block.timestamp);
        nextIndex += 1;
    }

    function withdraw(address payable to, bytes32 nullifierHash, address payable relayer, uint256 fee) external {
        to.transfer(denomination - fee);
        if (fee > 0) {
            relayer.transfer(fee);
        }
        emit Withdrawal(to, nullifierHash, relayer, fee);
    }
}

/// THORChain-router-shaped: forwards ether to a vault and emits the router's `Deposit` event
/// with the swap memo.
contract Router {
    event Deposit(address indexed to, address indexed asset, uint256 amount, string memo);

    function deposit(address payable vault, string calldata memo) external payable {
        vault.transfer(msg.value);
        emit Deposit(vault, address(0), msg.value, memo);
    }
}

/// An ERC-20 with its metadata: a `string` symbol and `uint8` decimals.
contract MetaToken {
    string public symbol;
    uint8 public decimals;
    mapping(address => uint256) public balanceOf;
    event Transfer(address indexed from, address indexed to, uint256 value);

    constructor(string memory s, uint8 d, uint256 supply) {
        symbol = s;
        decimals = d;
        balanceOf[msg.sender] = supply;
        emit Transfer(address(0), msg.sender, supply);
    }
}

/// MKR's metadata shape: a `bytes32` symbol and `uint256` decimals.
contract Bytes32Token {
    bytes32 public symbol = "MKR";
    uint256 public decimals = 18;
    event Transfer(address indexed from, address indexed to, uint256 value);

    constructor(uint256 supply) {
        emit Transfer(address(0), msg.sender, supply);
    }
}

/// Answers every call, `symbol()` and `decimals()` included, with three bytes of garbage.
contract GarbageToken {
    event Transfer(address indexed from, address indexed to, uint256 value);

    constructor(uint256 supply) {
        emit Transfer(address(0), msg.sender, supply);
    }

    fallback(bytes calldata) external returns (bytes memory) {
        return hex"deadbe";
    }
}
