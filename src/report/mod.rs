//! `legcore report`: one static HTML page from a run's journal directory, for people
//! who want to see a run rather than read its tables.
//!
//! [`Journal::load`] reads `DIR/journal.jsonl` (through the checksummed reader, so a
//! corrupt journal is refused, never misread) and the per-stage latency distributions
//! that `legcore run` writes beside it ([`crate::journal::latency`]);
//! [`Journal::html`] renders the page: a header with the strategy, the groups and the
//! tracker's statistics ([`Stats::compute`], the same numbers as `legcore stats`), each
//! group's implementation shortfall (as the run's table shows it), then three inline SVG
//! plots drawn by plotters (latency percentiles per stage in the HdrHistogram style,
//! expected against actual slippage per leg, group outcomes over time) and the incident
//! list. Money names its sign and currency, as in `legcore stats`:
//! the shortfall as `cost …` or `gain …`, an incident as `loss …` or `gain …`, each round
//! trip's realised P&L as `gain …` or `loss …` (the round-trip table).
//!
//! The page is self-contained: inline CSS and SVG, no script, no font file, no link
//! out, so it renders the same with no network. A group that ended twice (a late fill
//! reopened it) counts once with its last end, as in [`Stats`]; the timeline shows
//! every end.

mod fleet;
mod plot;

pub use fleet::fleet_html;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::journal::latency::{self, Distribution, LatencyError};
use crate::journal::GroupSummary;
use crate::journal::Line;
use crate::journal::{groups_text, Filter, Stats, StatsError};
use crate::journal::{path_in, read, read_bytes, JournalError, Read};
use crate::journal::{COST, FEES, LOSS, PNL};
use crate::num::Decimal;

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The journal directory is not there.
    #[error("journal directory {0} does not exist")]
    NoJournal(String),
    /// The journal file is missing, unreadable or corrupt.
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// A latency distribution file is unreadable or malformed.
    #[error(transparent)]
    Latency(#[from] LatencyError),
    /// A record whose checksum holds but whose content is not what `legcore run` writes.
    #[error("{path}: line {line}: {why}")]
    Record {
        /// The journal file.
        path: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        why: String,
    },
    /// A statistic left the decimal range.
    #[error(transparent)]
    Stats(#[from] StatsError),
    /// plotters failed to draw.
    #[error("cannot draw a plot: {0}")]
    Plot(String),
}

/// One `ended` record.
#[derive(Debug, Clone)]
pub struct Ended {
    /// The run's loop clock at the end, ns.
    pub t_ns: u64,
    /// The ended group.
    pub group: GroupSummary,
}

/// What the page is made from.
#[derive(Debug, Clone)]
pub struct Journal {
    /// The journal directory.
    pub dir: PathBuf,
    /// The strategy (scenario) name, from the first record that names one.
    pub strategy: Option<String>,
    /// Good records read.
    pub records: usize,
    /// Bytes of a torn tail left out (0: none).
    pub cut_bytes: usize,
    /// The smallest `t_ns` of any record (0 if none has one).
    pub first_t_ns: u64,
    /// Every group end, in journal order.
    pub ends: Vec<Ended>,
    /// The per-stage latency distributions (empty for a journal without them).
    pub latency: Vec<Distribution>,
    /// Read from the fleet's stream rather than a directory (`dir` is then the stream
    /// and subject): the latency distributions stay beside the instance's journal.
    pub shipped: bool,
}

impl Journal {
    /// Reads the journal directory `dir`. Never writes to it (a torn tail is left in
    /// place and only counted).
    pub fn load(dir: &Path) -> Result<Journal, ReportError> {
        if !dir.is_dir() {
            return Err(ReportError::NoJournal(dir.display().to_string()));
        }
        let found = read(&path_in(dir), false)?;
        Ok(Journal {
            latency: latency::read(dir)?,
            ..Journal::of(dir, &found)
        })
    }

    /// A journal shipped to the fleet's stream: its lines' `bytes`, named `label` in
    /// errors and on the page (no latency distributions travel with it).
    pub fn from_bytes(label: &Path, bytes: &[u8]) -> Result<Journal, ReportError> {
        let found = read_bytes(label, bytes)?;
        Ok(Journal {
            shipped: true,
            ..Journal::of(label, &found)
        })
    }

    /// The page's facts from the records `found` of the journal `dir`.
    fn of(dir: &Path, found: &Read) -> Journal {
        let mut strategy = None;
        let mut first_t_ns: Option<u64> = None;
        let mut ends = Vec::new();
        for r in &found.records {
            if let Some(t) = r.t_ns() {
                first_t_ns = Some(first_t_ns.map_or(t, |f| f.min(t)));
            }
            if strategy.is_none() {
                strategy = r.strategy().map(str::to_string);
            }
            if let Line::Ended(e) = r {
                ends.push(Ended {
                    t_ns: e.t_ns,
                    group: e.group.clone(),
                });
            }
        }
        Journal {
            dir: dir.to_path_buf(),
            strategy,
            records: found.records.len(),
            cut_bytes: found.cut_bytes,
            first_t_ns: first_t_ns.unwrap_or(0),
            ends,
            latency: Vec::new(),
            shipped: false,
        }
    }

    /// The last end of each group, by group id.
    pub fn last_ends(&self) -> Vec<&Ended> {
        let mut last = std::collections::BTreeMap::new();
        for e in &self.ends {
            last.insert(e.group.id, e);
        }
        last.into_values().collect()
    }

    /// The statistics over the ends, as `legcore stats` computes them.
    pub fn stats(&self) -> Result<Stats, StatsError> {
        let groups: Vec<GroupSummary> = self.ends.iter().map(|e| e.group.clone()).collect();
        Stats::compute(&groups, &Filter::default())
    }

    /// The page.
    pub fn html(&self) -> Result<String, ReportError> {
        let stats = self.stats()?;
        let last = self.last_ends();
        let mut h = String::new();
        self.head(&mut h, &stats);
        stats_table(&mut h, &stats);
        group_table(&mut h, &last);

        self.latency_section(&mut h)?;

        h += "<h2>Expected against actual slippage</h2>\n";
        let unfilled = last
            .iter()
            .flat_map(|e| &e.group.legs)
            .filter(|l| l.slippage_bps.is_none())
            .count();
        figure(
            &mut h,
            "slippage",
            &plot::slippage(&last)?,
            &format!(
                "One point a leg (last end of each group), bps against the arrival mid, + = \
                 worse. Above the dashed y = x line the fills did worse than the pre-flight \
                 walk expected. Legs that filled nothing are not shown ({unfilled})."
            ),
        );

        h += "<h2>Group outcomes over time</h2>\n";
        figure(
            &mut h,
            "outcomes",
            &plot::outcomes(&self.ends, self.first_t_ns)?,
            "Every group end (a group that ended twice shows twice), labelled with its id.",
        );

        incident_table(&mut h, &last);
        h += "</body>\n</html>\n";
        Ok(h)
    }

    /// The page's head, title and the line saying what journal it shows, then the torn
    /// tail's note if any.
    fn head(&self, h: &mut String, stats: &Stats) {
        let name = self.strategy.as_deref().unwrap_or("(no strategy recorded)");
        let span_s = self
            .ends
            .iter()
            .map(|e| e.t_ns.saturating_sub(self.first_t_ns))
            .max()
            .unwrap_or(0) as f64
            / 1e9;
        let _ = write!(
            h,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <title>legcore report: {n}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
             <h1>legcore report: {n}</h1>\n<p class=\"meta\">journal <code>{dir}</code> · \
             {groups} groups ({ends} group ends) · {records} records · last group end at \
             {span_s:.3} s</p>\n",
            n = esc(name),
            dir = esc(&self.dir.display().to_string()),
            groups = stats.executions,
            ends = self.ends.len(),
            records = self.records,
        );
        if self.cut_bytes > 0 {
            let _ = writeln!(
                h,
                "<p class=\"note\">The journal ends in a torn record ({} bytes), not counted.\
                 </p>",
                self.cut_bytes
            );
        }
    }

    /// The latency section: the stages' percentile plot and table, or a note saying
    /// where the distributions would be.
    fn latency_section(&self, h: &mut String) -> Result<(), ReportError> {
        *h += "<h2>Latency per stage</h2>\n";
        if self.shipped {
            *h += "<p class=\"note\">Not shipped: the latency distributions stay beside \
                   the instance's journal (<code>legcore report --journal</code> there).</p>\n";
        } else if self.latency.iter().all(|d| d.count == 0) {
            let _ = writeln!(
                h,
                "<p class=\"note\">No latency distributions in <code>{}</code> (written by \
                 <code>legcore run --journal</code> at the end of a run).</p>",
                esc(&self.dir.join(latency::FOLDER).display().to_string())
            );
        } else {
            figure(
                h,
                "latency",
                &plot::latency(&self.latency)?,
                "Percentile distribution of each stage's latency (HdrHistogram style): x is \
                 1/(1&minus;p) on a log axis, so the tail gets the room; y is log scale.",
            );
            latency_table(h, &self.latency);
        }
        Ok(())
    }
}

pub(crate) const STYLE: &str = "\
body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;\
color:#222}\
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}\
.meta,.note,figcaption{color:#555;font-size:.9em}\
table{border-collapse:collapse;margin:.5em 0;font-size:.9em}\
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}\
td.n{text-align:right;font-variant-numeric:tabular-nums}\
figure{margin:1em 0}svg{max-width:100%;height:auto}\
tr.unhedged td{background:#fde8e8}";

/// HTML-escapes text.
pub(crate) fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

fn figure(h: &mut String, id: &str, svg: &str, caption: &str) {
    let _ = writeln!(
        h,
        "<figure id=\"{id}\">\n{svg}\n<figcaption>{caption}</figcaption>\n</figure>"
    );
}

fn stats_table(h: &mut String, s: &Stats) {
    let o = |x: &Option<Decimal>| x.map_or_else(|| "-".to_string(), |x| x.to_string());
    h.push_str("<h2>Statistics</h2>\n<table id=\"stats\">\n");
    let mut row = |k: &str, v: String| {
        let _ = writeln!(h, "<tr><th>{k}</th><td>{v}</td></tr>");
    };
    row(
        "executions",
        format!(
            "{} (filled {}, success rate {})",
            s.executions, s.filled, s.success_rate
        ),
    );
    for (policy, by) in &s.outcomes {
        let parts: Vec<String> = by.iter().map(|(k, v)| format!("{} {v}", esc(k))).collect();
        row(&format!("policy {}", esc(policy)), parts.join(", "));
    }
    for (k, x) in [
        ("expected slippage", &s.expected_slippage_bps),
        ("actual slippage", &s.actual_slippage_bps),
    ] {
        row(
            k,
            format!(
                "avg {} bps · p50 {} · p95 {} ({} legs)",
                o(&x.avg),
                o(&x.p50),
                o(&x.p95),
                x.count
            ),
        );
    }
    row("avg execution", format!("{} ms", o(&s.avg_execution_ms)));
    row("total fees", esc(&s.total_fees.named(FEES).to_string()));
    let unpriced = match s.shortfall_unpriced_legs {
        0 => String::new(),
        n => format!("; {n} legs without an arrival mid left out"),
    };
    row(
        "implementation shortfall",
        format!(
            "{} (fills against the arrival mid, fees included{unpriced})",
            esc(&s.shortfall_quote.named(COST).to_string())
        ),
    );
    row(
        "incidents",
        format!(
            "{} ({})",
            s.incidents,
            esc(&s.incident_loss.named(LOSS).to_string())
        ),
    );
    row(
        "round trips",
        format!(
            "{} (realised {} net of fees)",
            s.round_trips.len(),
            esc(&s.realised_pnl.named(PNL).to_string())
        ),
    );
    h.push_str("</table>\n");
    round_trip_table(h, s);
}

/// Each round trip (flat to flat: a carry cycle) with its realised P&L.
fn round_trip_table(h: &mut String, s: &Stats) {
    if s.round_trips.is_empty() && s.open_groups.is_empty() {
        return;
    }
    h.push_str(
        "<table id=\"round-trips\">\n<tr><th>round trip</th><th>realised P&amp;L, net of \
         fees</th></tr>\n",
    );
    for r in &s.round_trips {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td class=\"n\">{}</td></tr>",
            esc(&groups_text(&r.groups)),
            esc(&r.pnl_quote.named(PNL).to_string())
        );
    }
    if !s.open_groups.is_empty() {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>open at the end: a position is held, not realised</td></tr>",
            esc(&groups_text(&s.open_groups))
        );
    }
    h.push_str("</table>\n");
}

fn latency_table(h: &mut String, dists: &[Distribution]) {
    h.push_str(
        "<table id=\"latency-table\">\n<tr><th>stage (ns)</th><th>count</th><th>p50</th>\
         <th>p90</th><th>p99</th><th>p99.9</th><th>max</th></tr>\n",
    );
    for d in dists.iter().filter(|d| d.count > 0) {
        let q = |p: f64| d.at(p).map_or_else(|| "-".into(), |v| format!("{v:.0}"));
        let _ = writeln!(
            h,
            "<tr data-stage=\"{s}\" data-points=\"{n}\"><td>{s}</td><td class=\"n\">{c}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            q(0.5),
            q(0.9),
            q(0.99),
            q(0.999),
            q(1.0),
            s = esc(d.stage),
            n = d.points.len(),
            c = d.count,
        );
    }
    h.push_str("</table>\n");
}

/// Each group (its last end) with its implementation shortfall in quote, as the run's
/// table shows it: fills against the arrival mid, fees included, `cost …` or `gain …`.
fn group_table(h: &mut String, last: &[&Ended]) {
    let _ = writeln!(h, "<h2>Groups ({})</h2>", last.len());
    if last.is_empty() {
        return;
    }
    h.push_str(
        "<table id=\"groups\">\n<tr><th>group</th><th>policy</th><th>outcome</th>\
         <th>implementation shortfall (fills against the arrival mid, fees included)</th>\
         </tr>\n",
    );
    for e in last {
        let g = &e.group;
        let _ = writeln!(
            h,
            "<tr data-shortfall-group=\"{id}\"><td class=\"n\">{id}</td><td>{p}</td>\
             <td>{o}</td><td class=\"n\">{s}</td></tr>",
            id = g.id,
            p = esc(&g.policy),
            o = esc(&g.outcome),
            s = esc(&g.shortfall_quote.named(COST).to_string()),
        );
    }
    h.push_str("</table>\n");
}

/// Per leg: the position left, `a / b`.
fn residual(r: &[Decimal]) -> String {
    let v: Vec<String> = r.iter().map(Decimal::to_string).collect();
    v.join(" / ")
}

fn incident_table(h: &mut String, last: &[&Ended]) {
    let incidents: Vec<_> = last
        .iter()
        .filter_map(|e| Some((&e.group, e.group.incident.as_ref()?)))
        .collect();
    let _ = writeln!(h, "<h2>Incidents ({})</h2>", incidents.len());
    if incidents.is_empty() {
        h.push_str("<p class=\"note\">None: every group filled as asked.</p>\n");
        return;
    }
    h.push_str(
        "<table id=\"incidents\">\n<tr><th>group</th><th>policy</th><th>outcome</th>\
         <th>loss or gain</th><th>unhedged s</th><th>residual</th><th>summary</th></tr>\n",
    );
    for (g, i) in incidents {
        let _ = writeln!(
            h,
            "<tr class=\"{o}\" data-group=\"{id}\"><td class=\"n\">{id}</td><td>{p}</td>\
             <td>{o}</td><td class=\"n\">{l}</td><td class=\"n\">{u}</td><td>{r}</td>\
             <td>{s}</td></tr>",
            id = g.id,
            p = esc(&g.policy),
            o = esc(&g.outcome),
            l = esc(&i.loss_quote.named(LOSS).to_string()),
            u = i.unhedged_seconds,
            r = esc(&residual(&i.residual)),
            s = esc(&i.summary),
        );
    }
    h.push_str("</table>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(esc("a<b & \"c\">'"), "a&lt;b &amp; &quot;c&quot;&gt;&#39;");
    }

    #[test]
    fn a_missing_directory_is_named() {
        let e = Journal::load(Path::new("/nonexistent/legcore-journal")).unwrap_err();
        assert!(
            e.to_string().contains("/nonexistent/legcore-journal"),
            "{e}"
        );
    }
}
