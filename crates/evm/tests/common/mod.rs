//! Test helpers: a loopback JSON-RPC server that answers from recorded responses.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/chain_fixtures/ethereum_etl")
}

/// How the server misbehaves.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Answer from the recorded files; unknown calls get "method not found".
    Recorded,
    /// Fail the first `n` requests with HTTP 503, then answer normally.
    Flaky(usize),
    /// Never answer (the client must time out).
    Silent,
    /// Answer with an HTML page.
    NotANode,
}

/// The recorded-response key of a call: ethereum-etl's file naming
/// (`<method>_<param>_<param>…`, objects as `key_value`), lower-cased.
pub fn key(method: &str, params: &Value) -> String {
    fn flat(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) => out.push(s.clone()),
            Value::Bool(b) => out.push(b.to_string()),
            Value::Number(n) => out.push(n.to_string()),
            Value::Object(map) => {
                for (k, v) in map {
                    out.push(k.clone());
                    flat(v, out);
                }
            }
            Value::Array(items) => items.iter().for_each(|i| flat(i, out)),
            Value::Null => out.push("None".to_string()),
        }
    }
    let mut parts = vec![method.to_string()];
    flat(params, &mut parts);
    parts.join("_").to_ascii_lowercase()
}

pub struct MockNode {
    pub url: String,
    pub requests: Arc<AtomicUsize>,
}

/// Serve the `web3_response.*.json` files of `dirs` (plus `eth_chainId` = 1 and
/// `eth_blockNumber` = `head`) on 127.0.0.1.
pub fn serve(dirs: &[PathBuf], head: u64, mode: Mode) -> MockNode {
    let mut answers: HashMap<String, Value> = HashMap::new();
    for dir in dirs {
        for entry in std::fs::read_dir(dir).expect("fixture dir") {
            let path = entry.expect("entry").path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_string();
            if let Some(rest) = name
                .strip_prefix("web3_response.")
                .and_then(|r| r.strip_suffix(".json"))
            {
                let text = std::fs::read_to_string(&path).expect("fixture");
                let value: Value = serde_json::from_str(&text).expect("fixture json");
                answers.insert(rest.to_ascii_lowercase(), value["result"].clone());
            }
        }
    }
    answers.insert("eth_chainid".to_string(), json!("0x1"));
    answers.insert("eth_blocknumber".to_string(), json!(format!("{head:#x}")));
    let answers = Arc::new(answers);
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = requests.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let n = counter.fetch_add(1, Ordering::SeqCst);
            let answers = answers.clone();
            std::thread::spawn(move || handle(stream, &answers, mode, n));
        }
    });
    MockNode { url, requests }
}

fn handle(
    stream: TcpStream,
    answers: &HashMap<String, Value>,
    mode: Mode,
    n: usize,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body)?;
    let mut stream = stream;
    let (status, content_type, payload) = match mode {
        Mode::Silent => {
            std::thread::sleep(Duration::from_secs(30));
            return Ok(());
        }
        Mode::NotANode => (
            "200 OK",
            "text/html",
            b"<html><body>Welcome to nginx!</body></html>".to_vec(),
        ),
        Mode::Flaky(failures) if n < failures => {
            ("503 Service Unavailable", "text/plain", b"busy".to_vec())
        }
        _ => {
            let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let answer = |call: &Value| {
                let method = call["method"].as_str().unwrap_or_default();
                let id = call["id"].clone();
                match answers.get(&key(method, &call["params"])) {
                    Some(result) => json!({"jsonrpc": "2.0", "id": id, "result": result}),
                    None => {
                        json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32601, "message": format!("the method {method} does not exist/is not available")}})
                    }
                }
            };
            let reply = match &request {
                Value::Array(calls) => Value::Array(calls.iter().map(answer).collect()),
                single => answer(single),
            };
            (
                "200 OK",
                "application/json",
                serde_json::to_vec(&reply).unwrap_or_default(),
            )
        }
    };
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        payload.len()
    )?;
    stream.write_all(&payload)?;
    stream.flush()
}
