#!/usr/bin/env python3
"""Write the seed corpora of the fuzz targets (fuzz/corpus/<target>/) from the real data in
shared/data, cut to small files. Run from the repository root:
    python3 fuzz/make_seeds.py [SHARED_DATA_DIR [CRYO_PARQUET_DIR]]
CRYO_PARQUET_DIR holds the Parquet files of crates/evm/tests/cryo.rs's `write_world` (all six
datasets); without it the cryo seeds are left as they are (see fuzz/README.md)."""

import bz2
import hashlib
import json
import os
import re
import struct
import sys

DATA = sys.argv[1] if len(sys.argv) > 1 else os.path.join("..", "shared", "data")
OUT = os.path.join("fuzz", "corpus")
CHAIN = os.path.join(DATA, "chain_fixtures")
ETH = os.path.join(CHAIN, "ethereum_etl")
BTC = os.path.join(CHAIN, "bitcoin_etl", "test_export_blocks_job")


def read(*parts, mode="rb"):
    with open(os.path.join(*parts), mode) as f:
        return f.read()


def seed(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def head_lines(data, n):
    return b"".join(data.splitlines(keepends=True)[:n])


def result_of(*parts):
    return json.loads(read(*parts))["result"]


# ---------------------------------------------------------------- Bitcoin blocks

def sha256d(b):
    return hashlib.sha256(hashlib.sha256(b).digest()).digest()


def varint(n):
    if n < 0xFD:
        return bytes([n])
    return b"\xfd" + struct.pack("<H", n)


def header(version, prev, merkle, time, bits, nonce):
    return struct.pack("<i", version) + prev + merkle + struct.pack("<III", time, bits, nonce)


def block_from_verbose(v):
    """Rebuild a block's bytes from `getblock` verbosity 2 (header fields + each tx's hex)."""
    prev = bytes.fromhex(v.get("previousblockhash", "00" * 32))[::-1]
    h = header(v["version"], prev, bytes.fromhex(v["merkleroot"])[::-1], v["time"],
               int(v["bits"], 16), v["nonce"])
    txs = [bytes.fromhex(t["hex"]) for t in v["tx"]]
    return h + varint(len(txs)) + b"".join(txs)


def coinbase(height, tag):
    push = height.to_bytes((height.bit_length() + 8) // 8 or 1, "little")
    script = bytes([len(push)]) + push + bytes([4]) + struct.pack("<I", tag)
    out_script = bytes.fromhex("76a914") + bytes(range(20)) + bytes.fromhex("88ac")
    return (struct.pack("<i", 1) + b"\x01" + b"\x00" * 32 + b"\xff" * 4 + varint(len(script)) +
            script + b"\xff" * 4 + b"\x01" + struct.pack("<q", 50 * 10**8) +
            varint(len(out_script)) + out_script + b"\x00" * 4)


def mine(prev, height, time, tag=0):
    tx = coinbase(height, tag)
    merkle = sha256d(tx)
    target = 0x7FFFFF * 2 ** (8 * (0x20 - 3))
    nonce = 0
    while True:
        h = header(0x20000000, prev, merkle, time, 0x207FFFFF, nonce)
        if int.from_bytes(sha256d(h), "little") <= target:
            return h + b"\x01" + tx
        nonce += 1


def frame(magic, block):
    return magic + struct.pack("<I", len(block)) + block


MAINNET, TESTNET, REGTEST = (bytes.fromhex(m) for m in ("f9beb4d9", "0b110907", "fabfb5da"))


def bitcoin_blk():
    genesis_v = json.loads(read(BTC, "bitcoin", "block_0",
        "rpc_response_getblock_000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f_2.json"))
    genesis = block_from_verbose(genesis_v)
    assert sha256d(genesis[:80])[::-1].hex() == genesis_v["hash"]
    block1_v = json.loads(read(BTC, "bitcoin", "block_1",
        "rpc_response_getblock_00000000839a8e6886ab5951d76f411475428afc90947ee320161bbf18eb6048_2.json"))
    seed("bitcoin_blk", "mainnet_genesis_and_block_1",
         b"\x00" + frame(MAINNET, genesis) + frame(MAINNET, block_from_verbose(block1_v)))
    testnet = read(CHAIN, "rust_bitcoin",
        "testnet_block_000000000000045e0b1660b6445b5e5c5ab63c9a4f956be7e1e69be04fa4497b.raw")
    seed("bitcoin_blk", "testnet3_block_924634", b"\x01" + frame(TESTNET, testnet))
    # Regtest: genesis, two blocks, a stale sibling of the second, padding.
    regtest_genesis = header(1, b"\x00" * 32, genesis[36:68], 1296688602, 0x207FFFFF, 2) + genesis[80:]
    g = sha256d(regtest_genesis[:80])
    b1 = mine(g, 1, 1296688700)
    b2 = mine(sha256d(b1[:80]), 2, 1296688800)
    stale = mine(sha256d(b1[:80]), 2, 1296688801, tag=1)
    chain = (frame(REGTEST, regtest_genesis) + frame(REGTEST, b2) + frame(REGTEST, b1) +
             frame(REGTEST, stale) + b"\x00" * 16)
    seed("bitcoin_blk", "regtest_out_of_order_with_stale", b"\x02" + chain)
    key = bytes.fromhex("5a17c3e1092b44f0")
    xored = bytes(b ^ key[i % 8] for i, b in enumerate(chain[:-16])) + b"\x00" * 16
    seed("bitcoin_blk", "regtest_xor_obfuscated", b"\x06" + key + xored)
    return genesis_v, genesis


# ---------------------------------------------------------------- Bitcoin RPC answers

def bitcoin_rpc(genesis_v, genesis):
    def env(result, id=1):
        return {"result": result, "error": None, "id": id}
    seed("bitcoin_rpc", "getblockcount", b"\x00" + json.dumps(env(554644)).encode())
    hashes = [json.loads(read(BTC, "bitcoin", f"block_{h}", f"rpc_response_getblockhash_{h}.json"))
              for h in (0, 1)]
    seed("bitcoin_rpc", "getblockhash_batch",
         b"\x01" + json.dumps([env(hashes[1], 2), env(hashes[0], 1)]).encode())
    seed("bitcoin_rpc", "getblock_verbose_genesis", b"\x02" + json.dumps([env(genesis_v)]).encode())
    seed("bitcoin_rpc", "getblock_raw_genesis", b"\x03" + json.dumps([env(genesis.hex())]).encode())
    stream = os.path.join(BTC, "bitcoin", "stream_50001_50002")
    raw = json.loads(read(stream,
        "rpc_response_getrawtransaction_0d37522b89f991f8433b80f709ad31862a54435cd003f25732fe405e9db93216.json"))
    seed("bitcoin_rpc", "getrawtransaction", b"\x04" + json.dumps([env(raw)]).encode())
    seed("bitcoin_rpc", "warming_up_503",
         b"\x35" + b'{"result":null,"error":{"code":-28,"message":"Loading block index..."},"id":1}')
    seed("bitcoin_rpc", "batch_rejected_whole", b"\x01" +
         b'{"result":null,"error":{"code":-32700,"message":"Parse error"},"id":null}')


# ---------------------------------------------------------------- bitcoin-etl

def bitcoin_etl():
    for chain, case in [("bitcoin", "block_with_transactions"), ("bitcoin", "stream_50001_50002"),
                        ("dogecoin", "block_with_float_precision_loss"),
                        ("zcash", "block_with_shielded_addresses"),
                        ("bitcoin_cash", "block_with_duplicate_txid")]:
        txs = read(BTC, chain, case, "expected_transactions.json")
        seed("bitcoin_etl", f"{chain}_{case}", txs)
    blocks = read(BTC, "bitcoin", "stream_50001_50002", "expected_blocks.json")
    txs = read(BTC, "bitcoin", "stream_50001_50002", "expected_transactions.json")
    seed("bitcoin_etl", "stream_with_block_lines", blocks + txs)


# ---------------------------------------------------------------- ethereum-etl

TABLES = ["blocks", "transactions", "receipts", "logs", "token_transfers", "traces", "tokens"]


def evm_etl():
    csvs = {
        "blocks": [("test_export_blocks_job", "block_with_logs"),
                   ("test_export_blocks_job", "blocks_with_transactions_and_withdrawals")],
        "transactions": [("test_export_blocks_job", "block_with_logs")],
        "receipts": [("test_export_receipts_job", "receipts_with_logs")],
        "logs": [("test_export_receipts_job", "receipts_with_logs")],
        "token_transfers": [("test_export_token_transfers_job", "block_with_transfers")],
        "traces": [("test_export_traces_job", "block_with_create"),
                   ("test_export_traces_job", "block_with_suicide"),
                   ("test_extract_geth_traces_job", "block_with_error")],
        "tokens": [("test_export_tokens_job", "token_with_invalid_data")],
    }
    for table, places in csvs.items():
        for job, case in places:
            data = read(ETH, job, case, f"expected_{table}.csv")
            seed("evm_etl_csv", f"{table}_{case}", bytes([TABLES.index(table)]) + head_lines(data, 40))
    stream = os.path.join(ETH, "test_stream", "blocks_1755634_1755635")
    jsons = {
        "blocks": [os.path.join(ETH, "test_export_blocks_job", "blocks_with_transactions_and_withdrawals",
                                "expected_blocks.json")],
        "transactions": [os.path.join(stream, "expected_transactions.json")],
        "receipts": [os.path.join(ETH, "test_export_receipts_job", "receipts_with_logs", "expected_receipts.json")],
        "logs": [os.path.join(stream, "expected_logs.json")],
        "token_transfers": [os.path.join(stream, "expected_token_transfers.json")],
        "traces": [os.path.join(ETH, "test_stream", "blocks_2112234_2112234", "expected_traces.json")],
        "tokens": [os.path.join(ETH, "test_stream", "blocks_2112234_2112234", "expected_tokens.json")],
    }
    for table, paths in jsons.items():
        for path in paths:
            seed("evm_etl_json", f"{table}", bytes([TABLES.index(table)]) + head_lines(read(path), 20))


def evm_rpc_json():
    blocks = os.path.join(ETH, "test_export_blocks_job")
    seed("evm_rpc_json", "block_483920_full", b"\x00" + json.dumps(result_of(
        blocks, "block_with_logs", "web3_response.eth_getBlockByNumber_0x76250_true.json")).encode())
    seed("evm_rpc_json", "block_genesis", b"\x00" + json.dumps(result_of(
        blocks, "block_without_transactions", "web3_response.eth_getBlockByNumber_0x0_true.json")).encode())
    seed("evm_rpc_json", "block_2112234_hashes_only", b"\x00" + json.dumps(result_of(
        ETH, "test_stream", "blocks_2112234_2112234",
        "web3_response.eth_getBlockByNumber_0x203aea_false.json")).encode())
    receipt = result_of(ETH, "test_export_receipts_job", "receipts_with_logs",
        "web3_response.eth_getTransactionReceipt_0x04cbcb236043d8fb7839e07bbc7f5eed692fb2ca55d897f1101eac3e3ad4fab8.json")
    seed("evm_rpc_json", "receipt_with_log", b"\x01" + json.dumps(receipt).encode())
    seed("evm_rpc_json", "log", b"\x02" + json.dumps(receipt["logs"][0]).encode())
    traces = os.path.join(ETH, "test_export_traces_job")
    for case, block in [("block_with_create", "0xf44f2"), ("block_with_suicide", "0xf7105"),
                        ("block_with_error", "0xf45bf")]:
        seed("evm_rpc_json", f"parity_{case}", b"\x03" + json.dumps(result_of(
            traces, case, f"web3_response.trace_block_{block}.json")).encode())
    geth = os.path.join(ETH, "test_extract_geth_traces_job")
    for case, block in [("block_with_create", "0xf44f2"), ("block_with_subtraces", "0xf4240"),
                        ("block_with_error", "0xf45bf")]:
        seed("evm_rpc_json", f"geth_{case}", b"\x04" + json.dumps(result_of(
            geth, case, f"web3_response.debug_traceBlockByNumber_{block}_tracer_calltracer.json")).encode())


# ---------------------------------------------------------------- labels

def labels():
    packs = os.path.join(DATA, "graphsense_tagpacks", "packs")
    for name in ["lockbit_tattoos.yaml", "binance_hack.yaml", "electrum_phishing.yaml",
                 "tornado_cash.yaml"]:
        seed("labels_tagpack", name, head_lines(read(packs, name), 60))
    actors = read(DATA, "graphsense_tagpacks", "actors", "graphsense.actorpack.yaml")
    cut = actors.find(b"\n- id:", actors.find(b"\n- id:") + 1)
    for _ in range(4):
        cut = actors.find(b"\n- id:", cut + 1)
    seed("labels_tagpack", "actorpack_head", actors[:cut + 1])
    ofac = os.path.join(DATA, "ofac_sdn")
    for name in ["sdn_digital_currency_addresses_2025-11-19.csv", "ultrasoundmoney_eth_2024-08-20.csv"]:
        seed("labels_ofac", name, head_lines(read(ofac, name), 25))
    xml = bz2.decompress(read(ofac, "sdn_advanced_2025-11-19.xml.bz2")).decode("utf-8")
    head = xml[:xml.index("<ReferenceValueSets>")]
    refs = xml[xml.index("<ReferenceValueSets>"):xml.index("</ReferenceValueSets>") + len("</ReferenceValueSets>")]
    keep = ["FeatureTypeValues", "PartySubTypeValues", "PartyTypeValues", "NamePartTypeValues",
            "EntryEventTypeValues", "SanctionsProgramValues"]
    sets = "".join(m.group(0) for m in re.finditer(r"<(\w+Values)>.*?</\1>", refs, re.S) if m.group(1) in keep)
    parties = [m.group(0) for m in re.finditer(r"<DistinctParty .*?</DistinctParty>", xml, re.S)
               if "Digital Currency Address" in m.group(0) or 'FeatureTypeID="3' in m.group(0)]
    parties = [p for p in parties if len(p) < 12000][:3]
    ids = [re.search(r'FixedRef="(\d+)"', p).group(1) for p in parties]
    entries = [m.group(0) for m in re.finditer(r"<SanctionsEntry .*?</SanctionsEntry>", xml, re.S)
               if re.search(r'ProfileID="(\d+)"', m.group(0)).group(1) in ids]
    doc = (head + "<ReferenceValueSets>" + sets + "</ReferenceValueSets>\n<DistinctParties>\n" +
           "\n".join(parties) + "\n</DistinctParties>\n<SanctionsEntries>\n" + "\n".join(entries) +
           "\n</SanctionsEntries>\n</Sanctions>\n")
    seed("labels_ofac", "sdn_advanced_excerpt.xml", doc)
    seed("labels_ofac", "sdn_advanced_excerpt.xml.bz2", bz2.compress(doc.encode(), 1))
    explorer = json.loads(read(DATA, "evm_labels", "etherscan_labels", "etherscan_account_labels.json"))
    picked = dict(list(explorer.items())[:15] +
                  [(k, v) for k, v in explorer.items() if "tornado-cash" in v.get("labels", [])][:5])
    seed("labels_explorer", "etherscan_account_labels.json", json.dumps(picked, indent=2))
    forta = os.path.join(DATA, "evm_labels", "forta_labelled_datasets")
    for name in sorted(os.listdir(forta)):
        if name.endswith(".csv"):
            seed("labels_forta", name, head_lines(read(forta, name), 12))
    seed("labels_tornado", "tornado_cash_contracts.csv",
         head_lines(read(DATA, "tornado_cash", "tornado_cash_contracts.csv"), 30))
    for name in ["dprk_attributed_incidents.csv", "defihacklabs_incidents.csv"]:
        seed("labels_incidents", name, head_lines(read(DATA, "incidents", name), 12))


# ---------------------------------------------------------------- THORChain memos, flow-jsonl, HTTP

def memos():
    for i, memo in enumerate([
        "SWAP:BTC.BTC:bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh:1234567/1/0:t:30",
        "=:ETH.USDC-0XA0B86991C6218B36C1D19D4A2E9EB0CE3606EB48:0x742d35Cc6634C0532925a3b844Bc454e4438f44e",
        "s:b:bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh/bc1qrefund:0",
        "OUT:9B7A1D1C1C1A3F5A0E4DE2E5A8C9B0F3D8E2A1B4C5D6E7F8091A2B3C4D5E6F70",
        "REFUND:9b7a1d1c1c1a3f5a0e4de2e5a8c9b0f3d8e2a1b4c5d6e7f8091a2b3c4d5e6f70",
        "ADD:ETH.ETH:thor1abc", "WD:BTC/BTC:10000", "LOAN+:BTC.BTC:bc1qdest", "$-:ETH.ETH:0xabc",
        "=:e~ETH:0x742d35Cc6634C0532925a3b844Bc454e4438f44e:1e6", "MIGRATE:12345", "BOND:thor1xyz\0\0\0",
    ]):
        seed("thorchain_memo", f"memo_{i:02}", memo)


def flow_jsonl():
    seed("flow_jsonl", "ethereum",
         '{"chaintrail":"flow-jsonl","version":1,"chain":"ethereum"}\n'
         '{"hash":"0x' + "11" * 32 + '","block":{"height":17000000,"timestamp":1681000000},"transfers":['
         '{"from":"0x' + "aa" * 20 + '","to":"0x' + "bb" * 20 + '","asset":"native","amount":"1000000000000000000","kind":"native","success":true},'
         '{"from":"0x' + "aa" * 20 + '","to":"0x' + "cc" * 20 + '","asset":"native","amount":"42000000000000","kind":"fee","success":true},'
         '{"from":"0x' + "aa" * 20 + '","to":null,"asset":"native","amount":"630000000000000","kind":"burn","success":true}]}\n')
    seed("flow_jsonl", "bitcoin",
         '{"chaintrail":"flow-jsonl","version":1,"chain":"bitcoin"}\n'
         '{"hash":"' + "22" * 32 + '","block":{"height":1,"timestamp":1231469665},"inputs":[{"prevout":null,"value":null,"address":null}],'
         '"outputs":[{"value":"5000000000","address":"12c6DSiU4Rq3P4ZxziKxzrGPdJJB6oymgQ"},{"value":"0","address":null,"data":[104,105]}]}\n'
         '{"hash":"' + "33" * 32 + '","block":{"height":2,"timestamp":1231470000},"inputs":[{"prevout":{"tx":"' + "22" * 32 + '","vout":0},"value":"5000000000","address":"12c6DSiU4Rq3P4ZxziKxzrGPdJJB6oymgQ"}],'
         '"outputs":[{"value":"4999990000","address":"bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh"}]}\n')


def server_http():
    requests = {
        "sanctions": "GET /api/v1/address/0x8576acc5c05d6ce88f4e49bf65bdf0c62f91353c",
        "entity_risk": "GET /api/risk/v2/entities/0x8576acc5c05d6ce88f4e49bf65bdf0c62f91353c?date=2025-03-04\nToken: fuzz-key",
        "trm": "POST /public/v2/screening/addresses\ncontent-type: application/json\n\n"
               '[{"address":"0x8576acc5c05d6ce88f4e49bf65bdf0c62f91353c","chain":"ethereum","accountExternalId":"a"}]',
        "screen": "GET /v1/screen/bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh?chain=bitcoin&paths=true&date=2025-01-01",
        "address": "GET /v1/address/ethereum/0x8576acc5c05d6ce88f4e49bf65bdf0c62f91353c",
        "tx": "GET /v1/tx/ethereum/0x" + "11" * 32,
        "trace": "POST /v1/trace\ncontent-type: application/json\n\n"
                 '{"seeds":["ethereum:0x8576acc5c05d6ce88f4e49bf65bdf0c62f91353c"],"policy":"fifo","max_hops":3,"min_value":"0","budget":10000}',
        "labels": "GET /v1/labels/0x8576acc5c05d6ce88f4e49bf65bdf0c62f91353c?date=2024-01-01",
        "incidents": "GET /v1/incidents?year=2022&actor=lazarus&chain=ethereum&victim=ronin",
        "incident": "GET /v1/incidents/dprk-1",
        "rules": "GET /v1/rules\nAuthorization: Basic ZnV6ei1rZXk6",
        "health": "GET /v1/health\nX-API-Key: wrong",
        "metrics": "GET /v1/metrics\nAuthorization: Bearer fuzz-key",
        "openapi": "GET /openapi.json",
        "unknown": "DELETE /v1/nothing?x=%zz",
    }
    for name, text in requests.items():
        seed("server_http", name, text)


# ---------------------------------------------------------------- cryo

CRYO_DATASETS = ["blocks", "transactions", "logs", "traces", "native_transfers", "erc20_transfers",
                 "erc20_metadata"]
CRYO_SEPARATOR = b"\n--cryo-file--\n"


def evm_cryo(parquet_dir):
    files = {}
    for name in os.listdir(parquet_dir):
        dataset = name.split("__")[1]
        files[dataset] = bytes([CRYO_DATASETS.index(dataset)]) + read(parquet_dir, name)
    for dataset, data in files.items():
        seed("evm_cryo", dataset, data)
    for name, datasets in [("full", ["blocks", "transactions", "logs", "traces"]),
                           ("transfers_only", ["blocks", "native_transfers", "erc20_transfers"])]:
        seed("evm_cryo", name, CRYO_SEPARATOR.join(files[d] for d in datasets))


if __name__ == "__main__":
    genesis_v, genesis = bitcoin_blk()
    bitcoin_rpc(genesis_v, genesis)
    bitcoin_etl()
    evm_etl()
    evm_rpc_json()
    labels()
    memos()
    flow_jsonl()
    server_http()
    if len(sys.argv) > 2:
        evm_cryo(sys.argv[2])
