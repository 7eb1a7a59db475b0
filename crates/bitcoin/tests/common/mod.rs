//! Shared helpers: paths into `../shared/data`, and a loopback HTTP server that answers
//! JSON-RPC calls with recorded Bitcoin Core responses.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use chaintrail_core::{Address, BitcoinAddress, TxHash};
use chaintrail_store::ChainReader;
use serde_json::{Value, json};

pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/chain_fixtures")
}

pub fn etl_dir() -> PathBuf {
    fixtures().join("bitcoin_etl/test_export_blocks_job/bitcoin")
}

pub const MAINNET_702861: &str = "000000000000000000000c835b2adcaedc20fdf6ee440009c249452c726dafae";
pub const TESTNET_924634: &str = "000000000000045e0b1660b6445b5e5c5ab63c9a4f956be7e1e69be04fa4497b";

pub fn raw_block(name: &str) -> Vec<u8> {
    let dir = fixtures().join("rust_bitcoin");
    let prefix = if name == MAINNET_702861 {
        "mainnet"
    } else {
        "testnet"
    };
    std::fs::read(dir.join(format!("{prefix}_block_{name}.raw"))).expect("fixture block")
}

pub fn read_lines(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .expect("fixture")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("fixture json"))
        .collect()
}

/// How the server behaves.
#[derive(Clone, Default)]
pub struct Behaviour {
    /// `user:password` the server requires (none: no auth).
    pub credentials: Option<String>,
    /// Answer this many requests with HTTP 503 first.
    pub fail_first: usize,
    /// Answer every request with this status and body instead.
    pub canned: Option<(u16, String)>,
    /// Accept connections but never answer.
    pub silent: bool,
}

/// The recorded responses: `method_arg1_arg2` -> result.
pub struct Recorded(pub HashMap<String, Value>);

impl Recorded {
    /// Every `rpc_response_*.json` under the bitcoin-etl Bitcoin fixtures.
    pub fn bitcoin_etl() -> Recorded {
        let mut map = HashMap::new();
        for dir in std::fs::read_dir(etl_dir()).expect("fixture dir") {
            let dir = dir.expect("entry").path();
            for file in std::fs::read_dir(&dir).expect("fixture dir") {
                let path = file.expect("entry").path();
                let name = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default();
                let Some(key) = name
                    .strip_prefix("rpc_response_")
                    .and_then(|n| n.strip_suffix(".json"))
                else {
                    continue;
                };
                let text = std::fs::read_to_string(&path).expect("fixture");
                let value: Value = serde_json::from_str(&text).expect("fixture json");
                map.insert(key.to_string(), value);
            }
        }
        Recorded(map)
    }

    /// Serve a raw block for `getblock <hash> 0` and its hash for `getblockhash <height>`.
    pub fn add_raw_block(&mut self, height: u64, hash: &str, bytes: &[u8]) {
        self.0
            .insert(format!("getblock_{hash}_0"), json!(hex::encode(bytes)));
        self.0.insert(format!("getblockhash_{height}"), json!(hash));
    }

    fn answer(&self, method: &str, params: &[Value]) -> Option<Value> {
        let mut key = method.to_string();
        let args: &[Value] = if method == "getrawtransaction" {
            &params[..params.len().min(1)]
        } else {
            params
        };
        for arg in args {
            key.push('_');
            match arg {
                Value::String(s) => key.push_str(s),
                other => key.push_str(&other.to_string()),
            }
        }
        self.0.get(&key).cloned()
    }
}

pub struct Server {
    pub url: String,
    pub requests: Arc<AtomicUsize>,
    pub calls: Arc<Mutex<Vec<String>>>,
}

/// Start a loopback JSON-RPC server on an ephemeral port, serving until the test ends.
pub fn serve(recorded: Recorded, behaviour: Behaviour) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let requests = Arc::new(AtomicUsize::new(0));
    let calls = Arc::new(Mutex::new(Vec::new()));
    let recorded = Arc::new(recorded);
    let (count, log) = (requests.clone(), calls.clone());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            if behaviour.silent {
                held.push(stream);
                continue;
            }
            let n = count.fetch_add(1, Ordering::SeqCst);
            let (recorded, behaviour, log) = (recorded.clone(), behaviour.clone(), log.clone());
            std::thread::spawn(move || handle(stream, &recorded, &behaviour, n, &log));
        }
    });
    Server {
        url,
        requests,
        calls,
    }
}

fn handle(
    stream: TcpStream,
    recorded: &Recorded,
    behaviour: &Behaviour,
    n: usize,
    log: &Mutex<Vec<String>>,
) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut length = 0usize;
    let mut authorization = None;
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            match name.to_ascii_lowercase().as_str() {
                "content-length" => length = value.trim().parse().unwrap_or(0),
                "authorization" => authorization = Some(value.trim().to_string()),
                _ => {}
            }
        }
    }
    let mut body = vec![0u8; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let (status, reply) = respond(&body, authorization, recorded, behaviour, n, log);
    let reason = match status {
        200 => "OK",
        401 => "Unauthorized",
        404 => "Not Found",
        500 => "Internal Server Error",
        _ => "Service Unavailable",
    };
    let mut stream = stream;
    let _ = write!(
        stream,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
        reply.len()
    );
}

fn respond(
    body: &[u8],
    authorization: Option<String>,
    recorded: &Recorded,
    behaviour: &Behaviour,
    n: usize,
    log: &Mutex<Vec<String>>,
) -> (u16, String) {
    if let Some(credentials) = &behaviour.credentials {
        use base64::Engine;
        let expected = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(credentials)
        );
        if authorization.as_deref() != Some(expected.as_str()) {
            return (401, String::new());
        }
    }
    if let Some((status, text)) = &behaviour.canned {
        return (*status, text.clone());
    }
    if n < behaviour.fail_first {
        return (503, "Work queue depth exceeded".to_string());
    }
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return (500, "bad request".to_string());
    };
    let one = |request: &Value| -> Value {
        let method = request["method"].as_str().unwrap_or_default().to_string();
        let params = request["params"].as_array().cloned().unwrap_or_default();
        log.lock()
            .expect("log")
            .push(format!("{method} {params:?}"));
        match recorded.answer(&method, &params) {
            Some(result) => json!({"result": result, "error": null, "id": request["id"]}),
            None => json!({
                "result": null,
                "error": {"code": -5, "message": format!("no recording for {method} {params:?}")},
                "id": request["id"],
            }),
        }
    };
    match &request {
        Value::Array(batch) => (
            200,
            Value::Array(batch.iter().map(one).collect()).to_string(),
        ),
        single => (200, one(single).to_string()),
    }
}

/// The address bitcoin-etl prints for an output: P2PK outputs under their P2PKH form.
pub fn etl_form(reader: &ChainReader, id: u32) -> String {
    let address = reader.address(id).expect("address");
    match &address {
        Address::Bitcoin {
            network,
            kind: kind @ BitcoinAddress::P2pk(_),
        } => Address::Bitcoin {
            network: *network,
            kind: kind.p2pkh_equivalent().expect("p2pk has a p2pkh form"),
        }
        .to_string(),
        other => other.to_string(),
    }
}

pub fn etl_type(reader: &ChainReader, id: u32) -> &'static str {
    match reader.address(id).expect("address").type_name() {
        "p2pk" => "pubkey",
        "p2pkh" => "pubkeyhash",
        "p2sh" => "scripthash",
        other => other,
    }
}

/// Compare every expected transaction with the store: block, coinbase, inputs, outputs, fee.
pub fn compare(reader: &ChainReader, expected: &[Value], fees_known: bool) -> usize {
    let mut compared = 0;
    for tx in expected {
        let hash: TxHash = tx["hash"].as_str().expect("hash").parse().expect("txid");
        let id = reader
            .tx_id(&hash)
            .unwrap_or_else(|| panic!("{hash} missing"));
        let block = reader.tx_block(id);
        assert_eq!(block.height, tx["block_number"].as_u64().expect("number"));
        assert_eq!(block.timestamp, tx["block_timestamp"].as_u64().expect("ts"));
        let outputs: Vec<u64> = reader.tx_outputs(id).collect();
        let expected_outputs = tx["outputs"].as_array().expect("outputs");
        assert_eq!(outputs.len(), expected_outputs.len(), "{hash} output count");
        for (row, want) in outputs.iter().zip(expected_outputs) {
            let output = reader.output(*row).expect("output");
            assert_eq!(
                output.value,
                want["value"].as_u64().expect("value"),
                "{hash}"
            );
            assert_eq!(
                etl_form(reader, output.address),
                want["addresses"][0].as_str().expect("address"),
                "{hash} output {}",
                output.vout
            );
            assert_eq!(etl_type(reader, output.address), want["type"], "{hash}");
        }
        let inputs: Vec<u64> = reader.tx_inputs(id).collect();
        let is_coinbase = tx["is_coinbase"].as_bool().expect("is_coinbase");
        if is_coinbase {
            assert_eq!(inputs.len(), 1);
            assert!(reader.input(inputs[0]).expect("input").coinbase);
            assert_eq!(reader.tx_fee(id), None);
        } else {
            let expected_inputs = tx["inputs"].as_array().expect("inputs");
            assert_eq!(inputs.len(), expected_inputs.len(), "{hash} input count");
            for (row, want) in inputs.iter().zip(expected_inputs) {
                let input = reader.input(*row).expect("input");
                let prevout = input.prevout.expect("prevout");
                assert_eq!(prevout.tx.to_string(), want["spent_transaction_hash"]);
                assert_eq!(u64::from(prevout.vout), want["spent_output_index"]);
                assert_eq!(input.value, want["value"].as_u64(), "{hash} input value");
                if let Some(address) = input.address {
                    assert_eq!(etl_form(reader, address), want["addresses"][0]);
                }
            }
            let fee = tx["fee"].as_i64().expect("fee");
            if fees_known {
                assert_eq!(reader.tx_fee(id).map(|f| f as i64), Some(fee), "{hash} fee");
            } else {
                assert_eq!(reader.tx_fee(id), None, "{hash}: input values unknown");
            }
        }
        compared += 1;
    }
    compared
}
