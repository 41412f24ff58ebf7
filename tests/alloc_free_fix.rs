//! The FIX order path allocates nothing after start-up: a NewOrderSingle encoded
//! through the logged-on session into its outbox, and an ExecutionReport (a fill with a
//! fee) decoded from a byte stream into a `venue::Report`, many times over.
//!
//! Its own file: the counting allocator is per process and the work runs on this
//! test's thread (see `tests/alloc_free.rs`).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use legcore::book::OrderSide;
use legcore::fix::binance::{BinanceOrders, Stp};
use legcore::fix::codec::{decode_frame, Decoder, Encoder, TimePrecision};
use legcore::fix::session::{SeqNums, Session, SessionConfig};
use legcore::fix::sign::{ApiKey, Ed25519Signer};
use legcore::index::LegIdx;
use legcore::instrument::InstrumentRules;
use legcore::num::Step;
use legcore::venue::{NewOrder, OrderPrice, OrderRef, ReportKind, Request, TimeInForce};

struct Counting;

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: forwards every call to `System` unchanged; only counts.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> u64 {
    ALLOCS.with(|c| c.get())
}

const T0: u64 = 1_718_096_506_228_000_000;

fn venue(mt: &[u8], seq: u32, body: impl FnOnce(&mut Encoder<'_>)) -> Vec<u8> {
    let mut buf = [0u8; 1024];
    let mut e = Encoder::new(&mut buf[..], mt);
    e.uint(34, u64::from(seq))
        .str(49, b"SPOT")
        .time(52, T0, TimePrecision::Micros);
    e.str(56, b"EXAMPLE");
    body(&mut e);
    e.finish().unwrap().to_vec()
}

#[test]
fn fix_order_path_allocates_nothing_after_start_up() {
    let key = "MC4CAQAwBQYDK2VwBCIEIIJEYWtGBrhACmb9Dvy+qa8WEf0lQOl1s4CLIAB9m89u";
    let signer = Ed25519Signer::from_pem(key, ApiKey::new("k").unwrap()).unwrap();
    let mut s = Session::new(SessionConfig::binance("EXAMPLE"), signer, SeqNums::START).unwrap();
    s.on_tick(T0).unwrap();
    s.on_connected(T0).unwrap();
    let ack = venue(b"A", 1, |e| {
        e.uint(108, 30);
    });
    s.on_frame(&decode_frame(&ack).unwrap(), T0).unwrap();
    s.clear_outbox();
    let rules = InstrumentRules::linear(
        Step::parse("0.01").unwrap(),
        Step::parse("0.00001").unwrap(),
    );
    let mut m = BinanceOrders::new("BTCUSDT", "BTC", "USDT", rules, Stp::ExpireMaker);
    let order = OrderRef::new(3, LegIdx::new(0), 0, 1).unwrap();
    let req = Request::New(NewOrder {
        order,
        side: OrderSide::Sell,
        price: OrderPrice::Limit(6_180_025),
        qty_lots: 150,
        tif: TimeInForce::PostOnly,
        reduce_only: false,
    });
    let fills: Vec<Vec<u8>> = (0..100u32)
        .map(|i| {
            venue(b"8", 2 + i, |e| {
                e.uint(11, order.wire())
                    .str(14, b"0.00100")
                    .uint(17, 145)
                    .str(31, b"61800.25");
                e.str(32, b"0.00100")
                    .char(39, b'1')
                    .str(60, b"20240611-09:01:46.228000");
                e.char(150, b'F')
                    .char(1057, b'N')
                    .uint(1003, 9_000 + u64::from(i));
                e.uint(136, 1)
                    .str(137, b"0.00000015")
                    .str(138, b"BTC")
                    .uint(139, 4);
            })
        })
        .collect();
    let mut d = Decoder::new(4096);

    let before = allocations();
    let mut filled = 0;
    for (i, bytes) in fills.iter().enumerate() {
        let now = T0 + i as u64 * 1_000;
        m.send(&req, &mut s, now).unwrap();
        assert!(!s.outbox().is_empty());
        s.clear_outbox();
        for chunk in bytes.chunks(97) {
            d.feed(chunk);
            while let Some(frame) = d.next_frame() {
                let frame = frame.unwrap();
                s.on_frame(&frame, now).unwrap();
                if let ReportKind::Fill(x) = m.decode(&frame).unwrap().report.kind {
                    filled += x.last_qty_lots;
                }
            }
        }
    }
    let after = allocations();
    assert_eq!(filled, 100 * 100);
    assert_eq!(after - before, 0, "allocations on the FIX order path");
}

/// The USD-M WebSocket API's order frames (issue 15): `order.place` and `order.cancel`
/// encoded and signed, HMAC and Ed25519, into the encoder's kept buffers.
#[test]
fn ws_api_order_frames_allocate_nothing_after_start_up() {
    use legcore::binance_ws::request::{Encoder as WsEncoder, Place, Stamp, WsOrderKind, WsSide};
    use legcore::binance_ws::sign::{HmacSigner, WsSigner};
    let key = || ApiKey::new("sBRXrJx2DsOraMXOaUovEhgVRcjOvCtQwnWj8VxkOh1xqboS02SPGfKi2h8spZJb");
    let pem = "MC4CAQAwBQYDK2VwBCIEIIJEYWtGBrhACmb9Dvy+qa8WEf0lQOl1s4CLIAB9m89u";
    let signers = [
        WsSigner::Hmac(HmacSigner::new("secret", key().unwrap()).unwrap()),
        WsSigner::Ed25519(Ed25519Signer::from_pem(pem, key().unwrap()).unwrap()),
    ];
    let steps = (Step::parse("0.1").unwrap(), Step::parse("0.001").unwrap());
    let mut e = WsEncoder::new();
    let mut sink = 0usize;
    let mut round = |e: &mut WsEncoder, i: u64| {
        let stamp = Stamp {
            steps,
            timestamp_ms: 1_700_000_000_000 + i,
            recv_window_ms: 5_000,
        };
        let p = Place {
            symbol: "BTCUSDT",
            side: if i.is_multiple_of(2) {
                WsSide::Buy
            } else {
                WsSide::Sell
            },
            kind: WsOrderKind::LimitGtc(600_000 + i as i64),
            qty_lots: 1 + (i % 50) as i64,
            client_id: Some("lc-000123"),
            reduce_only: i.is_multiple_of(3),
        };
        let s = &signers[(i % 2) as usize];
        sink += e.place(i, &p, s, &stamp).unwrap().len();
        sink += e
            .by_client_id(i, i.is_multiple_of(4), "BTCUSDT", "lc-000123", s, &stamp)
            .unwrap()
            .len();
    };
    for i in 0..8 {
        round(&mut e, i);
    }
    let before = allocations();
    for i in 8..2_008 {
        round(&mut e, i);
    }
    assert_eq!(allocations() - before, 0, "allocations in 2 000 rounds");
    assert!(sink > 0);
}
