//! Journal shipping to NATS JetStream: every line of a run's journal published once to
//! the fleet's stream, from its own thread (never the loop's), the local journal staying
//! the source of truth.
//!
//! Each line `seq` of instance `I` is published to subject `legcore.journal.I` with
//! message id `I-seq` (`Nats-Msg-Id`): JetStream drops a duplicate within the stream's
//! duplicate window (an hour here), so a line sent again after a crash or an outage is
//! stored once. The last acknowledged `seq` is kept beside the journal
//! (`shipped.seq`, written to a temporary file and renamed); a shipper starting again
//! sends from there. The shipper tails the file (a line counts once its newline is
//! written), so a slow or absent broker never slows the run: it catches up when the
//! broker is back, retrying its connection with backoff. At the end of the file it looks
//! again after 1 ms, doubling the wait while nothing comes (to 16 ms), so a line written
//! while the run is busy is picked up within a millisecond or two.

use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_nats::jetstream::{self, context::Publish, stream};

/// The stream every instance publishes to.
pub const STREAM: &str = "LEGCORE";
/// Its subjects: `legcore.journal.<instance>`.
pub const SUBJECTS: &str = "legcore.journal.>";
/// How long JetStream remembers message ids for deduplication.
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(3_600);
/// Lines published before their acknowledgements are awaited.
const IN_FLIGHT: usize = 256;
/// The first wait at the end of the file before looking again.
const IDLE_FIRST: Duration = Duration::from_millis(1);
/// The longest: the wait doubles while nothing comes.
const IDLE_MAX: Duration = Duration::from_millis(16);

/// Where and as whom to ship.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShipConfig {
    /// `nats://host:port`.
    pub url: String,
    /// This instance's name (`[A-Za-z0-9_-]{1,64}`: a subject token).
    pub instance: String,
}

/// What a shipper did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ShipStats {
    /// Lines acknowledged as stored.
    pub shipped: u64,
    /// Lines the stream already held (sent again after a restart).
    pub duplicates: u64,
    /// Connection attempts that failed.
    pub connect_failures: u64,
    /// Publishes that failed (each retried from the last acknowledged line).
    pub publish_failures: u64,
    /// The last acknowledged `seq`.
    pub last_seq: u64,
}

/// Why shipping could not go on.
#[derive(Debug, thiserror::Error)]
pub enum ShipError {
    /// The instance name cannot be a subject token.
    #[error("instance name {} is not 1 to 64 of A-Z, a-z, 0-9, _ and -", crate::text::Quoted(.0))]
    Instance(String),
    /// The journal or the offset file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A journal line without its `seq` first.
    #[error("{path}: line {line} does not start with {{\"seq\":N")]
    Line {
        /// The journal.
        path: String,
        /// Its 1-based line number.
        line: u64,
    },
}

/// Whether `name` can be a subject token and a message id prefix.
pub fn valid_instance(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The offset file of journal directory `dir`.
pub fn offset_path(dir: &Path) -> PathBuf {
    dir.join("shipped.seq")
}

/// The last acknowledged `seq` of `dir` (0 when none).
pub fn shipped(dir: &Path) -> u64 {
    std::fs::read_to_string(offset_path(dir))
        .ok()
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or(0)
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> ShipError + '_ {
    move |source| ShipError::Io {
        path: path.display().to_string(),
        source,
    }
}

fn save(dir: &Path, seq: u64) -> Result<(), ShipError> {
    let tmp = dir.join("shipped.seq.tmp");
    std::fs::write(&tmp, format!("{seq}\n")).map_err(io(&tmp))?;
    let path = offset_path(dir);
    std::fs::rename(&tmp, &path).map_err(io(&path))
}

/// `{"seq":N,…`'s N.
fn seq_of(line: &str) -> Option<u64> {
    let rest = line.strip_prefix("{\"seq\":")?;
    let end = rest.find(|c: char| !c.is_ascii_digit())?;
    rest[..end].parse().ok()
}

/// Ships the journal in `dir` until `stop` is set (`follow`: keep tailing it) or, without
/// `follow`, until every line written when it reaches the end is acknowledged.
pub fn ship(
    dir: &Path,
    cfg: &ShipConfig,
    follow: bool,
    stop: &AtomicBool,
) -> Result<ShipStats, ShipError> {
    ship_observed(dir, cfg, follow, stop, &mut |_| {})
}

/// [`ship`], calling `on_ack(seq)` as each line's acknowledgement is taken, in order
/// (what the ship-lag bench times).
pub fn ship_observed(
    dir: &Path,
    cfg: &ShipConfig,
    follow: bool,
    stop: &AtomicBool,
    on_ack: &mut dyn FnMut(u64),
) -> Result<ShipStats, ShipError> {
    if !valid_instance(&cfg.instance) {
        return Err(ShipError::Instance(cfg.instance.clone()));
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(io(dir))?;
    rt.block_on(Shipper::new(dir, cfg, follow, stop, on_ack).run())
}

struct Shipper<'a> {
    dir: &'a Path,
    cfg: &'a ShipConfig,
    follow: bool,
    stop: &'a AtomicBool,
    on_ack: &'a mut dyn FnMut(u64),
    stats: ShipStats,
}

impl<'a> Shipper<'a> {
    fn new(
        dir: &'a Path,
        cfg: &'a ShipConfig,
        follow: bool,
        stop: &'a AtomicBool,
        on_ack: &'a mut dyn FnMut(u64),
    ) -> Self {
        let last = shipped(dir);
        Shipper {
            dir,
            cfg,
            follow,
            stop,
            on_ack,
            stats: ShipStats {
                last_seq: last,
                ..ShipStats::default()
            },
        }
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    async fn run(mut self) -> Result<ShipStats, ShipError> {
        let mut backoff = Duration::from_millis(100);
        loop {
            let Some(js) = self.connect().await else {
                self.stats.connect_failures += 1;
                if self.stopped() {
                    return Ok(self.stats);
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
                continue;
            };
            backoff = Duration::from_millis(100);
            match self.pump(&js).await? {
                true => return Ok(self.stats),
                false => self.stats.publish_failures += 1,
            }
        }
    }

    async fn connect(&self) -> Option<jetstream::Context> {
        let opts = async_nats::ConnectOptions::new()
            .connection_timeout(Duration::from_secs(2))
            .max_reconnects(Some(1));
        let client = opts.connect(self.cfg.url.as_str()).await.ok()?;
        let js = jetstream::new(client);
        let config = stream::Config {
            name: STREAM.to_string(),
            subjects: vec![SUBJECTS.to_string()],
            duplicate_window: DUPLICATE_WINDOW,
            ..stream::Config::default()
        };
        js.get_or_create_stream(config).await.ok()?;
        Some(js)
    }

    /// Publishes from the last acknowledged line on; `Ok(true)` when done, `Ok(false)`
    /// when the broker failed (connect again and go on from the last ack).
    async fn pump(&mut self, js: &jetstream::Context) -> Result<bool, ShipError> {
        let path = self.dir.join("journal.jsonl");
        let subject = format!("legcore.journal.{}", self.cfg.instance);
        let mut reader = loop {
            match std::fs::File::open(&path) {
                Ok(f) => break BufReader::new(f),
                Err(_) if self.follow && !self.stopped() => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => return Err(io(&path)(e)),
            }
        };
        let mut line = String::new();
        let mut pos = 0u64;
        let mut number = 0u64;
        let mut acks = Vec::with_capacity(IN_FLIGHT);
        let mut idle = IDLE_FIRST;
        let mut last_look = false;
        loop {
            line.clear();
            let n = reader.read_line(&mut line).map_err(io(&path))?;
            if n == 0 || !line.ends_with('\n') {
                // The end, or a line still being written: go back to its start.
                reader.seek(SeekFrom::Start(pos)).map_err(io(&path))?;
                if !self.settle(&mut acks).await {
                    return Ok(false);
                }
                if !self.follow || last_look {
                    return Ok(true);
                }
                if self.stopped() {
                    // Stop is set once the writer is done, but its last lines may have
                    // landed after this read reached the end: read to the end once more.
                    last_look = true;
                    continue;
                }
                tokio::time::sleep(idle).await;
                idle = (idle * 2).min(IDLE_MAX);
                continue;
            }
            idle = IDLE_FIRST;
            pos += n as u64;
            number += 1;
            let text = line.trim_end();
            let seq = seq_of(text).ok_or_else(|| ShipError::Line {
                path: path.display().to_string(),
                line: number,
            })?;
            if seq <= self.stats.last_seq {
                continue;
            }
            let msg = Publish::build()
                .payload(text.as_bytes().to_vec().into())
                .message_id(format!("{}-{seq}", self.cfg.instance));
            match js.send_publish(subject.clone(), msg).await {
                Ok(ack) => acks.push((seq, ack)),
                Err(_) => return Ok(false),
            }
            if acks.len() >= IN_FLIGHT && !self.settle(&mut acks).await {
                return Ok(false);
            }
        }
    }

    /// Awaits the acknowledgements in flight, in order; records the last and saves it.
    /// False if one failed (the lines from there are sent again).
    async fn settle(
        &mut self,
        acks: &mut Vec<(u64, jetstream::context::PublishAckFuture)>,
    ) -> bool {
        let mut ok = true;
        for (seq, ack) in acks.drain(..) {
            if !ok {
                continue;
            }
            match ack.await {
                Ok(a) => {
                    self.stats.shipped += u64::from(!a.duplicate);
                    self.stats.duplicates += u64::from(a.duplicate);
                    self.stats.last_seq = seq;
                    (self.on_ack)(seq);
                }
                Err(_) => ok = false,
            }
        }
        if save(self.dir, self.stats.last_seq).is_err() {
            return false;
        }
        ok
    }
}

/// Every line of the fleet's stream at `url`, in stream order, with the instance that
/// shipped it (its subject's last token). Read through an ordered pull consumer (batches
/// of messages, not a request per message), up to the last message stored when the read
/// began.
pub fn read_stream(url: &str) -> Result<Vec<(String, Vec<u8>)>, ShipError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| stream_error(url, "runtime", &e))?;
    rt.block_on(read_all(url))
}

fn stream_error(url: &str, what: &str, e: &dyn std::fmt::Display) -> ShipError {
    ShipError::Io {
        path: url.to_string(),
        source: std::io::Error::other(format!("{what}: {e}")),
    }
}

async fn read_all(url: &str) -> Result<Vec<(String, Vec<u8>)>, ShipError> {
    use futures_util::StreamExt;
    let failed = |what: &str, e: &dyn std::fmt::Display| stream_error(url, what, e);
    let opts = async_nats::ConnectOptions::new().connection_timeout(Duration::from_secs(2));
    let client = opts.connect(url).await.map_err(|e| failed("connect", &e))?;
    let js = jetstream::new(client);
    let mut s = js
        .get_stream(STREAM)
        .await
        .map_err(|e| failed("stream", &e))?;
    let info = s.info().await.map_err(|e| failed("stream info", &e))?;
    let (count, last) = (info.state.messages, info.state.last_sequence);
    let mut out = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
    if count == 0 {
        return Ok(out);
    }
    let config = jetstream::consumer::pull::OrderedConfig {
        deliver_policy: jetstream::consumer::DeliverPolicy::All,
        ..Default::default()
    };
    let consumer = s
        .create_consumer(config)
        .await
        .map_err(|e| failed("consumer", &e))?;
    let mut messages = consumer
        .messages()
        .await
        .map_err(|e| failed("messages", &e))?;
    loop {
        let next = tokio::time::timeout(Duration::from_secs(10), messages.next()).await;
        let m = match next {
            Ok(Some(Ok(m))) => m,
            Ok(Some(Err(e))) => return Err(failed("message", &e)),
            Ok(None) => return Err(failed("message", &"the stream ended early")),
            Err(_) => return Err(failed("message", &"none within 10 s")),
        };
        let seq = m.info().map_err(|e| failed("message", &e))?.stream_sequence;
        let instance = m.subject.rsplit('.').next().unwrap_or_default().to_string();
        out.push((instance, m.payload.to_vec()));
        if seq >= last {
            return Ok(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_name_their_seq_and_instances_are_subject_tokens() {
        assert_eq!(seq_of(r#"{"seq":42,"kind":"opened"}"#), Some(42));
        assert_eq!(seq_of(r#"{"kind":"opened","seq":42}"#), None);
        assert_eq!(seq_of(r#"{"seq":}"#), None);
        assert!(valid_instance("tokyo-1_a"));
        for bad in ["", "a.b", "a b", "a*", &"x".repeat(65)] {
            assert!(!valid_instance(bad), "{bad}");
        }
    }
}
