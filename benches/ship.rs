//! Journal shipping to NATS JetStream (issue 17): `runtime::ship::ship` publishing a
//! journal of 5 000 real-shaped lines (the default run's report line, its `seq` renumbered)
//! to a `nats-server -js` started here on loopback (Debian's; `.ci/run` installs it),
//! with acknowledgements awaited in order, 256 in flight. One sample ships the whole file
//! to a fresh instance name (so nothing is a duplicate); records per second is 5 000 over
//! the sample's time.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use legcore::runtime::ship::{ship, ShipConfig};

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
    drop(n);
    let _ = std::fs::remove_dir_all(&root);
}

criterion_group!(benches, bench);
criterion_main!(benches);
