// Compile Fixtures.sol with solc-js (npm `solc`, offline) into Fixtures.json: {Name: {abi, bytecode}}.
// Run: sh crates/evm/tests/contracts/compile.sh
const fs = require('fs');
const path = require('path');
const solc = require(process.argv[2]);
const source = fs.readFileSync(path.join(__dirname, 'Fixtures.sol'), 'utf8');
const input = {
  language: 'Solidity',
  sources: { 'Fixtures.sol': { content: source } },
  settings: {
    evmVersion: 'cancun',
    optimizer: { enabled: true, runs: 200 },
    outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
  },
};
const output = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (output.errors || []).filter((e) => e.severity === 'error');
if (errors.length) { console.error(errors.map((e) => e.formattedMessage).join('\n')); process.exit(1); }
const out = { compiler: 'solc-js ' + solc.version(), contracts: {} };
for (const [name, c] of Object.entries(output.contracts['Fixtures.sol'])) {
  out.contracts[name] = { abi: c.abi, bytecode: '0x' + c.evm.bytecode.object };
}
fs.writeFileSync(path.join(__dirname, 'Fixtures.json'), JSON.stringify(out, null, 1) + '\n');
console.log('compiled', Object.keys(out.contracts).join(', '));
