//! `legcore venue serve` on a live book: the shipped paper scenario's venue
//! (`source = "live"`) pointed at a loopback server replaying the USD-M capture's stream
//! and REST snapshot byte for byte, as Binance sends them. The venue's book, read back
//! with `GET /fapi/v1/depth`, must become the file replay's book level for level, and an
//! order sent through the WebSocket API gateway fills at that book's best ask.

mod common;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use legcore::book::{Level, OrderSide};
use legcore::index::{BookId, LegIdx};
use legcore::num::Step;
use legcore::venue::TimeInForce;
use legcore::venue::{Delivery, Gateway, NewOrder, OrderPrice, OrderRef, ReportKind, Request};

const LINES: usize = 5_000;

fn steps() -> (Step, Step) {
    (Step::parse("0.1").unwrap(), Step::parse("0.001").unwrap())
}

/// `GET /fapi/v1/depth?limit=5` of the venue on `port`: bids and asks as `[price, qty]`.
fn depth(port: u16) -> Option<serde_json::Value> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    let req = "GET /fapi/v1/depth?symbol=BTCUSDT&limit=5 HTTP/1.1\r\nHost: x\r\n\r\n";
    s.write_all(req.as_bytes()).ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    serde_json::from_str(text.split_once("\r\n\r\n")?.1).ok()
}

/// The file replay's top five a side, as the venue writes them.
fn expected_top() -> serde_json::Value {
    let (tick, lot) = steps();
    // The replay lists the bids best (highest) first, then the asks best (lowest)
    // first: the asks start where the price first rises.
    let all = common::loopback::usdm_book_after(LINES);
    let split = (1..all.len())
        .find(|&i| all[i].price_ticks > all[i - 1].price_ticks)
        .unwrap();
    let (bids, asks) = all.split_at(split);
    let side = |levels: &[Level]| -> Vec<[String; 2]> {
        levels
            .iter()
            .take(5)
            .map(|l| {
                [
                    tick.to_decimal(l.price_ticks).to_string(),
                    lot.to_decimal(l.qty_lots).to_string(),
                ]
            })
            .collect()
    };
    serde_json::json!({ "bids": side(bids), "asks": side(asks) })
}

#[test]
fn venue_serve_follows_a_live_book_and_fills_on_it() {
    let (snap, stream) = common::loopback::usdm_capture(LINES);
    let (ws, http) = common::loopback::binance_replay(
        vec![stream],
        vec![snap],
        Duration::from_secs(60),
        Duration::ZERO,
    );
    let text = common::scenario_text("paper_binance.toml")
        .replace(
            "wss://fstream.binance.com/ws/btcusdt@depth@100ms",
            &format!("ws://{ws}/ws/btcusdt@depth@0ms"),
        )
        .replace("https://fapi.binance.com", &format!("http://{http}"));
    let dir = common::tmp("venue-serve-live");
    let path = dir.join("paper.toml");
    std::fs::write(&path, text).unwrap();
    let path = path.to_str().unwrap();
    let args = [
        "--scenario",
        path,
        "--venue",
        "binance-usdm",
        "--api-key-env",
        "LC_SERVE_LIVE_KEY",
        "--secret-env",
        "LC_SERVE_LIVE_SECRET",
    ];
    let keys = [
        ("LC_SERVE_LIVE_KEY", common::paper::KEY),
        ("LC_SERVE_LIVE_SECRET", common::paper::SECRET),
    ];
    let (child, port, out) = common::venue_serve(&args, keys);

    let want = expected_top();
    let end = Instant::now() + Duration::from_secs(30);
    let got = loop {
        let d = depth(port);
        if let Some(d) = &d {
            if d["bids"] == want["bids"] && d["asks"] == want["asks"] {
                break d.clone();
            }
        }
        assert!(
            Instant::now() < end,
            "the venue's book never became the replay's: {d:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(got["lastUpdateId"].as_u64().unwrap() > LINES as u64 / 2);

    // Buy 0.010 up to 10 ticks over the best ask: it fills at the live book's ask.
    let best_ask = steps()
        .0
        .parse_units(want["asks"][0][0].as_str().unwrap().as_bytes())
        .unwrap();
    let mut gw = common::paper::gateway_at(port, steps(), "SERVE_LIVE", |_| {});
    let start = Instant::now();
    let now = || start.elapsed().as_nanos() as u64;
    let mut got = Vec::new();
    let until = |gw: &mut legcore::runtime::binance_ws::BinanceWsGateway,
                 got: &mut Vec<Delivery>,
                 done: &dyn Fn(&[Delivery]) -> bool| {
        let end = Instant::now() + Duration::from_secs(10);
        while !done(got) {
            assert!(Instant::now() < end, "timed out: {got:?}");
            match gw.poll(now()).unwrap() {
                Some(d) => got.push(d),
                None => std::thread::sleep(Duration::from_micros(200)),
            }
        }
    };
    until(&mut gw, &mut got, &|g| g.contains(&Delivery::Resynced));
    let order = OrderRef::new(1, LegIdx::new(0), 0, 0).unwrap();
    let req = Request::New(NewOrder {
        order,
        side: OrderSide::Buy,
        price: OrderPrice::Market {
            protection_ticks: best_ask + 10,
        },
        qty_lots: 10,
        tif: TimeInForce::Ioc,
        reduce_only: false,
    });
    gw.send(BookId::new(0), req, now()).unwrap();
    let fills = |g: &[Delivery]| -> Vec<(i64, i64)> {
        g.iter()
            .filter_map(|d| match d {
                Delivery::Report { report, .. } => match report.kind {
                    ReportKind::Fill(x) => Some((x.price_ticks, x.last_qty_lots)),
                    _ => None,
                },
                _ => None,
            })
            .collect()
    };
    until(&mut gw, &mut got, &|g| {
        fills(g).iter().map(|f| f.1).sum::<i64>() == 10
    });
    assert_eq!(
        fills(&got)[0].0,
        best_ask,
        "filled at the live book's best ask"
    );
    gw.close();
    let summary = common::stop_venue_serve(child, out);
    assert!(summary.contains("position 10 lots"), "{summary}");
}
