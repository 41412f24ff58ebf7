//! Per-stage latency distributions beside the journal: `legcore run --journal DIR`
//! writes `DIR/latency/<stage>.hgrm` at the end of the run, one file per
//! [`Stage`], each the HdrHistogram percentile-distribution text of
//! [`Telemetry::distribution`] (values in ns). One file per stage because that is the
//! form HdrHistogram's own plotter and HistogramLogAnalyzer read (one series a file);
//! `legcore report` reads them back with [`read`].
//!
//! The journal's records carry no latency: the histograms live on the loop and gateway
//! threads and are only complete when the run ends, so they are written once, then.

use std::path::{Path, PathBuf};

use crate::telemetry::{Stage, Telemetry};

/// The folder in a journal directory that holds the distributions.
pub const FOLDER: &str = "latency";

/// Why distributions could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum LatencyError {
    /// The file system said no.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// A line that is not a percentile-distribution row.
    #[error("{path}: line {line}: {why}")]
    Malformed {
        /// The path.
        path: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        why: &'static str,
    },
}

/// The file of `stage` in the journal directory `dir`.
pub fn path_of(dir: &Path, stage: Stage) -> PathBuf {
    dir.join(FOLDER).join(format!("{}.hgrm", stage.name()))
}

/// Writes every stage's distribution into `dir/latency/` (creating it).
pub fn write(dir: &Path, telemetry: &Telemetry) -> Result<(), LatencyError> {
    let folder = dir.join(FOLDER);
    std::fs::create_dir_all(&folder).map_err(|source| LatencyError::Io {
        path: folder.display().to_string(),
        source,
    })?;
    for stage in Stage::ALL {
        let path = path_of(dir, stage);
        std::fs::write(&path, telemetry.distribution(stage)).map_err(|source| {
            LatencyError::Io {
                path: path.display().to_string(),
                source,
            }
        })?;
    }
    Ok(())
}

/// One row of a distribution.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Latency at this percentile, ns.
    pub value_ns: f64,
    /// The percentile as a fraction, 0 to 1.
    pub quantile: f64,
    /// Values recorded at or below `value_ns`.
    pub total: u64,
}

/// One stage's distribution as read back.
#[derive(Debug, Clone, PartialEq)]
pub struct Distribution {
    /// The stage's name ([`Stage::name`]).
    pub stage: &'static str,
    /// The rows, in file order (rising quantile).
    pub points: Vec<Point>,
    /// Values recorded (the last row's total; 0 when the stage saw none).
    pub count: u64,
}

impl Distribution {
    /// The smallest value at or past quantile `q` (nearest row), if any.
    pub fn at(&self, q: f64) -> Option<f64> {
        self.points
            .iter()
            .find(|p| p.quantile >= q)
            .or(self.points.last())
            .map(|p| p.value_ns)
    }
}

fn parse(path: &Path, text: &str, stage: Stage) -> Result<Distribution, LatencyError> {
    let bad = |line: usize, why| LatencyError::Malformed {
        path: path.display().to_string(),
        line,
        why,
    };
    let mut points = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with("Value") {
            continue;
        }
        let mut cols = line.split_whitespace();
        let mut next = || {
            cols.next()
                .ok_or_else(|| bad(i + 1, "fewer than 3 columns"))
        };
        let value_ns: f64 = next()?.parse().map_err(|_| bad(i + 1, "bad value"))?;
        let quantile: f64 = next()?.parse().map_err(|_| bad(i + 1, "bad percentile"))?;
        let total: u64 = next()?.parse().map_err(|_| bad(i + 1, "bad total count"))?;
        if !value_ns.is_finite() || value_ns < 0.0 || !(0.0..=1.0).contains(&quantile) {
            return Err(bad(i + 1, "value or percentile out of range"));
        }
        if points.last().is_some_and(|p: &Point| p.quantile > quantile) {
            return Err(bad(i + 1, "percentiles go down"));
        }
        points.push(Point {
            value_ns,
            quantile,
            total,
        });
    }
    Ok(Distribution {
        stage: stage.name(),
        count: points.last().map_or(0, |p| p.total),
        points,
    })
}

/// Reads the distributions of `dir`, in [`Stage::ALL`] order; a stage without a file is
/// left out (so a journal from before these files reads as none).
pub fn read(dir: &Path) -> Result<Vec<Distribution>, LatencyError> {
    let mut out = Vec::new();
    for stage in Stage::ALL {
        let path = path_of(dir, stage);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(source) => {
                return Err(LatencyError::Io {
                    path: path.display().to_string(),
                    source,
                })
            }
        };
        out.push(parse(&path, &text, stage)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distribution_text_reads_back() {
        let mut t = Telemetry::new();
        for ns in 1..=10_000u64 {
            t.record(Stage::Decide, ns);
        }
        let text = t.distribution(Stage::Decide);
        let d = parse(Path::new("x"), &text, Stage::Decide).expect("parses");
        assert_eq!(d.count, 10_000);
        assert!(d.points.len() > 20, "{}", d.points.len());
        let p50 = d.at(0.5).expect("p50");
        assert!((4_990.0..=5_010.0).contains(&p50), "{p50}");
        assert_eq!(d.points.last().map(|p| p.quantile), Some(1.0));
        let empty = parse(Path::new("x"), &t.distribution(Stage::Risk), Stage::Risk);
        assert_eq!(empty.expect("parses").count, 0);
        let junk = parse(Path::new("x"), "Value P\n  12.0 zero 3\n", Stage::Risk);
        assert!(matches!(junk, Err(LatencyError::Malformed { line: 2, .. })));
    }
}
