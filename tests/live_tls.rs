//! The live client over TLS on loopback: a `wss://` stream and an `https://` snapshot
//! (answered `chunked`) from servers holding a self-signed certificate for 127.0.0.1,
//! generated here. Handed that root, the client syncs and its book equals the file
//! replay's; without it, every connection fails on the certificate, counted as a TLS
//! failure, and the client gives up after its limit, never panicking.

mod common;

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use legcore::book::{Ladder, Level, Side};
use legcore::feed::binance::split_line;
use legcore::feed::{Format, Tape};
use legcore::num::Step;
use legcore::runtime::live::client::{run_client, LineSink, LiveConfig};
use legcore::runtime::live::Health;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio_rustls::TlsAcceptor;
use tokio_tungstenite::tungstenite::Message;

const LINES: usize = 3_000;
/// A server with no connection for this long stops (the test is over by then).
const IDLE: Duration = Duration::from_secs(3);

/// A certificate for 127.0.0.1 and the server's TLS acceptor holding it.
fn self_signed() -> (Vec<u8>, TlsAcceptor) {
    let ck = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    let der = ck.cert.der().to_vec();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(ck.key_pair.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![CertificateDer::from(der.clone())], key)
        .unwrap();
    (der, TlsAcceptor::from(Arc::new(cfg)))
}

/// The capture's REST snapshot and its first `LINES` stream lines (JSON).
fn capture() -> (String, Vec<String>) {
    let tape = Tape::from_gz_file(common::loopback::USDM).unwrap();
    let text = |j: &[u8]| String::from_utf8(j.to_vec()).unwrap();
    let jsons = (0..tape.len()).filter_map(|i| split_line(tape.line(i)).map(|(_, j)| text(j)));
    let (snaps, stream): (Vec<String>, Vec<String>) =
        jsons.partition(|j| j.starts_with("{\"lastUpdateId\""));
    (snaps[0].clone(), stream.into_iter().take(LINES).collect())
}

/// `wss://` serving `frames` to each connection, `https://` answering `snap` chunked.
fn serve_tls(acceptor: TlsAcceptor, snap: String, frames: Vec<String>) -> (u16, u16) {
    let a2 = acceptor.clone();
    let https = common::loopback::serve(move |l| async move {
        while let Ok(Ok((tcp, _))) = tokio::time::timeout(IDLE, l.accept()).await {
            let Ok(mut s) = a2.accept(tcp).await else {
                continue;
            };
            let mut req = [0u8; 4096];
            let _ = s.read(&mut req).await;
            let half = snap.len() / 2;
            let body = format!(
                "{:x}\r\n{}\r\n{:x}\r\n{}\r\n0\r\n\r\n",
                half,
                &snap[..half],
                snap.len() - half,
                &snap[half..]
            );
            let head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
            let _ = s.write_all(format!("{head}{body}").as_bytes()).await;
            let _ = s.shutdown().await;
        }
    });
    let wss = common::loopback::serve(move |l| async move {
        while let Ok(Ok((tcp, _))) = tokio::time::timeout(IDLE, l.accept()).await {
            let Ok(tls) = acceptor.accept(tcp).await else {
                continue;
            };
            let Ok(mut w) = tokio_tungstenite::accept_async(tls).await else {
                continue;
            };
            for f in &frames {
                if w.send(Message::Text(f.clone())).await.is_err() {
                    break;
                }
            }
            let end = tokio::time::Instant::now() + Duration::from_millis(300);
            while let Ok(Some(Ok(_))) = tokio::time::timeout_at(end, w.next()).await {}
            return;
        }
    });
    (wss.port(), https.port())
}

fn config(wss: u16, https: u16, root: Option<Vec<u8>>) -> LiveConfig {
    let (tick, lot) = (Step::parse("0.10").unwrap(), Step::parse("0.001").unwrap());
    let url = format!("wss://127.0.0.1:{wss}/ws/btcusdt@depth@0ms");
    LiveConfig {
        snapshot_url: Some(format!(
            "https://127.0.0.1:{https}/fapi/v1/depth?limit=1000"
        )),
        max_frame: 1 << 20,
        backoff_min: Duration::from_millis(5),
        backoff_max: Duration::from_millis(20),
        max_failures: Some(2),
        extra_root: root,
        ..LiveConfig::new(&url, "BTCUSDT", Format::BinanceUsdm, tick, lot)
    }
}

fn levels(l: &Ladder) -> Vec<Level> {
    l.levels(Side::Bid).chain(l.levels(Side::Ask)).collect()
}

/// Stops after `LINES` stream lines, keeping the book then.
#[derive(Default)]
struct End {
    lines: usize,
    book: Vec<Level>,
}

impl LineSink for End {
    fn on_line(&mut self, line: &[u8], book: &Ladder, _: bool, _: &Health) -> bool {
        self.lines += usize::from(!line.windows(15).any(|w| w == b"{\"lastUpdateId\""));
        if self.lines == LINES {
            self.book = levels(book);
            return false;
        }
        true
    }
}

#[test]
fn wss_and_https_with_the_tests_root_sync_to_the_file_replays_book() {
    let (root, acceptor) = self_signed();
    let (snap, frames) = capture();
    let (wss, https) = serve_tls(acceptor, snap, frames);
    let mut book = Ladder::new(16_384, 4_096);
    let mut end = End::default();
    let health = run_client(&config(wss, https, Some(root)), &mut book, &mut end);
    assert_eq!(end.lines, LINES, "{health:?}");
    assert_eq!(end.book, common::loopback::usdm_book_after(LINES));
    assert_eq!(
        (health.snapshots, health.tls_failures),
        (1, 0),
        "{health:?}"
    );
}

#[test]
fn without_the_root_every_connection_fails_on_tls_and_is_counted() {
    let (_, acceptor) = self_signed();
    let (snap, frames) = capture();
    let (wss, https) = serve_tls(acceptor, snap, frames);
    let mut book = Ladder::new(16_384, 4_096);
    let mut end = End::default();
    let health = run_client(&config(wss, https, None), &mut book, &mut end);
    assert_eq!((health.connects, end.lines), (0, 0), "{health:?}");
    assert_eq!((health.failures, health.tls_failures), (2, 2), "{health:?}");
    let err = health.last_error.unwrap_or_default();
    assert!(err.contains("certificate"), "{err}");
}
