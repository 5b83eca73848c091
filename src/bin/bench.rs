//! Load generator for a running `kubenudge serve`: sends signed `pull_request` deliveries to
//! its `/webhook` at a fixed rate (open loop: a slow answer never delays the next send, so
//! queueing shows in the latencies), bounded in count and time, and reports how fast they
//! were acknowledged. Loopback only: it refuses any other address.
//!
//! ```text
//! cargo run --release --bin bench -- --url http://127.0.0.1:3000/webhook \
//!     --secret "$GITHUB_WEBHOOK_SECRET" --rate 200 --count 2000 --sqlite-file kubenudge.db
//! ```

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use secrecy::SecretString;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const MAX_COUNT: u64 = 100_000;
const MAX_SECONDS: u64 = 600;

#[derive(Parser, Debug)]
#[command(
    name = "bench",
    about = "Send signed webhook deliveries to a local kubenudge at a fixed rate"
)]
struct Args {
    /// The server's webhook URL (loopback only).
    #[arg(long, default_value = "http://127.0.0.1:3000/webhook")]
    url: String,
    /// The webhook secret the server checks signatures with.
    #[arg(long, env = "GITHUB_WEBHOOK_SECRET", hide_env_values = true)]
    secret: String,
    /// Deliveries per second.
    #[arg(long, default_value_t = 200)]
    rate: u32,
    /// Deliveries to send (at most 100000).
    #[arg(long, default_value_t = 1_000)]
    count: u64,
    /// Stop sending after this many seconds (at most 600).
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// Distinct pull requests the deliveries cycle through (each delivery is a new head).
    #[arg(long, default_value_t = 50)]
    pulls: u64,
    /// `pull_request` action: `synchronize` queues a review, `closed` is acknowledged and ignored.
    #[arg(long, default_value = "synchronize")]
    action: String,
    /// A SQLite database file whose growth to report.
    #[arg(long)]
    sqlite_file: Option<PathBuf>,
}

struct Target {
    addr: SocketAddr,
    host: String,
    path: String,
}

fn parse_target(url: &str) -> Result<Target, String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("--url must be http://127.0.0.1:PORT/..., got {url:?}"))?;
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let addr: SocketAddr = host
        .replace("localhost", "127.0.0.1")
        .parse()
        .map_err(|_| format!("--url needs a numeric loopback address and port, got {host:?}"))?;
    if !addr.ip().is_loopback() {
        return Err(format!(
            "{addr} is not a loopback address: bench only loads a server on this machine"
        ));
    }
    Ok(Target {
        addr,
        host: host.to_string(),
        path: format!("/{path}"),
    })
}

fn payload(n: u64, pulls: u64, action: &str) -> Vec<u8> {
    let pr = n % pulls.max(1) + 1;
    let head = format!("{:040x}", 0xbe0c_0000_0000u64 + n);
    serde_json::to_vec(&serde_json::json!({
        "action": action,
        "number": pr,
        "pull_request": {
            "number": pr,
            "state": "open",
            "head": {"sha": head},
            "base": {"sha": "b".repeat(40)},
        },
        "repository": {"name": "load-test", "owner": {"login": "kubenudge-bench"}},
        "installation": {"id": 1},
    }))
    .expect("JSON")
}

/// One delivery over a fresh connection (as GitHub sends them); the status code.
async fn send(target: &Target, secret: &SecretString, n: u64, body: &[u8]) -> Result<u16, String> {
    let signature = kubenudge::server::signature::sign(secret, body);
    let mut stream = tokio::net::TcpStream::connect(target.addr)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         X-GitHub-Event: pull_request\r\nX-GitHub-Delivery: bench-{n:08}-{}\r\nX-Hub-Signature-256: {signature}\r\n\
         User-Agent: kubenudge-bench\r\nConnection: close\r\n\r\n",
        target.path,
        target.host,
        body.len(),
        std::process::id(),
    );
    stream
        .write_all(head.as_bytes())
        .await
        .map_err(|e| format!("write: {e}"))?;
    stream
        .write_all(body)
        .await
        .map_err(|e| format!("write: {e}"))?;
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    // The status line is all we need; stop reading once it is in.
    loop {
        let read = stream
            .read(&mut buf)
            .await
            .map_err(|e| format!("read: {e}"))?;
        if read == 0 {
            break;
        }
        answer.extend_from_slice(&buf[..read]);
        if answer.windows(2).any(|w| w == b"\r\n") {
            break;
        }
    }
    let line = String::from_utf8_lossy(&answer);
    line.split(' ')
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| format!("no HTTP status in {:?}", line.lines().next().unwrap_or("")))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn file_size(path: &Option<PathBuf>) -> Option<u64> {
    let path = path.as_ref()?;
    // SQLite in WAL mode keeps recent pages in `-wal` next to the file.
    let wal = PathBuf::from(format!("{}-wal", path.display()));
    let size = |p: &PathBuf| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    Some(size(path) + size(&wal))
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let target = match parse_target(&args.url) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    if args.rate == 0 || args.count == 0 {
        eprintln!("error: --rate and --count must be positive");
        std::process::exit(2);
    }
    let count = args.count.min(MAX_COUNT);
    let limit = Duration::from_secs(args.seconds.clamp(1, MAX_SECONDS));
    let secret = Arc::new(SecretString::from(args.secret.clone()));
    let target = Arc::new(target);
    let db_before = file_size(&args.sqlite_file);

    let mut ticks = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(args.rate)));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    let mut sent = 0;
    while sent < count && started.elapsed() < limit {
        ticks.tick().await;
        let body = payload(sent, args.pulls, &args.action);
        let (target, secret) = (Arc::clone(&target), Arc::clone(&secret));
        let n = sent;
        tasks.spawn(async move {
            let t = Instant::now();
            let result =
                tokio::time::timeout(Duration::from_secs(30), send(&target, &secret, n, &body))
                    .await
                    .unwrap_or_else(|_| Err("no answer within 30 s".to_string()));
            (t.elapsed(), result)
        });
        sent += 1;
    }
    let send_time = started.elapsed();
    let mut latencies = Vec::with_capacity(sent as usize);
    let mut statuses = std::collections::BTreeMap::<String, u64>::new();
    while let Some(joined) = tasks.join_next().await {
        let (latency, result) = joined.expect("a send task panicked");
        let key = match result {
            Ok(status) if (200..300).contains(&status) => {
                latencies.push(latency);
                continue;
            }
            Ok(status) => format!("HTTP {status}"),
            Err(e) => e,
        };
        *statuses.entry(key).or_default() += 1;
    }
    latencies.sort();
    let errors: u64 = statuses.values().sum();
    println!(
        "sent {sent} deliveries in {:.2} s ({:.0}/s requested {}/s) to {}",
        send_time.as_secs_f64(),
        sent as f64 / send_time.as_secs_f64().max(1e-9),
        args.rate,
        args.url
    );
    println!(
        "acknowledged (2xx) {}: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        latencies.len(),
        percentile(&latencies, 50.0).as_secs_f64() * 1e3,
        percentile(&latencies, 90.0).as_secs_f64() * 1e3,
        percentile(&latencies, 99.0).as_secs_f64() * 1e3,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );
    println!("errors {errors}");
    for (what, n) in &statuses {
        println!("  {n} × {what}");
    }
    if let (Some(before), Some(after)) = (db_before, file_size(&args.sqlite_file)) {
        println!(
            "store {}: {before} → {after} bytes (+{} bytes, {:.0} bytes per delivery)",
            args.sqlite_file
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            after.saturating_sub(before),
            after.saturating_sub(before) as f64 / sent.max(1) as f64
        );
    }
    if errors > 0 {
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_targets_are_accepted() {
        assert!(parse_target("http://127.0.0.1:3000/webhook").is_ok());
        assert!(parse_target("http://localhost:3000/webhook").is_ok());
        assert!(parse_target("http://[::1]:3000/webhook").is_ok());
        assert!(parse_target("http://10.0.0.5:3000/webhook").is_err());
        assert!(parse_target("https://127.0.0.1:3000/webhook").is_err());
        assert!(parse_target("http://example.com/webhook").is_err());
    }

    #[test]
    fn percentiles_take_the_nearest_rank() {
        let v: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&v, 50.0), Duration::from_millis(50));
        assert_eq!(percentile(&v, 99.0), Duration::from_millis(99));
        assert_eq!(percentile(&[], 99.0), Duration::ZERO);
    }

    #[test]
    fn each_delivery_is_a_new_head_of_a_parseable_pull_request() {
        let a = payload(1, 50, "synchronize");
        let b = payload(51, 50, "synchronize");
        assert_ne!(a, b);
        assert!(
            matches!(
                kubenudge::server::parse_event("pull_request", &a),
                Ok(kubenudge::server::Parsed::Job(_))
            ),
            "the server must understand the payload"
        );
    }
}
