//! Helpers shared by the tests: for the command line, the binary, the shipped scenarios,
//! a fresh temporary directory and a bad scenario's one-line refusal; for the runtime and
//! engine, a risk state that stays out of the way ([`risk`]); a loopback server thread
//! ([`loopback`]); a paper venue (`legcore venue serve` in process) and the USD-M WebSocket
//! gateway on it ([`paper`]); the plain two-leg job ([`jobs`]).

// Each test crate uses a part of these.
#![allow(dead_code)]

pub mod jobs;
pub mod loopback;
pub mod paper;
pub mod risk;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The `legcore` binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_legcore");

/// The path of a shipped scenario.
pub fn scenario(name: &str) -> String {
    format!("{}/scenarios/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// The text of a shipped scenario.
pub fn scenario_text(name: &str) -> String {
    std::fs::read_to_string(scenario(name)).unwrap()
}

/// A fresh, empty temporary directory for one test.
pub fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("legcore-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Runs the binary.
pub fn legcore(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

/// Writes `text` as `dir/bad.toml`, with the shipped data paths (`../data/`) made
/// absolute so the file can live in a temporary directory.
pub fn write_scenario(dir: &Path, text: &str) -> PathBuf {
    let data = format!("{}/data/", env!("CARGO_MANIFEST_DIR"));
    let path = dir.join("bad.toml");
    std::fs::write(&path, text.replace("../data/", &data)).unwrap();
    path
}

/// Writes `text` as a scenario in `dir` (see [`write_scenario`]) and runs it at max speed
/// with a report in `dir`; returns the process's output and the report it wrote.
pub fn run_written(dir: &Path, text: &str) -> (Output, serde_json::Value) {
    let path = write_scenario(dir, text);
    let report = dir.join("report.json");
    let out = legcore(&[
        "run",
        "--speed",
        "max",
        "--scenario",
        path.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(report)
        .unwrap_or_else(|e| panic!("no report ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    (out, serde_json::from_str(&text).unwrap())
}

/// How long a refusal may take: it comes before anything runs, so only a run that was
/// accepted by mistake (and may wait for ever on a bad value) reaches this.
const REFUSAL_BOUND: Duration = Duration::from_secs(120);

/// Runs `args`, which must be refused: exit 2, nothing on stdout, one `error:` line on
/// stderr. Returns that line. A run still going after [`REFUSAL_BOUND`] is killed and
/// fails the test.
pub fn refused(args: &[&str]) -> String {
    let mut child = Command::new(BIN)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > REFUSAL_BOUND {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("{args:?} ran for {REFUSAL_BOUND:?} instead of being refused");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(out.stdout.is_empty(), "{args:?} printed a run");
    assert!(err.starts_with("error: "), "{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    err
}

/// Writes `text` as a scenario in a temporary directory and runs it (with `extra`
/// flags): it must be refused. Returns the `error:` line.
pub fn run_bad(name: &str, text: &str, extra: &[&str]) -> String {
    let dir = tmp(name);
    let path = write_scenario(&dir, text);
    let mut args = vec!["run", "--quiet", "--scenario", path.to_str().unwrap()];
    args.extend(extra);
    let err = refused(&args);
    let _ = std::fs::remove_dir_all(dir);
    err
}

/// The python with ccxt: `LEGCORE_PEERS_PY`, or the venv `.ci/run` creates
/// (`target/peers-venv`). A machine without it fails the test, saying how to make it.
pub fn peers_python() -> String {
    if let Ok(p) = std::env::var("LEGCORE_PEERS_PY") {
        return p;
    }
    let venv = format!(
        "{}/target/peers-venv/bin/python",
        env!("CARGO_MANIFEST_DIR")
    );
    let ok = Command::new(&venv)
        .args(["-c", "import ccxt.pro"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "ccxt is not installed in {venv}: run `python3 -m venv target/peers-venv && \
         target/peers-venv/bin/pip install ccxt==4.5.90` (.ci/run does), or set \
         LEGCORE_PEERS_PY"
    );
    venv
}

/// `legcore venue serve` (the binary) on port 0 with `args` after `venue serve`, its
/// keys in the environment variables `key_var` and `secret_var`: the child, the port it
/// printed, and its stdout for the rest.
pub fn venue_serve(
    args: &[&str],
    keys: [(&str, &str); 2],
) -> (
    std::process::Child,
    u16,
    std::io::BufReader<std::process::ChildStdout>,
) {
    use std::io::BufRead;
    let mut cmd = Command::new(BIN);
    cmd.args(["venue", "serve"]).args(args);
    for (var, value) in keys {
        cmd.env(var, value);
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    let port = first
        .split("127.0.0.1:")
        .nth(1)
        .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no address in {first:?}"));
    (child, port, out)
}

/// Stops a [`venue_serve`] child with SIGINT (its Ctrl-C path, at most 10 s) and returns
/// what it printed after its first line (its counts and ledger).
pub fn stop_venue_serve(
    mut child: std::process::Child,
    mut out: std::io::BufReader<std::process::ChildStdout>,
) -> String {
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap()
        .success());
    let end = Instant::now() + Duration::from_secs(10);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < end, "venue serve did not stop on SIGINT");
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    rest
}
