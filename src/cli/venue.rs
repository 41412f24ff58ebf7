//! `legcore venue serve --scenario FILE.toml --venue NAME [--symbol S] [--listen ADDR]
//! (--api-key-file F | --api-key-env V) [--secret-file F | --secret-env V]
//! [--ed25519-public-key F] [--duration D] [--listen-key-ttl-secs N]
//! [--clock-offset-ms N] [--orders-per-10s N]`: a scenario's simulated venue served
//! with a Binance USD-M face on loopback (see [`legcore::runtime::venue_serve`]).
//!
//! The first line printed names the address (`listening on 127.0.0.1:PORT`), so a
//! script may start it on port 0 and read where it is. It runs until Ctrl-C or
//! `--duration`, then prints what it counted and the venue's ledger.

use std::net::TcpListener;
use std::path::Path;
use std::time::{Duration, Instant};

use legcore::binance_ws::sign::HmacSigner;
use legcore::feed::BookFeed;
use legcore::fix::sign::{self, ApiKey, SecretSource};
use legcore::runtime::venue_serve::{Auth, Paper, PaperConfig, RateLimits, ServeFeed, Server};
use legcore::sim::SimExchange;
use legcore::text::Quoted;

use super::args::{CliError, Flags};
use super::{emit, live};

const VALUED: [&str; 12] = [
    "--scenario",
    "--venue",
    "--symbol",
    "--listen",
    "--api-key-file",
    "--api-key-env",
    "--secret-file",
    "--secret-env",
    "--ed25519-public-key",
    "--duration",
    "--listen-key-ttl-secs",
    "--clock-offset-ms",
];

pub fn run(args: &[String]) -> Result<u8, CliError> {
    match args.first().map(String::as_str) {
        Some("serve") => serve(args.get(1..).unwrap_or(&[])),
        Some(other) => Err(CliError::UnknownCommand(format!("venue {other}"))),
        None => Err(CliError::Missing("serve")),
    }
}

fn serve(args: &[String]) -> Result<u8, CliError> {
    let mut valued = VALUED.to_vec();
    valued.push("--orders-per-10s");
    let f = Flags::parse(args, &valued, &[])?;
    let (paper, feed, name) = paper(&f)?;
    let listen = f.get("--listen").unwrap_or("127.0.0.1:0");
    let io = |source| CliError::Io {
        path: listen.to_string(),
        source,
    };
    let listener = TcpListener::bind(listen).map_err(io)?;
    let server = Server::start(listener, paper, Some(feed)).map_err(io)?;
    let addr = server.addr();
    emit(&format!(
        "listening on {addr}: WebSocket API ws://{addr}/ws-fapi/v1, user data \
         ws://{addr}/ws/<listenKey>, REST http://{addr}/fapi/v1\n"
    ))?;
    let deadline = match f.get("--duration") {
        Some(d) => Some(Instant::now() + live::duration(d)?),
        None => None,
    };
    let stop = live::stop_flag();
    while !stop.load(std::sync::atomic::Ordering::SeqCst) && !server.is_finished() {
        live::check_deadline(deadline, &stop);
        std::thread::sleep(Duration::from_millis(20));
    }
    let paper = server
        .stop()
        .ok_or_else(|| CliError::Input("the venue server's thread failed".to_string()))?;
    emit(&summary(&name, &paper))?;
    Ok(0)
}

/// The scenario's venue `--venue` as a paper venue, its feed, and its name.
fn paper(f: &Flags) -> Result<(Paper<SimExchange>, ServeFeed, String), CliError> {
    let path = f.required("--scenario")?;
    let name = f.required("--venue")?;
    let (built, names) = scenario(path)?;
    let i = names
        .iter()
        .position(|n| n == name)
        .ok_or_else(|| CliError::BadValue {
            flag: "--venue",
            reason: format!("{} is not a venue of {}", Quoted(name), Quoted(path)),
        })?;
    let info = &built.venues[i];
    let symbol = match f.get("--symbol") {
        Some(s) => s.to_string(),
        None => info
            .instrument
            .trim_end_matches("-PERP")
            .replace(['-', '_', '/'], ""),
    };
    let cfg = PaperConfig {
        symbol,
        quote: info.quote.clone(),
        rules: built.rules[i],
        auth: auth(f)?,
        limits: limits(f)?,
        listen_key_ttl_ns: number(f, "--listen-key-ttl-secs", 3_600)?
            .checked_mul(1_000_000_000)
            .filter(|&n| n > 0)
            .ok_or_else(|| bad("--listen-key-ttl-secs", "must be 1 or more seconds"))?,
        epoch_ms_at_zero: wall_ms().saturating_add_signed(clock_offset(f)?),
    };
    let speed = built.config.md_speed;
    let (Some(feed), Some(exchange)) = (
        built.feeds.into_iter().nth(i),
        built.exchanges.into_iter().nth(i),
    ) else {
        return Err(bad("--venue", "the scenario built no feed for it"));
    };
    let sync = BookFeed::new(feed.format, feed.tick, feed.lot);
    let serve = match feed.live {
        Some(live) => ServeFeed::live(live, sync, feed.levels_per_side, feed.max_update_levels),
        None => ServeFeed::recorded(feed.tape, sync, speed),
    };
    Ok((Paper::new(cfg, exchange), serve, name.to_string()))
}

fn wall_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn clock_offset(f: &Flags) -> Result<i64, CliError> {
    match f.get("--clock-offset-ms") {
        None => Ok(0),
        Some(t) => t
            .parse::<i64>()
            .ok()
            .filter(|v| v.unsigned_abs() <= 86_400_000)
            .ok_or_else(|| bad("--clock-offset-ms", "must be a whole ms within a day")),
    }
}

fn summary(name: &str, paper: &Paper<SimExchange>) -> String {
    let c = paper.counts();
    let book = &paper.venue().books()[0];
    format!(
        "served {}: {} requests ({} bad key or signature, {} outside recvWindow, {} rate \
         limited, {} answers dropped); ledger: position {} lots, traded {} lots, fees {} \
         tick-lots e-8\n",
        name,
        c.requests,
        c.bad_auth,
        c.clock_skew,
        c.rate_limited,
        c.answers_dropped,
        book.position_lots(),
        book.traded_lots(),
        book.fees_tl_e8()
    )
}

fn bad(flag: &'static str, why: &str) -> CliError {
    CliError::BadValue {
        flag,
        reason: why.to_string(),
    }
}

fn number(f: &Flags, flag: &'static str, default: u64) -> Result<u64, CliError> {
    match f.get(flag) {
        None => Ok(default),
        Some(t) => t.parse::<u64>().map_err(|_| CliError::BadValue {
            flag,
            reason: format!("{} is not a whole number", Quoted(t)),
        }),
    }
}

fn limits(f: &Flags) -> Result<RateLimits, CliError> {
    let mut l = RateLimits::default();
    l.orders_per_10s = number(f, "--orders-per-10s", l.orders_per_10s)?;
    if l.orders_per_10s == 0 {
        return Err(bad("--orders-per-10s", "must be 1 or more"));
    }
    Ok(l)
}

/// `--X-file` or `--X-env`, one of them.
fn source(f: &Flags, what: &'static str) -> Result<Option<SecretSource>, CliError> {
    let (file, env) = match what {
        "api-key" => ("--api-key-file", "--api-key-env"),
        _ => ("--secret-file", "--secret-env"),
    };
    match (f.get(file), f.get(env)) {
        (Some(_), Some(_)) => Err(bad(
            file,
            "give the file or the environment variable, not both",
        )),
        (Some(p), None) => Ok(Some(SecretSource::File(p.into()))),
        (None, Some(v)) => Ok(Some(SecretSource::Env(v.to_string()))),
        (None, None) => Ok(None),
    }
}

fn auth(f: &Flags) -> Result<Auth, CliError> {
    let cred = |flag: &'static str| {
        move |e: sign::CredentialError| CliError::BadValue {
            flag,
            reason: e.to_string(),
        }
    };
    let key_src = source(f, "api-key")?.ok_or(CliError::Missing("--api-key-file"))?;
    let api_key = sign::read_secret("API key", &key_src).map_err(cred("--api-key-file"))?;
    let api = ApiKey::new(&api_key).map_err(cred("--api-key-file"))?;
    let hmac = match source(f, "secret")? {
        Some(s) => {
            let text = sign::read_secret("HMAC secret", &s).map_err(cred("--secret-file"))?;
            Some(HmacSigner::new(&text, api.clone()).map_err(cred("--secret-file"))?)
        }
        None => None,
    };
    let ed25519 = match f.get("--ed25519-public-key") {
        Some(p) => Some(public_key(p)?),
        None => None,
    };
    if hmac.is_none() && ed25519.is_none() {
        return Err(bad(
            "--secret-file",
            "give an HMAC secret (--secret-file/--secret-env) or --ed25519-public-key",
        ));
    }
    Ok(Auth {
        api_key: api.expose().to_string(),
        hmac,
        ed25519,
    })
}

fn public_key(path: &str) -> Result<ed25519_dalek::VerifyingKey, CliError> {
    use ed25519_dalek::pkcs8::DecodePublicKey;
    let text = std::fs::read_to_string(Path::new(path)).map_err(|source| CliError::Io {
        path: path.to_string(),
        source,
    })?;
    ed25519_dalek::VerifyingKey::from_public_key_pem(&text).map_err(|_| CliError::BadValue {
        flag: "--ed25519-public-key",
        reason: format!("{} is not an Ed25519 public key PEM", Quoted(path)),
    })
}

fn scenario(path: &str) -> Result<(legcore::scenario::Built, Vec<String>), CliError> {
    let (scenario, built) = super::built_scenario(path)?;
    let names = scenario.venue.iter().map(|v| v.name.clone()).collect();
    Ok((built, names))
}
