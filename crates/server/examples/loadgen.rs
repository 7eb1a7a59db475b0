//! A small closed-loop HTTP/1.1 load generator for the screening endpoints (a separate client
//! process; not part of `cargo test`).
//!
//! `cargo run --release -p chaintrail-server --example loadgen -- --url http://127.0.0.1:8080
//!  --key KEY --connections 32 --seconds 60 --pid <server pid> --addresses addresses.txt`
//!
//! Each connection keeps one request in flight over a keep-alive socket, cycling through the
//! addresses (`/api/v1/address/{address}` by default; `--path /api/risk/v2/entities/` for entity
//! risk). Prints requests/s, latency percentiles, non-200 answers and the server's RSS over time.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn rss_kib(pid: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Read one response; returns its status. Handles Content-Length bodies only (what the server
/// sends).
fn read_response(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> std::io::Result<u16> {
    buffer.clear();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).to_ascii_lowercase();
            let status: u16 = head
                .split_whitespace()
                .nth(1)
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            while buffer.len() < end + 4 + length {
                let n = stream.read(&mut chunk)?;
                if n == 0 {
                    return Err(std::io::ErrorKind::UnexpectedEof.into());
                }
                buffer.extend_from_slice(&chunk[..n]);
            }
            return Ok(status);
        }
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let url = arg(&args, "--url").unwrap_or_else(|| "http://127.0.0.1:8080".to_string());
    let host = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let key = arg(&args, "--key").unwrap_or_default();
    let path = arg(&args, "--path").unwrap_or_else(|| "/api/v1/address/".to_string());
    let connections: usize = arg(&args, "--connections")
        .and_then(|v| v.parse().ok())
        .unwrap_or(32);
    let seconds: u64 = arg(&args, "--seconds")
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let pid = arg(&args, "--pid");
    let addresses: Vec<String> = match arg(&args, "--addresses") {
        Some(file) => match std::fs::read_to_string(&file) {
            Ok(text) => text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(String::from)
                .collect(),
            Err(e) => {
                eprintln!("cannot read {file}: {e}");
                std::process::exit(2);
            }
        },
        None => vec!["0x098B716B8Aaf21512996dC57EB0615e2383E2f96".to_string()],
    };
    let requests: Arc<Vec<Vec<u8>>> = Arc::new(
        addresses
            .iter()
            .map(|a| {
                format!("GET {path}{a} HTTP/1.1\r\nHost: {host}\r\nX-API-Key: {key}\r\n\r\n")
                    .into_bytes()
            })
            .collect(),
    );
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let workers: Vec<_> = (0..connections)
        .map(|c| {
            let (requests, stop, host) = (requests.clone(), stop.clone(), host.clone());
            std::thread::spawn(move || {
                let mut latencies: Vec<u32> = Vec::with_capacity(1 << 20);
                let (mut errors, mut non_200) = (0u64, 0u64);
                let mut buffer = Vec::with_capacity(16 * 1024);
                let mut stream = None;
                let mut i = c;
                while !stop.load(Ordering::Relaxed) {
                    let socket = match stream.as_mut() {
                        Some(s) => s,
                        None => match TcpStream::connect(&host) {
                            Ok(s) => {
                                let _ = s.set_nodelay(true);
                                stream.insert(s)
                            }
                            Err(_) => {
                                errors += 1;
                                std::thread::sleep(Duration::from_millis(10));
                                continue;
                            }
                        },
                    };
                    let request = &requests[i % requests.len()];
                    i += 1;
                    let t = Instant::now();
                    let result = socket
                        .write_all(request)
                        .and_then(|_| read_response(socket, &mut buffer));
                    match result {
                        Ok(status) => {
                            latencies.push(t.elapsed().as_micros() as u32);
                            if status != 200 {
                                non_200 += 1;
                            }
                        }
                        Err(_) => {
                            errors += 1;
                            stream = None;
                        }
                    }
                }
                (latencies, errors, non_200)
            })
        })
        .collect();
    let mut rss = Vec::new();
    while started.elapsed() < Duration::from_secs(seconds) {
        std::thread::sleep(Duration::from_secs(1).min(Duration::from_secs(seconds)));
        if let Some(kib) = pid.as_deref().and_then(rss_kib) {
            rss.push(kib);
        }
    }
    stop.store(true, Ordering::Relaxed);
    let elapsed = started.elapsed().as_secs_f64();
    let (mut all, mut errors, mut non_200) = (Vec::new(), 0, 0);
    for worker in workers {
        if let Ok((latencies, e, n)) = worker.join() {
            all.extend(latencies);
            errors += e;
            non_200 += n;
        }
    }
    all.sort_unstable();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0)
    };
    println!(
        "requests {} in {elapsed:.1} s = {:.0}/s; latency µs p50 {} p90 {} p99 {} p99.9 {} max {}; errors {errors}; non-200 {non_200}",
        all.len(),
        all.len() as f64 / elapsed,
        pct(0.50),
        pct(0.90),
        pct(0.99),
        pct(0.999),
        all.last().copied().unwrap_or(0)
    );
    if !rss.is_empty() {
        let third = (rss.len() / 3).max(1);
        println!(
            "server RSS KiB: first {} min {} max {} last {} (samples {}; first-third avg {}, last-third avg {})",
            rss[0],
            rss.iter().min().copied().unwrap_or(0),
            rss.iter().max().copied().unwrap_or(0),
            rss[rss.len() - 1],
            rss.len(),
            rss[..third].iter().sum::<u64>() / third as u64,
            rss[rss.len() - third..].iter().sum::<u64>() / third as u64,
        );
    }
}
