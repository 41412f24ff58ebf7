//! Loopback servers for the live-feed tests: [`serve`] runs an async function on its own
//! thread (a current-thread tokio runtime) with a listener on 127.0.0.1 (a random port),
//! which goes when the function returns, so later connections are refused;
//! [`binance_replay`] is a Binance stream and snapshot endpoint replaying given frames.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio_tungstenite::tungstenite::Message;

/// Binds 127.0.0.1:0, runs `serve(listener)` on a new thread, returns the address.
pub fn serve<F, Fut>(serve: F) -> SocketAddr
where
    F: FnOnce(tokio::net::TcpListener) -> Fut + Send + 'static,
    Fut: Future<Output = ()>,
{
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            serve(listener).await;
        });
    });
    addr
}

/// A Binance replay on loopback: a WebSocket server whose connection k gets the frames
/// `conns[k]` at full speed (a pause of `pause` after every 100), reads what the client
/// sends for `hold`, then drops the socket without a close frame (an abnormal close);
/// later connections are refused. An HTTP server answers request k with `snaps[k]` (the
/// last one after). Returns the (WebSocket, HTTP) addresses.
pub fn binance_replay(
    conns: Vec<Vec<Vec<u8>>>,
    snaps: Vec<Vec<u8>>,
    hold: Duration,
    pause: Duration,
) -> (SocketAddr, SocketAddr) {
    let http = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let http_addr = http.local_addr().unwrap();
    http.set_nonblocking(true).unwrap();
    let ws_addr = serve(move |ws| async move {
        let http = tokio::net::TcpListener::from_std(http).unwrap();
        tokio::spawn(async move {
            let mut k = 0;
            while let Ok((mut s, _)) = http.accept().await {
                let snap = &snaps[k.min(snaps.len() - 1)];
                k += 1;
                let mut req = [0u8; 4096];
                let _ = s.read(&mut req).await;
                let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", snap.len());
                let _ = s.write_all(head.as_bytes()).await;
                let _ = s.write_all(snap).await;
            }
        });
        for frames in conns {
            let (s, _) = ws.accept().await.unwrap();
            let mut w = tokio_tungstenite::accept_async(s).await.unwrap();
            for (i, f) in frames.into_iter().enumerate() {
                if i % 100 == 99 && !pause.is_zero() {
                    tokio::time::sleep(pause).await;
                }
                let text = String::from_utf8(f).unwrap();
                if w.send(Message::Text(text)).await.is_err() {
                    break;
                }
            }
            let _ = w.flush().await;
            // Read (pings) while holding, so the drop is not a reset losing frames.
            let end = tokio::time::Instant::now() + hold;
            while let Ok(Some(Ok(_))) = tokio::time::timeout_at(end, w.next()).await {}
        }
    });
    (ws_addr, http_addr)
}

/// A client of [`binance_replay`]'s USD-M BTCUSDT stream: 1 MiB frames, reconnects after
/// 5 ms doubling to 20 ms, giving up after `max_failures` in a row, pings every 5 s.
pub fn binance_config(
    ws: SocketAddr,
    http: SocketAddr,
    max_failures: u32,
) -> legcore::runtime::live::client::LiveConfig {
    use legcore::num::Step;
    let (tick, lot) = (Step::parse("0.10").unwrap(), Step::parse("0.001").unwrap());
    let url = format!("ws://{ws}/ws/btcusdt@depth@0ms");
    let format = legcore::feed::Format::BinanceUsdm;
    legcore::runtime::live::client::LiveConfig {
        snapshot_url: Some(format!(
            "http://{http}/fapi/v1/depth?symbol=BTCUSDT&limit=1000"
        )),
        max_frame: 1 << 20,
        backoff_min: Duration::from_millis(5),
        backoff_max: Duration::from_millis(20),
        max_failures: Some(max_failures),
        ping_every: Duration::from_secs(5),
        ..legcore::runtime::live::client::LiveConfig::new(&url, "BTCUSDT", format, tick, lot)
    }
}

/// The recorded USD-M BTCUSDT capture [`binance_replay`]'s tests serve.
pub const USDM: &str = "data/market/binance/usdm_btcusdt_20240808.raw.gz";

/// [`USDM`]'s REST snapshot JSON and its first `stream_lines` stream lines' JSON, as a
/// venue sends them.
pub fn usdm_capture(stream_lines: usize) -> (Vec<u8>, Vec<Vec<u8>>) {
    use std::io::Read as _;
    let mut raw = Vec::new();
    let f = std::fs::File::open(USDM).unwrap();
    flate2::read::MultiGzDecoder::new(f)
        .read_to_end(&mut raw)
        .unwrap();
    let (mut snap, mut stream) = (Vec::new(), Vec::new());
    for line in raw.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let json = &line[line.iter().position(|&b| b == b' ').unwrap() + 1..];
        if json.starts_with(b"{\"lastUpdateId\"") {
            snap = json.to_vec();
        } else {
            stream.push(json.to_vec());
        }
    }
    stream.truncate(stream_lines);
    (snap, stream)
}

/// Every level of the file replay of [`USDM`] after its snapshot and `stream_lines`
/// stream lines (the book a live client fed the same lines must hold).
pub fn usdm_book_after(stream_lines: usize) -> Vec<legcore::book::Level> {
    use legcore::book::{Ladder, Side};
    use legcore::feed::{BookFeed, Format, Tape};
    use legcore::num::Step;
    let tape = Tape::from_gz_file(USDM).unwrap();
    let (tick, lot) = (Step::parse("0.10").unwrap(), Step::parse("0.001").unwrap());
    let mut feed = BookFeed::new(Format::BinanceUsdm, tick, lot);
    let mut book = Ladder::new(16_384, 4_096);
    let mut stream = 0;
    for i in 0..tape.len() {
        let line = tape.line(i);
        feed.on_line(&mut book, line);
        stream += usize::from(!line.windows(15).any(|w| w == b"{\"lastUpdateId\""));
        if stream == stream_lines {
            break;
        }
    }
    assert!(feed.is_live());
    book.levels(Side::Bid)
        .chain(book.levels(Side::Ask))
        .collect()
}
