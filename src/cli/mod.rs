//! Command dispatch and the shared argument reader.

mod analyze;
mod args;
mod fleet;
mod live;
mod record;
mod report;
mod resume;
mod run;
mod ship;
mod stats;
mod venue;

pub use args::CliError;

const USAGE: &str = "\
usage: legcore <command> [options]

commands:
  analyze --book FILE --side buy|sell (--qty DECIMAL | --notional DECIMAL) [--json]
          liquidity pre-flight: walk a recorded book for a size and report depth,
          average and worst price, spread, slippage, score and a recommendation.
          FILE: a Binance REST depth snapshot, a Hyperliquid l2Book, or a Bybit
          orderbook snapshot line (detected).
  run [--scenario FILE.toml] [--journal DIR] [--report FILE.json] [--seed N] [--live-orders]
      [--speed Nx|max] [--fsync group|always|never] [--quiet]
      [--publish nats://HOST:PORT --instance NAME]
          the main job: a scenario (default: cash-and-carry on the recorded Binance
          BTCUSDT spot and USD-M books) through the runtime against simulated venues;
          prints the groups, incidents, statistics and stage latencies. Exit 3 if a
          group ended unhedged. A scenario with a network venue ([venue.gateway],
          Binance Spot FIX or USD-M WebSocket API) sends real orders and runs only with
          --live-orders. --publish ships the journal to NATS JetStream as it is written
          (see `ship`).
  stats (--journal DIR | --from nats://HOST:PORT) [--strategy S] [--venue V]
        [--since DURATION] [--json]
          statistics over a run's journal (DURATION: 90s, 15m, 2h, 7d); --from: each
          instance's and the fleet's totals, from the journals shipped to NATS.
  report (--journal DIR | --from nats://HOST:PORT) --out DIR
          a static HTML page of a run's journal (OUT/index.html, no network needed):
          latency percentiles per stage, expected vs actual slippage per leg, group
          outcomes over time, the incidents and the statistics; --from: the fleet's page
          (OUT/index.html) and each instance's (OUT/NAME/index.html) from NATS.
  record --scenario FILE.toml --out DIR [--duration D] [--rotate-bytes N] [--rotate-secs S]
         [--quiet]
          capture the live feeds of a scenario's live venues (source = \"live\") to
          DIR/<venue>.<part>.raw.gz in the replay format (REST snapshots in place), until
          Ctrl-C or --duration; a replay scenario's feed can point at the files.
  venue serve --scenario FILE.toml --venue NAME (--api-key-file F | --api-key-env V)
              (--secret-file F | --secret-env V | --ed25519-public-key PEM) [--symbol S]
              [--listen ADDR] [--duration D] [--listen-key-ttl-secs N]
              [--clock-offset-ms N] [--orders-per-10s N]
          a scenario's simulated venue (recorded or live book, latency, faults) served on
          ADDR (default 127.0.0.1:0) as Binance USD-M: WebSocket API /ws-fapi/v1, user
          data stream /ws/<listenKey>, REST /fapi/v1 (time, exchangeInfo, listenKey);
          signatures and recvWindow checked as Binance does. Prints the address first.
  ship --journal DIR --to nats://HOST:PORT --instance NAME [--follow] [--duration D]
          publish a journal's lines to the fleet's NATS JetStream stream LEGCORE
          (subject legcore.journal.NAME, message id NAME-seq: each stored once), from
          where the last shipper stopped (DIR/shipped.seq); --follow tails it.
  help    this text";

/// Writes to stdout; a closed pipe (`legcore … | head`) ends output quietly.
pub(crate) fn emit(text: &str) -> Result<(), CliError> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(CliError::Io {
            path: "stdout".to_string(),
            source: e,
        }),
        _ => Ok(()),
    }
}

/// The scenario at `path`, parsed and built (its data loaded and checked).
pub(crate) fn built_scenario(
    path: &str,
) -> Result<(legcore::scenario::Scenario, legcore::scenario::Built), CliError> {
    let text = std::fs::read_to_string(path).map_err(|source| CliError::Io {
        path: path.to_string(),
        source,
    })?;
    let bad = |e: legcore::scenario::ScenarioError| CliError::Input(format!("{path}: {e}"));
    let scenario = legcore::scenario::Scenario::parse(&text).map_err(bad)?;
    let dir = std::path::Path::new(path)
        .parent()
        .unwrap_or(std::path::Path::new("."));
    let built = scenario.build(dir).map_err(bad)?;
    Ok((scenario, built))
}

/// Runs the command line; `Ok(exit code)` or an error to print (exit 2).
pub fn run(args: &[String]) -> Result<u8, CliError> {
    match args.first().map(String::as_str) {
        Some("analyze") => analyze::run(args.get(1..).unwrap_or(&[])),
        Some("run") => run::run(args.get(1..).unwrap_or(&[])),
        Some("stats") => stats::run(args.get(1..).unwrap_or(&[])),
        Some("report") => report::run(args.get(1..).unwrap_or(&[])),
        Some("record") => record::run(args.get(1..).unwrap_or(&[])),
        Some("venue") => venue::run(args.get(1..).unwrap_or(&[])),
        Some("ship") => ship::run(args.get(1..).unwrap_or(&[])),
        Some("help" | "--help" | "-h") => {
            emit(&format!("{USAGE}\n"))?;
            Ok(0)
        }
        Some(other) => Err(CliError::UnknownCommand(other.to_string())),
        None => Err(CliError::UnknownCommand(String::new())),
    }
}
