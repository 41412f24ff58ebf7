//! A `legcore venue serve` paper venue started in the test process on a random loopback
//! port (the real server and simulator), and the Binance USD-M WebSocket API gateway
//! pointed at it.

use legcore::binance_ws::sign::HmacSigner;
use legcore::book::{Depth, Level};
use legcore::fix::sign::{ApiKey, SecretSource};
use legcore::instrument::{ContractKind, InstrumentRules};
use legcore::leg::Fees;
use legcore::num::{Decimal, Step};
use legcore::runtime::binance_ws::{BinanceWsGateway, WsKey, WsVenueConfig};
use legcore::runtime::venue_serve::{Auth, Paper, PaperConfig, RateLimits, Server};
use legcore::sim::{FaultPlan, Latency, SimExchange, SimVenue};

pub const KEY: &str = "wsGatewayKey01";
pub const SECRET: &str = "wsGatewaySecret01";

/// What the venue is made of.
pub struct PaperSpec {
    /// Tick and lot.
    pub steps: (Step, Step),
    /// Bids, best first.
    pub bids: Vec<Level>,
    /// Asks, best first.
    pub asks: Vec<Level>,
    /// Smallest notional, quote.
    pub min_notional: &'static str,
    /// Faults.
    pub plan: FaultPlan,
    /// Latency.
    pub latency: Latency,
    /// The venue's clock minus the wall clock, ms.
    pub offset_ms: i64,
    /// Rate limits.
    pub limits: RateLimits,
    /// Fault seed.
    pub seed: u64,
    /// Listen-key lifetime after its last keep-alive, ns.
    pub listen_key_ttl_ns: u64,
    /// An Ed25519 public key the venue accepts besides the HMAC secret.
    pub ed25519: Option<ed25519_dalek::VerifyingKey>,
}

impl PaperSpec {
    /// BTCUSDT at `steps` over `bids` and `asks`: no faults, 50 µs latency, the wall
    /// clock, Binance's rate limits, an hour's listen key, HMAC only.
    pub fn new(steps: (Step, Step), bids: Vec<Level>, asks: Vec<Level>) -> PaperSpec {
        PaperSpec {
            steps,
            bids,
            asks,
            min_notional: "5",
            plan: FaultPlan::default(),
            latency: Latency::Fixed { ns: 50_000 },
            offset_ms: 0,
            limits: RateLimits::default(),
            seed: 1,
            listen_key_ttl_ns: 3_600_000_000_000,
            ed25519: None,
        }
    }
}

/// A started paper venue (BTCUSDT, fees 2 / 5 bps).
pub fn serve(spec: PaperSpec) -> Server<SimExchange> {
    let (tick, lot) = spec.steps;
    let fees = Fees {
        maker_e8: 20_000,
        taker_e8: 50_000,
    };
    let mut book = SimVenue::new(64, 64).with_fees(fees);
    book.ladder_mut()
        .apply_snapshot(&spec.bids, &spec.asks, 1, Depth::Complete)
        .unwrap();
    let exchange = SimExchange::new(vec![book], spec.latency, spec.plan, spec.seed);
    let rules = InstrumentRules::new(
        tick,
        lot,
        1,
        Decimal::parse(spec.min_notional).unwrap(),
        Decimal::parse("1").unwrap(),
        ContractKind::Linear,
    )
    .unwrap();
    let wall = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let cfg = PaperConfig {
        symbol: "BTCUSDT".into(),
        quote: "USDT".into(),
        rules,
        auth: Auth {
            api_key: KEY.into(),
            hmac: Some(HmacSigner::new(SECRET, ApiKey::new(KEY).unwrap()).unwrap()),
            ed25519: spec.ed25519,
        },
        limits: spec.limits,
        listen_key_ttl_ns: spec.listen_key_ttl_ns,
        epoch_ms_at_zero: wall.saturating_add_signed(spec.offset_ms),
    };
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    Server::start(listener, Paper::new(cfg, exchange), None).unwrap()
}

/// The gateway for `server` at `steps`, its keys in environment variables named after
/// `tag` (unique per test: tests run in parallel threads).
pub fn gateway(server: &Server<SimExchange>, steps: (Step, Step), tag: &str) -> BinanceWsGateway {
    gateway_with(server, steps, tag, |_| {})
}

/// [`gateway`] with its settings changed by `tweak` first.
pub fn gateway_with(
    server: &Server<SimExchange>,
    steps: (Step, Step),
    tag: &str,
    tweak: impl FnOnce(&mut WsVenueConfig),
) -> BinanceWsGateway {
    gateway_at(server.addr().port(), steps, tag, tweak)
}

/// The gateway for a venue on 127.0.0.1:`port` with [`KEY`] and [`SECRET`].
pub fn gateway_at(
    port: u16,
    steps: (Step, Step),
    tag: &str,
    tweak: impl FnOnce(&mut WsVenueConfig),
) -> BinanceWsGateway {
    let (k, s) = (
        format!("LC_WSGW_KEY_{tag}"),
        format!("LC_WSGW_SECRET_{tag}"),
    );
    std::env::set_var(&k, KEY);
    std::env::set_var(&s, SECRET);
    let mut cfg = WsVenueConfig::usdm(
        "127.0.0.1",
        port,
        "BTCUSDT",
        SecretSource::Env(k),
        WsKey::Hmac(SecretSource::Env(s)),
    );
    cfg.request_timeout_ms = 400;
    tweak(&mut cfg);
    BinanceWsGateway::new(&cfg, steps.0, steps.1).unwrap()
}
