//! A real webhook receiver on 127.0.0.1 for the tests: one HTTP/1.1 request per connection,
//! the signature checked with its own HMAC-SHA256 (not the crate's), every request recorded.
//! Shared by this crate's tests and the CLI's follow tests (included by path), which use
//! different behaviours.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// What the receiver answers.
#[derive(Clone, Copy)]
pub enum Behaviour {
    /// 200 to everything.
    Accept,
    /// 500 to the first `n` requests, then 200.
    FailFirst(usize),
    /// 500 to everything.
    AlwaysFail,
    /// 200 to the first `n` requests; after that reads each request and never answers.
    HangAfter(usize),
}

/// One request as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub body: serde_json::Value,
    pub signature_valid: bool,
    /// Whether it was answered 2xx.
    pub acknowledged: bool,
}

pub struct Receiver {
    pub url: String,
    pub received: Arc<Mutex<Vec<Received>>>,
    behaviour: Arc<Mutex<Behaviour>>,
    _thread: JoinHandle<()>,
}

impl Receiver {
    pub fn start(secret: &str, behaviour: Behaviour) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a local port");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&received);
        let secret = secret.as_bytes().to_vec();
        let behaviour = Arc::new(Mutex::new(behaviour));
        let current = Arc::clone(&behaviour);
        let thread = std::thread::spawn(move || {
            let mut held = Vec::new();
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let count = log.lock().expect("log").len();
                let behaviour = *current.lock().expect("behaviour");
                let acknowledge = match behaviour {
                    Behaviour::Accept => Some(true),
                    Behaviour::FailFirst(n) => Some(count >= n),
                    Behaviour::AlwaysFail => Some(false),
                    Behaviour::HangAfter(n) => (count < n).then_some(true),
                };
                if let Some(request) = handle(stream, &secret, acknowledge, &mut held) {
                    log.lock().expect("log").push(request);
                }
            }
        });
        Receiver {
            url,
            received,
            behaviour,
            _thread: thread,
        }
    }

    /// Answer from now on as `behaviour` says.
    pub fn set(&self, behaviour: Behaviour) {
        *self.behaviour.lock().expect("behaviour") = behaviour;
    }

    pub fn requests(&self) -> Vec<Received> {
        self.received.lock().expect("log").clone()
    }

    /// The ids of the alerts acknowledged, in order.
    pub fn acknowledged_ids(&self) -> Vec<String> {
        self.requests()
            .into_iter()
            .filter(|r| r.acknowledged)
            .map(|r| r.body["id"].as_str().unwrap_or_default().to_string())
            .collect()
    }
}

/// Read one request; answer 200 (`Some(true)`), 500 (`Some(false)`) or never (`None`, the
/// connection is kept open in `held`).
fn handle(
    stream: TcpStream,
    secret: &[u8],
    acknowledge: Option<bool>,
    held: &mut Vec<TcpStream>,
) -> Option<Received> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut length = 0usize;
    let mut signature = String::new();
    let mut request_line = String::new();
    reader.read_line(&mut request_line).ok()?;
    assert!(request_line.starts_with("POST /hook "), "{request_line}");
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => length = value.trim().parse().ok()?,
            "x-chaintrail-signature" => signature = value.trim().to_string(),
            _ => {}
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("any key length");
    mac.update(&body);
    let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    let received = Received {
        body: serde_json::from_slice(&body).expect("the body is JSON"),
        signature_valid: signature == expected,
        acknowledged: acknowledge == Some(true),
    };
    let mut stream = stream;
    match acknowledge {
        Some(ok) => {
            let status = if ok {
                "200 OK"
            } else {
                "500 Internal Server Error"
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            let _ = stream.flush();
        }
        None => held.push(stream),
    }
    Some(received)
}
