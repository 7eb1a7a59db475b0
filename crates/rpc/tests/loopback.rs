//! The client against a real HTTP server on 127.0.0.1 (written here with std's TcpListener, so
//! that the test decides exactly what goes over the wire): retries with backoff, batch splitting,
//! answers out of order, warm-up errors, authentication, timeouts.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chaintrail_rpc::{Call, RpcAuth, RpcClient, RpcError, RpcOptions};
use serde_json::{Value, json};

/// One request as the server received it.
#[derive(Clone)]
struct Seen {
    authorization: Option<String>,
    body: Value,
}

/// What the server answers to request number `n` (from 0).
type Handler = dyn Fn(usize, &Seen) -> (u16, String) + Send + Sync;

struct Server {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    fn requests(&self) -> Vec<Seen> {
        self.seen.lock().expect("lock").clone()
    }
}

fn serve(handler: impl Fn(usize, &Seen) -> (u16, String) + Send + Sync + 'static) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let handler: Arc<Handler> = Arc::new(handler);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let (log, handler) = (log.clone(), handler.clone());
            std::thread::spawn(move || answer(stream, &log, handler.as_ref()));
        }
    });
    Server { url, seen }
}

fn answer(stream: TcpStream, log: &Mutex<Vec<Seen>>, handler: &Handler) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let (mut length, mut authorization) = (0usize, None);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            } else if name.eq_ignore_ascii_case("authorization") {
                authorization = Some(value.trim().to_string());
            }
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body)?;
    let seen = Seen {
        authorization,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    };
    let n = {
        let mut log = log.lock().expect("lock");
        log.push(seen.clone());
        log.len() - 1
    };
    let (status, payload) = handler(n, &seen);
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{payload}",
        payload.len()
    )?;
    stream.flush()
}

/// A node whose method `echo` returns its first parameter and `fail` is an error; requests are
/// answered in reverse order within a batch, as a node is free to.
fn node(n: usize, seen: &Seen) -> (u16, String) {
    let _ = n;
    let one = |call: &Value| match call["method"].as_str() {
        Some("echo") => json!({"jsonrpc": "2.0", "id": call["id"], "result": call["params"][0]}),
        _ => {
            json!({"jsonrpc": "2.0", "id": call["id"], "error": {"code": -32000, "message": "it failed"}})
        }
    };
    let reply = match &seen.body {
        Value::Array(calls) => Value::Array(calls.iter().rev().map(one).collect()),
        single => one(single),
    };
    (200, reply.to_string())
}

fn options(retries: u32, backoff_ms: u64) -> RpcOptions {
    RpcOptions {
        timeout: Duration::from_secs(5),
        retries,
        backoff: Duration::from_millis(backoff_ms),
    }
}

fn echo(i: u64) -> Call {
    Call::new("echo", json!([i])).labelled(format!("item {i}"))
}

#[test]
fn transient_failures_are_retried_with_doubling_backoff() {
    let server = serve(|n, seen| {
        if n < 3 {
            (503, "Work queue depth exceeded".to_string())
        } else {
            node(n, seen)
        }
    });
    let client = RpcClient::new(&server.url, RpcAuth::None, options(3, 100)).expect("client");
    let started = Instant::now();
    assert_eq!(client.call("echo", json!([7])).expect("retried"), json!(7));
    let waited = started.elapsed();
    assert_eq!(server.requests().len(), 4);
    // Waits of 100, 200 and 400 ms between the four attempts.
    assert!(waited >= Duration::from_millis(700), "{waited:?}");
    assert!(waited < Duration::from_secs(5), "{waited:?}");

    // One retry fewer than needed: the error says how often it tried and what the node said.
    let server = serve(|n, seen| {
        if n < 3 {
            (429, "slow down".to_string())
        } else {
            node(n, seen)
        }
    });
    let client = RpcClient::new(&server.url, RpcAuth::None, options(2, 10)).expect("client");
    let err = client.call("echo", json!([7])).expect_err("gives up");
    assert!(
        matches!(
            err,
            RpcError::Busy {
                status: 429,
                attempts: 3,
                ..
            }
        ),
        "{err}"
    );
    let text = err.to_string();
    assert!(
        text.contains(&server.url) && text.contains("echo 7") && text.contains("slow down"),
        "{text}"
    );
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn batches_are_split_and_answers_matched_by_id() {
    let server = serve(node);
    let client = RpcClient::new(&server.url, RpcAuth::None, options(0, 1))
        .expect("client")
        .with_max_batch(3);
    let mut calls: Vec<Call> = (0..10).map(echo).collect();
    calls[4] = Call::new("fail", json!([4])).labelled("item 4");
    let results = client.batch(&calls).expect("batch");
    assert_eq!(results.len(), 10);
    for (i, result) in results.iter().enumerate() {
        match result {
            Ok(value) => assert_eq!(value, &json!(i)),
            Err(err) => {
                assert_eq!(i, 4);
                assert!(matches!(err, RpcError::Node { code: -32000, .. }), "{err}");
                assert!(
                    err.to_string()
                        .starts_with("fail 4 (item 4): error -32000 from"),
                    "{err}"
                );
            }
        }
    }
    let sizes: Vec<usize> = server
        .requests()
        .iter()
        .map(|r| r.body.as_array().map_or(0, Vec::len))
        .collect();
    assert_eq!(sizes, vec![3, 3, 3, 1]);
    assert!(client.batch(&[]).expect("empty").is_empty());
    assert_eq!(server.requests().len(), 4, "an empty batch sends nothing");
}

#[test]
fn a_split_batch_retries_only_the_failed_request() {
    // The second request fails twice; the first and third go through once.
    let server = serve(|n, seen| {
        if n == 1 || n == 2 {
            (502, "bad gateway".to_string())
        } else {
            node(n, seen)
        }
    });
    let client = RpcClient::new(&server.url, RpcAuth::None, options(2, 5))
        .expect("client")
        .with_max_batch(2);
    let calls: Vec<Call> = (0..6).map(echo).collect();
    let values: Vec<Value> = client
        .batch(&calls)
        .expect("batch")
        .into_iter()
        .collect::<Result<_, _>>()
        .expect("all answered");
    assert_eq!(values, (0..6).map(|i| json!(i)).collect::<Vec<_>>());
    assert_eq!(server.requests().len(), 5, "3 requests + 2 retries");
}

#[test]
fn a_warming_up_node_is_waited_for() {
    let server = serve(|n, seen| {
        if n < 2 {
            let warming = |id: &Value| json!({"result": null, "error": {"code": -28, "message": "Loading block index..."}, "id": id});
            let reply = match &seen.body {
                Value::Array(calls) => {
                    Value::Array(calls.iter().map(|c| warming(&c["id"])).collect())
                }
                single => warming(&single["id"]),
            };
            (500, reply.to_string())
        } else {
            node(n, seen)
        }
    });
    let client = RpcClient::new(&server.url, RpcAuth::None, options(3, 5)).expect("client");
    let values = client.batch(&[echo(1), echo(2)]).expect("batch");
    assert_eq!(values[0].as_ref().expect("1"), &json!(1));
    assert_eq!(values[1].as_ref().expect("2"), &json!(2));
    assert_eq!(server.requests().len(), 3);

    // Still warming up after the retries: the node's own error comes through.
    let server = serve(|_, seen| {
        (
            500,
            json!({"result": null, "error": {"code": -28, "message": "Loading wallet..."}, "id": seen.body["id"]}).to_string(),
        )
    });
    let client = RpcClient::new(&server.url, RpcAuth::None, options(1, 5)).expect("client");
    let err = client
        .call("getblockcount", json!([]))
        .expect_err("warming");
    assert!(matches!(err, RpcError::Node { code: -28, .. }), "{err}");
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn credentials_go_in_the_authorization_header() {
    let server = serve(|n, seen| match seen.authorization.as_deref() {
        Some("Basic YWxpY2U6cmlnaHQ=") | Some("Bearer t0ken") => node(n, seen),
        _ => (401, String::new()),
    });
    let basic = RpcAuth::UserPass {
        user: "alice".to_string(),
        password: "right".to_string(),
    };
    let client = RpcClient::new(&server.url, basic, options(3, 1)).expect("client");
    assert_eq!(
        client.call("echo", json!(["x"])).expect("basic"),
        json!("x")
    );
    let client = RpcClient::new(&server.url, RpcAuth::Bearer("t0ken".into()), options(3, 1))
        .expect("client");
    assert_eq!(
        client.call("echo", json!(["y"])).expect("bearer"),
        json!("y")
    );
    let in_url = server.url.replace("http://", "http://alice:right@");
    let client = RpcClient::new(&in_url, RpcAuth::None, options(3, 1)).expect("client");
    assert_eq!(client.url(), server.url, "no credentials in the URL shown");
    assert_eq!(client.call("echo", json!(["z"])).expect("url"), json!("z"));

    let before = server.requests().len();
    let client = RpcClient::new(&server.url, RpcAuth::Bearer("wrong".into()), options(3, 1))
        .expect("client");
    let err = client.call("echo", json!([1])).expect_err("refused");
    assert!(matches!(err, RpcError::Auth { status: 401, .. }), "{err}");
    assert!(err.to_string().contains("echo 1"), "{err}");
    assert_eq!(server.requests().len(), before + 1, "no retries on 401");
}

#[test]
fn a_silent_node_times_out_and_a_closed_port_is_unreachable() {
    let server = serve(|n, seen| {
        std::thread::sleep(Duration::from_secs(3));
        node(n, seen)
    });
    let quick = RpcOptions {
        timeout: Duration::from_secs(1),
        retries: 1,
        backoff: Duration::from_millis(10),
    };
    let client = RpcClient::new(&server.url, RpcAuth::None, quick).expect("client");
    let err = client.call("echo", json!([5])).expect_err("timeout");
    assert!(
        matches!(
            err,
            RpcError::Timeout {
                seconds: 1,
                attempts: 2,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("echo 5"), "{err}");

    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let client =
        RpcClient::new(&format!("127.0.0.1:{port}"), RpcAuth::None, quick).expect("client");
    let err = client.batch(&[echo(1), echo(2)]).expect_err("closed");
    assert!(
        matches!(err, RpcError::Unreachable { attempts: 2, .. }),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("batch of 2 echo calls, from echo 1 (item 1)"),
        "{err}"
    );
}

#[test]
fn a_node_without_batches_and_a_node_that_skips_calls_are_named() {
    let server = serve(|_, _| {
        (
            200,
            json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32600, "message": "batch requests are not supported"}}).to_string(),
        )
    });
    let client = RpcClient::new(&server.url, RpcAuth::None, options(0, 1)).expect("client");
    let err = client.batch(&[echo(1), echo(2)]).expect_err("no batches");
    assert!(
        err.to_string()
            .ends_with("batch requests are not supported (the node rejected the whole batch)"),
        "{err}"
    );

    // The node answers only the first call of each batch.
    let server = serve(|n, seen| {
        let (_, reply) = node(n, seen);
        let mut reply: Value = serde_json::from_str(&reply).expect("json");
        if let Value::Array(items) = &mut reply {
            items.retain(|item| item["id"] == seen.body[0]["id"]);
        }
        (200, reply.to_string())
    });
    let client = RpcClient::new(&server.url, RpcAuth::None, options(0, 1)).expect("client");
    let results = client.batch(&[echo(1), echo(2)]).expect("batch");
    assert_eq!(results[0].as_ref().expect("first"), &json!(1));
    let err = results[1].as_ref().expect_err("skipped");
    assert!(matches!(err, RpcError::Malformed { .. }), "{err}");
    assert!(
        err.to_string().contains("echo 2 (item 2)") && err.to_string().contains("unanswered"),
        "{err}"
    );
}
