//! A slow reader: the server writes the capture's frames as fast as the socket takes them,
//! round and round, while the client's sink stalls 2 ms a line. The client buffers
//! nothing of its own beyond the frame being read (a stalled sink stops the reads, and TCP
//! stops the server), so the bytes the server got out exceed the bytes the sink took by at
//! most the kernel's socket buffers; then the stop flag ends the client promptly.

mod common;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::SinkExt as _;
use legcore::book::Ladder;
use legcore::feed::binance::split_line;
use legcore::feed::Tape;
use legcore::runtime::live::client::{run_client, LineSink};
use legcore::runtime::live::Health;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio_tungstenite::tungstenite::Message;

/// Most bytes in flight a client that buffers nothing of its own allows: the kernel's
/// largest TCP receive and send buffers (`tcp_rmem`, `tcp_wmem`) and one frame (1 MiB).
fn in_flight_bound() -> u64 {
    let max = |f: &str| -> u64 {
        let t = std::fs::read_to_string(f).unwrap();
        t.split_whitespace().last().unwrap().parse().unwrap()
    };
    max("/proc/sys/net/ipv4/tcp_rmem") + max("/proc/sys/net/ipv4/tcp_wmem") + (1 << 20)
}

/// Stalls `stall` per line for the first `slow` lines, counting the bytes it took.
struct Slow {
    slow: usize,
    stall: Duration,
    lines: usize,
    bytes: Arc<AtomicU64>,
}

impl LineSink for Slow {
    fn on_line(&mut self, line: &[u8], _: &Ladder, _: bool, _: &Health) -> bool {
        self.lines += 1;
        self.bytes.fetch_add(line.len() as u64, Ordering::Relaxed);
        if self.lines <= self.slow {
            std::thread::sleep(self.stall);
        }
        true
    }
}

#[test]
fn a_stalled_sink_holds_the_server_back_instead_of_buffering() {
    let tape = Tape::from_gz_file(common::loopback::USDM).unwrap();
    let text = |j: &[u8]| String::from_utf8(j.to_vec()).unwrap();
    let jsons: Vec<String> = (0..tape.len())
        .filter_map(|i| split_line(tape.line(i)).map(|(_, j)| text(j)))
        .collect();
    let snap = jsons
        .iter()
        .find(|j| j.starts_with("{\"lastUpdateId\""))
        .unwrap()
        .clone();
    let frames: Vec<String> = jsons
        .into_iter()
        .filter(|j| !j.starts_with("{\"lastU"))
        .collect();
    let sent = Arc::new(AtomicU64::new(0));
    let (sent2, done) = (sent.clone(), Arc::new(AtomicBool::new(false)));
    let done2 = done.clone();
    let ws = common::loopback::serve(move |l| async move {
        let (s, _) = l.accept().await.unwrap();
        let mut w = tokio_tungstenite::accept_async(s).await.unwrap();
        'out: loop {
            for f in &frames {
                if done2.load(Ordering::Relaxed) || w.send(Message::Text(f.clone())).await.is_err()
                {
                    break 'out;
                }
                sent2.fetch_add(f.len() as u64, Ordering::Relaxed);
            }
        }
    });
    let http = common::loopback::serve(move |l| async move {
        let idle = Duration::from_secs(5);
        while let Ok(Ok((mut s, _))) = tokio::time::timeout(idle, l.accept()).await {
            let mut req = [0u8; 4096];
            let _ = s.read(&mut req).await;
            let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", snap.len());
            let _ = s.write_all(format!("{head}{snap}").as_bytes()).await;
        }
    });
    let stop = Arc::new(AtomicBool::new(false));
    let mut cfg = common::loopback::binance_config(ws, http, 1);
    cfg.stop = Some(stop.clone());
    let taken = Arc::new(AtomicU64::new(0));
    let mut sink = Slow {
        slow: 600,
        stall: Duration::from_millis(2),
        lines: 0,
        bytes: taken.clone(),
    };
    let client = std::thread::spawn(move || {
        let mut book = Ladder::new(16_384, 4_096);
        let h = run_client(&cfg, &mut book, &mut sink);
        (h, sink.lines)
    });
    // While the sink stalls (600 lines × 2 ms), sample what is in flight; a client that
    // buffered would let the server write at loopback speed, GB/s.
    let bound = in_flight_bound();
    let mut worst = 0u64;
    let end = Instant::now() + Duration::from_millis(1_000);
    while Instant::now() < end {
        std::thread::sleep(Duration::from_millis(50));
        let in_flight = sent.load(Ordering::Relaxed)
            - taken
                .load(Ordering::Relaxed)
                .min(sent.load(Ordering::Relaxed));
        worst = worst.max(in_flight);
    }
    let stalled_sent = sent.load(Ordering::Relaxed);
    assert!(
        worst <= bound,
        "{worst} bytes in flight (bound {bound}) while the sink stalled"
    );
    // Unstalled, the client reads again and the server gets more out.
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        sent.load(Ordering::Relaxed) > stalled_sent,
        "the reads resumed"
    );
    let t = Instant::now();
    stop.store(true, Ordering::Relaxed);
    done.store(true, Ordering::Relaxed);
    let (health, lines) = client.join().unwrap();
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "stopped in {:?}",
        t.elapsed()
    );
    assert!(lines > 600, "{health:?}");
    assert_eq!(health.connects, 1, "{health:?}");
}
