//! Journal shipping to NATS JetStream (issue 17): `runtime::ship::ship` publishing a
//! journal of 5 000 real-shaped lines (the default run's report line, its `seq` renumbered)
//! to a `nats-server -js` started here on loopback (Debian's; `.ci/run` installs it),
//! with acknowledgements awaited in order, 256 in flight. One sample ships the whole file
//! to a fresh instance name (so nothing is a duplicate); records per second is 5 000 over
//! the sample's time.
//!
//! Ship lag (`ship/lag_*`): a writer appends lines to a journal a shipper follows, at
//! 1 000 and 10 000 lines a second (1 or 10 lines each millisecond, each batch one
//! `write`), and the time from a line's write returning to its acknowledgement being
//! taken (`ship_observed`'s callback) is recorded per line; printed as `PCTL` lines.
//!
//! Reading back (`ship/read_stream_5000_lines`): `runtime::ship::read_stream` (an ordered
//! pull consumer) of a stream holding one shipped journal of 5 000 lines, on a broker of
//! its own.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use legcore::runtime::ship::{read_stream, ship, ship_observed, ShipConfig};

mod common;

const LINES: u64 = 5_000;

struct Nats(Child, u16);

impl Drop for Nats {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn nats(store: &std::path::Path) -> Nats {
    let bin = ["/usr/sbin/nats-server", "/usr/bin/nats-server"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .expect("nats-server is not installed: apt-get install nats-server (.ci/run does)");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new(bin)
        .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
        .arg(store)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("nats-server starts");
    let end = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < end, "nats-server did not listen");
        std::thread::sleep(Duration::from_millis(50));
    }
    Nats(child, port)
}

/// A journal directory of [`LINES`] report lines.
fn journal(dir: &std::path::Path) {
    std::fs::create_dir_all(dir).expect("dir");
    let mut text = String::new();
    for seq in 1..=LINES {
        text += &format!(
            "{{\"seq\":{seq},\"kind\":\"report\",\"job\":0,\"client_id\":0,\"taken\":true,\
             \"t_ns\":1466299916,\"event\":\"filled\",\"trade_id\":{seq},\"fill_lots\":80000,\
             \"fill_price_ticks\":6183187,\"liquidity\":\"taker\",\
             \"fee_tl_e8\":\"37099122000000000\",\"at_ns\":1464289571,\"crc\":\"b1ae3aa1\"}}\n"
        );
    }
    std::fs::write(dir.join("journal.jsonl"), text).expect("journal");
}

fn bench(c: &mut Criterion) {
    let root = std::env::temp_dir().join(format!("legcore-bench-ship-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let n = nats(&root.join("store"));
    let dir: PathBuf = root.join("j");
    journal(&dir);
    let stop = AtomicBool::new(false);
    let mut k = 0u64;
    let mut g = c.benchmark_group("ship");
    g.throughput(Throughput::Elements(LINES));
    g.sample_size(10);
    g.bench_function("journal_5000_lines", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                k += 1;
                let _ = std::fs::remove_file(dir.join("shipped.seq"));
                let cfg = ShipConfig {
                    url: format!("nats://127.0.0.1:{}", n.1),
                    instance: format!("bench{k}"),
                };
                let t = Instant::now();
                let s = ship(&dir, &cfg, false, &stop).expect("ship");
                total += t.elapsed();
                assert_eq!(s.shipped, LINES);
            }
            total
        })
    });
    g.finish();
    for per_ms in [1u64, 10] {
        lag(&root.join(format!("lag{per_ms}")), n.1, per_ms);
    }
    drop(n);
    read_back(c, &root, &dir, &stop);
    let _ = std::fs::remove_dir_all(&root);
}

/// `read_stream` of a stream holding `dir`'s 5 000 lines once.
fn read_back(c: &mut Criterion, root: &std::path::Path, dir: &std::path::Path, stop: &AtomicBool) {
    let n = nats(&root.join("store-read"));
    let url = format!("nats://127.0.0.1:{}", n.1);
    let _ = std::fs::remove_file(dir.join("shipped.seq"));
    let cfg = ShipConfig {
        url: url.clone(),
        instance: "read".to_string(),
    };
    ship(dir, &cfg, false, stop).expect("ship");
    let mut g = c.benchmark_group("ship");
    g.throughput(Throughput::Elements(LINES));
    g.sample_size(10);
    g.bench_function("read_stream_5000_lines", |b| {
        b.iter(|| {
            let lines = read_stream(&url).expect("read");
            assert_eq!(lines.len() as u64, LINES);
            lines
        })
    });
    g.finish();
}

/// One line of the lag journal.
fn line(seq: u64) -> String {
    format!(
        "{{\"seq\":{seq},\"kind\":\"report\",\"job\":0,\"t_ns\":1466299916,\
         \"event\":\"filled\",\"trade_id\":{seq},\"crc\":\"b1ae3aa1\"}}\n"
    )
}

/// Writes [`LINES`] lines, `per_ms` each millisecond, to `dir`'s journal while a
/// shipper follows it; prints the write-to-ack lag's percentiles.
fn lag(dir: &std::path::Path, port: u16, per_ms: u64) {
    use std::io::Write;
    std::fs::create_dir_all(dir).expect("dir");
    let mut file = std::fs::File::create(dir.join("journal.jsonl")).expect("journal");
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let shipper = std::thread::spawn({
        let (dir, stop) = (dir.to_path_buf(), stop.clone());
        move || {
            let cfg = ShipConfig {
                url: format!("nats://127.0.0.1:{port}"),
                instance: format!("lag{per_ms}"),
            };
            let mut acked = vec![None; LINES as usize + 1];
            let mut on_ack = |seq: u64| acked[seq as usize] = Some(Instant::now());
            ship_observed(&dir, &cfg, true, &stop, &mut on_ack).expect("ship");
            acked
        }
    });
    // Let the shipper connect first: the lag measured is of following, not of connecting.
    std::thread::sleep(Duration::from_millis(500));
    let mut written = vec![Instant::now(); LINES as usize + 1];
    let start = Instant::now();
    for batch in 0..LINES / per_ms {
        let due = start + Duration::from_millis(batch);
        std::thread::sleep(due.saturating_duration_since(Instant::now()));
        let seqs = batch * per_ms + 1..=(batch + 1) * per_ms;
        let text: String = seqs.clone().map(line).collect();
        file.write_all(text.as_bytes()).expect("write");
        let now = Instant::now();
        seqs.for_each(|s| written[s as usize] = now);
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let acked = shipper.join().expect("shipper");
    let mut h =
        hdrhistogram::Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3).expect("histogram");
    for seq in 1..=LINES as usize {
        let at = acked[seq].expect("every line acknowledged");
        h.saturating_record(at.saturating_duration_since(written[seq]).as_nanos() as u64);
    }
    common::print_us(&format!("ship/lag_{}_lines_per_s", per_ms * 1000), &h);
}

criterion_group!(benches, bench);
criterion_main!(benches);
