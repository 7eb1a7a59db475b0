//! Bitcoin Core JSON-RPC answers through the real client: HTTP status and body, the JSON-RPC
//! envelope, batch answers matched by id, block hashes, `getblock` verbosity 0 and 2 (header
//! fields and each transaction's `hex`), `getrawtransaction`.
//!
//! A one-thread HTTP server on 127.0.0.1 answers every request with the input's status and
//! body; a fresh client per input makes the request ids start at 1. Input: a selector byte
//! (bits 0-2: the call; bits 4-5: HTTP 200, 200, 500 or 503), then the body.
#![no_main]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use bitcoin::Txid;
use bitcoin::hashes::Hash;
use chaintrail_bitcoin::BlockFormat;
use chaintrail_bitcoin::genesis_hashes;
use chaintrail_bitcoin::{BitcoinRpc, RpcAuth, RpcClient, RpcOptions};
use chaintrail_core::BitcoinNetwork;
use libfuzzer_sys::fuzz_target;
use serde_json::json;

struct Node {
    url: String,
    answer: Mutex<(u16, Vec<u8>)>,
}

fn node() -> &'static Node {
    static NODE: OnceLock<&'static Node> = OnceLock::new();
    NODE.get_or_init(|| {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the fake node");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let node: &'static Node = Box::leak(Box::new(Node {
            url,
            answer: Mutex::new((200, Vec::new())),
        }));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                // A request the client gave up on is not the parser's business.
                let _ = answer(node, stream);
            }
        });
        node
    })
}

fn answer(node: &Node, stream: TcpStream) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream);
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    reader.read_exact(&mut vec![0; length])?;
    let (status, body) = node.answer.lock().map(|a| a.clone()).unwrap_or_default();
    let mut stream = reader.into_inner();
    write!(
        stream,
        "HTTP/1.1 {status} Answer\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n",
        body.len()
    )?;
    stream.write_all(&body)?;
    stream.flush()
}

fuzz_target!(init: { node(); }, |data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let node = node();
    let status = [200, 200, 500, 503][usize::from(selector >> 4) & 3];
    if let Ok(mut answer) = node.answer.lock() {
        *answer = (status, body.to_vec());
    }
    let options = RpcOptions {
        timeout: Duration::from_secs(5),
        retries: 0,
        backoff: Duration::ZERO,
    };
    let client = RpcClient::new(&node.url, RpcAuth::None, options).expect("client");
    let genesis = genesis_hashes(BitcoinNetwork::Mainnet)[0];
    match selector & 7 {
        0 => drop(client.get_block_count()),
        1 => drop(client.get_block_hashes(0..2)),
        2 => drop(client.get_blocks(&[(0, genesis)], BlockFormat::Verbose)),
        3 => drop(client.get_blocks(&[(0, genesis)], BlockFormat::Raw)),
        4 => drop(client.get_transactions(&[Txid::all_zeros()])),
        _ => drop(client.call("getblockchaininfo", json!([]))),
    }
});
