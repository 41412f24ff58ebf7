//! The QuickFIX acceptor (`tests/fix/acceptor.cpp`) as a test's venue: built once into
//! the target directory with g++ and Debian's libquickfix-dev, started per test on a
//! free 127.0.0.1 port with its own directory (settings, script, keys, message log),
//! stopped when the test ends (its stdin closes; killed if it lingers).
//!
//! Without QuickFIX, OpenSSL's headers or g++ the tests fail and say what to install:
//! they are never skipped.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use legcore::fix::sign::SecretSource;
use legcore::runtime::binance_fix::{FixVenueConfig, StpMode};

const SOURCE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fix/acceptor.cpp");
const SETTINGS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fix/acceptor.cfg");
/// Binance's dictionary, as the repository ships it.
pub const DICTIONARY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/venues/binance/spot-fix-oe.xml"
);
const INSTALL: &str = "apt-get install -y libquickfix-dev libssl-dev pkg-config g++";

fn pkg_config(args: &[&str]) -> Result<String, String> {
    let out = Command::new("pkg-config")
        .args(args)
        .output()
        .map_err(|e| format!("pkg-config: {e} (install it: {INSTALL})"))?;
    if !out.status.success() {
        return Err(format!(
            "pkg-config {} failed: QuickFIX or OpenSSL is not installed \
             (the FIX tests' venue needs Debian's libquickfix-dev 1.15.1: {INSTALL})",
            args.join(" ")
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn build() -> Result<PathBuf, String> {
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("fix-acceptor");
    let newer = |a: &Path, b: &Path| {
        let m = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
        matches!((m(a), m(b)), (Some(x), Some(y)) if x > y)
    };
    if out.exists() && !newer(Path::new(SOURCE), &out) {
        return Ok(out);
    }
    let flags = pkg_config(&["--cflags", "--libs", "quickfix", "libcrypto"])?;
    let tmp = out.with_extension(format!("tmp{}", std::process::id()));
    let status = Command::new("g++")
        .args(["-std=gnu++14", "-O2", "-Wno-deprecated", "-o"])
        .arg(&tmp)
        .arg(SOURCE)
        .args(flags.split_whitespace())
        .status()
        .map_err(|e| format!("g++: {e} (install it: {INSTALL})"))?;
    if !status.success() {
        return Err(format!(
            "g++ could not build {SOURCE} (see above; {INSTALL})"
        ));
    }
    std::fs::rename(&tmp, &out).map_err(|e| e.to_string())?;
    Ok(out)
}

/// The acceptor binary (built on first use).
pub fn binary() -> PathBuf {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match BUILT.get_or_init(build) {
        Ok(p) => p.clone(),
        Err(e) => panic!("the FIX venue cannot be built: {e}"),
    }
}

/// A running acceptor. See the module doc.
pub struct Acceptor {
    child: Child,
    stdin: Option<ChildStdin>,
    /// Its directory: settings, script, store, keys, message log.
    pub dir: PathBuf,
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// The client's Ed25519 private key (PKCS#8 PEM, mode 600).
    pub private_key: PathBuf,
    /// The client's API key (mode 600), which the acceptor expects in Username(553).
    pub api_key: PathBuf,
    /// The client's SenderCompID.
    pub client: String,
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

fn private(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

impl Acceptor {
    /// Starts a venue named `name` (its directory under the target's tmp) that answers
    /// orders with `script` (see acceptor.cpp) and expects `client` as SenderCompID.
    /// `dictionary` is the QuickFIX dictionary it loads.
    pub fn start_with(name: &str, script: &str, client: &str, dictionary: &Path) -> Acceptor {
        let bin = binary();
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("fix-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("script.txt"), script).unwrap();
        let private_key = dir.join("client-ed25519.pem");
        let st = Command::new(&bin)
            .arg("--keygen")
            .arg(&private_key)
            .arg(dir.join("venue-ed25519.pub.pem"))
            .status()
            .unwrap();
        assert!(st.success(), "acceptor --keygen failed");
        let api_key = dir.join("api-key.txt");
        private(&api_key, &format!("legcore-test-api-key-{name}\n"));
        for _ in 0..5 {
            let port = free_port();
            let cfg = std::fs::read_to_string(SETTINGS)
                .unwrap()
                .replace("${DIR}", &dir.display().to_string())
                .replace("${DICTIONARY}", &dictionary.display().to_string())
                .replace("${CLIENT}", client)
                .replace("${PORT}", &port.to_string());
            std::fs::write(dir.join("acceptor.cfg"), cfg).unwrap();
            if let Some(mut a) = Acceptor::spawn(&bin, &dir, port) {
                a.private_key = private_key;
                a.api_key = api_key;
                a.client = client.to_string();
                return a;
            }
        }
        panic!("the acceptor could not listen on 127.0.0.1 (5 ports tried)");
    }

    /// [`start_with`](Self::start_with) Binance's dictionary.
    pub fn start(name: &str, script: &str, client: &str) -> Acceptor {
        Acceptor::start_with(name, script, client, Path::new(DICTIONARY))
    }

    /// Runs the binary on `dir`'s settings; `None` if it did not come up on `port`.
    fn spawn(bin: &Path, dir: &Path, port: u16) -> Option<Acceptor> {
        let mut child = Command::new(bin)
            .arg(dir.join("acceptor.cfg"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the acceptor");
        let stdin = child.stdin.take();
        let mut first = String::new();
        let out = child.stdout.take().unwrap();
        let _ = BufReader::new(out).read_line(&mut first);
        if first.trim() != format!("listening {port}") {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        Some(Acceptor {
            child,
            stdin,
            dir: dir.to_path_buf(),
            port,
            private_key: PathBuf::new(),
            api_key: PathBuf::new(),
            client: String::new(),
        })
    }

    /// The message log so far: `< ` in, `> ` out, `# ` events, SOH shown as `|`.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("messages.log")).unwrap_or_default()
    }

    /// Waits (at most `within`) until the log holds `needle`; whether it did.
    pub fn wait_for(&self, needle: &str, within: Duration) -> bool {
        let end = Instant::now() + within;
        while Instant::now() < end {
            if self.log().contains(needle) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        false
    }

    /// The frames the acceptor received (`<`) or sent (`>`), `|` for SOH.
    pub fn frames(&self, mark: char) -> Vec<String> {
        self.log()
            .lines()
            .filter_map(|l| l.strip_prefix(&format!("{mark} ")))
            .filter(|l| l.starts_with("8=FIX"))
            .map(str::to_string)
            .collect()
    }
}

/// Binance's dictionary changed by `edit` (each `(from, to)` replaced once, and it must
/// be there), written as `name.xml` under the target's tmp: a venue that differs from
/// Binance in a stated way. The acceptor's QuickFIX loads it like the original.
pub fn derived_dictionary(name: &str, edits: &[(&str, &str)]) -> PathBuf {
    let mut text = std::fs::read_to_string(DICTIONARY).unwrap();
    for (from, to) in edits {
        assert_eq!(
            text.matches(from).count(),
            1,
            "{from} not once in the dictionary"
        );
        text = text.replacen(from, to, 1);
    }
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("{name}-{}.xml", std::process::id()));
    std::fs::write(&path, text).unwrap();
    path
}

/// The value of `tag` in a logged frame (`|`-separated), if present.
pub fn field(frame: &str, tag: u32) -> Option<&str> {
    let prefix = format!("{tag}=");
    frame
        .split('|')
        .find_map(|f| f.strip_prefix(prefix.as_str()))
}

impl Acceptor {
    /// The gateway's settings for this acceptor: BTCUSDT, comp ids `client` → `SPOT`, its
    /// key files, a 30 s heartbeat, STP expire-maker, sequence numbers reset at logon.
    pub fn gateway_config(&self, client: &str) -> FixVenueConfig {
        FixVenueConfig {
            host: "127.0.0.1".into(),
            port: self.port,
            sender_comp_id: client.into(),
            target_comp_id: "SPOT".into(),
            symbol: "BTCUSDT".into(),
            api_key: SecretSource::File(self.api_key.clone()),
            private_key: SecretSource::File(self.private_key.clone()),
            heartbeat_s: 30,
            stp_mode: Some(StpMode::ExpireMaker),
            reset_seq_on_logon: true,
        }
    }
}

impl Drop for Acceptor {
    fn drop(&mut self) {
        drop(self.stdin.take()); // its stdin closes: it logs out and exits
        let end = Instant::now() + Duration::from_secs(3);
        while Instant::now() < end {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
