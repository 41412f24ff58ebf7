//! Per-stage latency histograms for the runtime (issue 4).
//!
//! One [`hdrhistogram::Histogram`] per [`Stage`], allocated once at construction with a
//! fixed range (1 ns to 60 s, 3 significant figures) and recorded with
//! `saturating_record`, so recording never allocates, never fails, and clamps a value
//! past the range to its top. Durations are `u64` ns; the runtime measures them with its
//! clock (`crate::runtime::Clock`): this module holds histograms only.
//!
//! Output, off the hot path: [`Telemetry::table`] (count, min, p50, p90, p99, p99.9,
//! p99.99, max, mean per stage) and [`Telemetry::distribution`], the standard
//! HdrHistogram percentile-distribution text that HdrHistogram's plotter reads.

use core::fmt::Write as _;

use hdrhistogram::Histogram;

/// A stage of the path from market data to an order and back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    /// From a market-data line's due time (its arrival, corrected for coordinated
    /// omission) to the loop picking it up: the queueing on the feed ring.
    MdQueue,
    /// Decoding a market-data line and applying it to the book: one pass, since the
    /// decoder scans the JSON straight into the book's update transaction (no
    /// intermediate message is built, so decode alone has no boundary to time).
    BookApply,
    /// From a market-data line's due time to the loop's book having applied it: for a
    /// live feed, from the client's socket read (frame to book); for a replay, from the
    /// line's scheduled time.
    LineToBook,
    /// Deciding: walks and the leg and group state machines.
    Decide,
    /// Pre-trade risk checks.
    Risk,
    /// From pushing a command on a gateway's ring to the gateway popping it.
    RingHop,
    /// From handing an order to the venue to its first report.
    VenueRoundTrip,
    /// From a fill report's arrival in the loop to the group having acted on it.
    FillToGroup,
    /// From a market-data event's arrival in the loop to the gateway popping the order
    /// it caused.
    TickToOrder,
}

impl Stage {
    /// Every stage, in table order.
    pub const ALL: [Stage; 9] = [
        Stage::MdQueue,
        Stage::BookApply,
        Stage::LineToBook,
        Stage::Decide,
        Stage::Risk,
        Stage::RingHop,
        Stage::VenueRoundTrip,
        Stage::FillToGroup,
        Stage::TickToOrder,
    ];

    /// The stage's name in tables and reports.
    pub const fn name(self) -> &'static str {
        match self {
            Stage::MdQueue => "md_queue",
            Stage::BookApply => "book_apply",
            Stage::LineToBook => "line_to_book",
            Stage::Decide => "decide",
            Stage::Risk => "risk",
            Stage::RingHop => "ring_hop",
            Stage::VenueRoundTrip => "venue_round_trip",
            Stage::FillToGroup => "fill_to_group",
            Stage::TickToOrder => "tick_to_order",
        }
    }
}

/// Most ns a histogram holds (60 s); larger values are clamped to it.
pub const MAX_NS: u64 = 60_000_000_000;

/// One histogram per stage. See the module doc.
#[derive(Debug, Clone)]
pub struct Telemetry {
    hists: Vec<Histogram<u64>>,
}

impl Telemetry {
    /// Allocates every stage's histogram (the only allocation).
    pub fn new() -> Telemetry {
        let hists = Stage::ALL
            .iter()
            .map(|_| Histogram::new_with_bounds(1, MAX_NS, 3).expect("valid fixed bounds"))
            .collect();
        Telemetry { hists }
    }

    /// Records `ns` for `stage`: no allocation; 0 counts as 1 ns, past 60 s as 60 s.
    #[inline]
    pub fn record(&mut self, stage: Stage, ns: u64) {
        self.hists[stage as usize].saturating_record(ns.clamp(1, MAX_NS));
    }

    /// The histogram of `stage`.
    pub fn histogram(&self, stage: Stage) -> &Histogram<u64> {
        &self.hists[stage as usize]
    }

    /// Adds `other`'s counts (e.g. a gateway thread's) into this one.
    pub fn merge(&mut self, other: &Telemetry) {
        for (a, b) in self.hists.iter_mut().zip(&other.hists) {
            // Same bounds on both sides: adding cannot fail.
            let _ = a.add(b);
        }
    }

    /// The percentile table, one row per stage that has values.
    pub fn table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{:<17} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>10} {:>9}",
            "stage (ns)", "count", "min", "p50", "p90", "p99", "p99.9", "p99.99", "max", "mean"
        );
        for stage in Stage::ALL {
            let h = self.histogram(stage);
            if h.is_empty() {
                continue;
            }
            let q = |x: f64| h.value_at_quantile(x);
            let _ = writeln!(
                s,
                "{:<17} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>10} {:>9.0}",
                stage.name(),
                h.len(),
                h.min(),
                q(0.5),
                q(0.9),
                q(0.99),
                q(0.999),
                q(0.9999),
                h.max(),
                h.mean()
            );
        }
        s
    }

    /// HdrHistogram's percentile-distribution text for `stage` (values in ns, 5 ticks
    /// per half distance, as HdrHistogram's `outputPercentileDistribution`).
    pub fn distribution(&self, stage: Stage) -> String {
        let h = self.histogram(stage);
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{:>12} {:>14} {:>10} {:>14}\n",
            "Value", "Percentile", "TotalCount", "1/(1-Percentile)"
        );
        let mut total = 0u64;
        for v in h.iter_quantiles(5) {
            total += v.count_since_last_iteration();
            let p = v.quantile_iterated_to();
            let inv = if p < 1.0 {
                format!("{:>14.2}", 1.0 / (1.0 - p))
            } else {
                String::new()
            };
            let _ = writeln!(
                s,
                "{:>12.3} {:>14.12} {:>10} {inv}",
                v.value_iterated_to() as f64,
                p,
                total
            );
        }
        let _ = writeln!(
            s,
            "#[Mean    = {:>12.3}, StdDeviation   = {:>12.3}]",
            h.mean(),
            h.stdev()
        );
        let _ = writeln!(
            s,
            "#[Max     = {:>12.3}, Total count    = {:>12}]",
            h.max() as f64,
            h.len()
        );
        let _ = writeln!(
            s,
            "#[Buckets = {:>12}, SubBuckets     = {:>12}]",
            h.buckets(),
            h.distinct_values()
        );
        s
    }
}

impl Default for Telemetry {
    fn default() -> Self {
        Telemetry::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_clamps_and_reports() {
        let mut t = Telemetry::new();
        for ns in 1..=1_000u64 {
            t.record(Stage::Decide, ns);
        }
        t.record(Stage::RingHop, 0); // counts as 1 ns
        t.record(Stage::RingHop, u64::MAX); // clamped to 60 s
        let h = t.histogram(Stage::Decide);
        assert_eq!((h.len(), h.min(), h.max()), (1_000, 1, 1_000));
        let p50 = h.value_at_quantile(0.5);
        assert!((499..=501).contains(&p50), "{p50}");
        let r = t.histogram(Stage::RingHop);
        assert_eq!(r.min(), 1);
        assert!(r.max() >= MAX_NS && r.max() <= MAX_NS + MAX_NS / 1_000);
        let table = t.table();
        assert!(table.contains("decide") && table.contains("ring_hop"));
        assert!(
            !table.contains("tick_to_order"),
            "empty stages are left out"
        );
        let dist = t.distribution(Stage::Decide);
        assert!(dist.starts_with("       Value     Percentile TotalCount 1/(1-Percentile)"));
        assert!(dist.contains("Total count    =         1000"), "{dist}");
        let mut other = Telemetry::new();
        other.record(Stage::Decide, 5);
        t.merge(&other);
        assert_eq!(t.histogram(Stage::Decide).len(), 1_001);
    }
}
