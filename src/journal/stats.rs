//! [`Stats`]: the tracker's statistics over ended groups, exact where they are money.
//! `legcore stats` computes them from a journal's `ended` lines and `legcore run` from
//! its own summaries, with this one function, so the two agree to the digit.
//!
//! A group that ended twice (a late fill reopened it) counts once, with its last end.
//! Percentiles are nearest-rank over the legs' decimal values; averages are rounded
//! half-even to 4 places. Money is by quote currency ([`Amounts`]); a sum past the
//! decimal range is a [`StatsError`], never a value left out.
//!
//! Round trips: the groups, in id order, are followed by the position they leave on each
//! venue and instrument (a buy leg's net quantity +, a sell leg's −). A round trip runs
//! from flat to flat; its realised P&L is the sum of its legs' `flow_quote` (sells +,
//! buys −, fees −), **+ = gain**. For the carry strategy a round trip is one cycle: the
//! entry group and the exit group(s) that close it (or an entry its own group unwound to
//! flat). Groups after the last return to flat hold a position at the end: they are
//! listed as open, and their money is not counted as realised. With `--since`, a round
//! trip that began before the cut is not complete in view and shows as open.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::summary::{Amounts, GroupSummary, Overflow, COST, FEES, LOSS, PNL};
use crate::num::{Decimal, Round};

/// Average, p50 and p95 of a set of bps values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Spread3 {
    /// Values.
    pub count: usize,
    /// Mean, 4 places.
    pub avg: Option<Decimal>,
    /// Nearest-rank median.
    pub p50: Option<Decimal>,
    /// Nearest-rank 95th percentile.
    pub p95: Option<Decimal>,
}

/// Groups from flat back to flat, with what they realised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundTrip {
    /// The groups, in id order.
    pub groups: Vec<usize>,
    /// Realised P&L net of fees, by quote currency (+ = gain).
    pub pnl_quote: Amounts,
    /// Legs whose money is not priced in quote (inverse contracts): left out of
    /// `pnl_quote`, which is then not the whole P&L.
    pub unpriced_legs: usize,
}

/// Statistics over ended groups.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Groups that ended.
    pub executions: usize,
    /// Of those, filled as asked.
    pub filled: usize,
    /// filled / executions, 4 places.
    pub success_rate: Decimal,
    /// Outcome counts by policy.
    pub outcomes: BTreeMap<String, BTreeMap<String, usize>>,
    /// Expected slippage per leg (the walk against the arrival mid), bps.
    pub expected_slippage_bps: Spread3,
    /// Actual slippage per leg (the fills against the arrival mid), bps.
    pub actual_slippage_bps: Spread3,
    /// Mean time from the entries to the end, ms.
    pub avg_execution_ms: Option<Decimal>,
    /// Every fee, by quote currency.
    pub total_fees: Amounts,
    /// Groups with an incident.
    pub incidents: usize,
    /// Their realised loss, by quote currency (+ = loss).
    pub incident_loss: Amounts,
    /// Implementation shortfall of every group, fees included, by quote currency
    /// (+ = cost).
    pub shortfall_quote: Amounts,
    /// Legs left out of it: no arrival mid is known (recovered after a restart).
    pub shortfall_unpriced_legs: usize,
    /// Round trips from flat to flat (carry cycles), in order.
    pub round_trips: Vec<RoundTrip>,
    /// Their total realised P&L net of fees (+ = gain).
    pub realised_pnl: Amounts,
    /// Groups after the last return to flat: a position is held at the end.
    pub open_groups: Vec<usize>,
}

/// A statistic left the decimal range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("statistics: {0}")]
pub struct StatsError(#[from] pub Overflow);

/// Which groups to count.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only this strategy.
    pub strategy: Option<String>,
    /// Only groups with a leg on this venue.
    pub venue: Option<String>,
    /// Only groups that ended at or after this wall time, ms since the epoch.
    pub since_wall_ms: Option<u64>,
}

impl Filter {
    fn keeps(&self, g: &GroupSummary) -> bool {
        self.strategy.as_ref().is_none_or(|s| &g.strategy == s)
            && self
                .venue
                .as_ref()
                .is_none_or(|v| g.legs.iter().any(|l| &l.venue == v))
            && self.since_wall_ms.is_none_or(|t| g.wall_ms >= t)
    }
}

fn add(a: Decimal, x: Decimal, what: &'static str) -> Result<Decimal, Overflow> {
    a.checked_add(x).map_err(|_| Overflow(what))
}

/// `sum / n`, 4 places.
fn avg(sum: Decimal, n: usize, what: &'static str) -> Result<Option<Decimal>, Overflow> {
    if n == 0 {
        return Ok(None);
    }
    let n = i64::try_from(n).map_err(|_| Overflow(what))?;
    sum.div(Decimal::from_i64(n), Round::HalfEven)
        .and_then(|a| a.round_dp(4, Round::HalfEven))
        .map(Some)
        .map_err(|_| Overflow(what))
}

fn spread3(mut v: Vec<Decimal>, what: &'static str) -> Result<Spread3, Overflow> {
    v.sort();
    let rank = |q: usize| {
        // Nearest rank: the ⌈q/100 × n⌉-th value.
        let k = (q * v.len()).div_ceil(100).max(1);
        v.get(k - 1).copied()
    };
    let sum = v.iter().try_fold(Decimal::ZERO, |a, &x| add(a, x, what))?;
    Ok(Spread3 {
        count: v.len(),
        avg: avg(sum, v.len(), what)?,
        p50: rank(50),
        p95: rank(95),
    })
}

/// Follows positions group by group and cuts the groups into round trips (module doc).
fn round_trips(groups: &[&GroupSummary]) -> Result<(Vec<RoundTrip>, Vec<usize>), Overflow> {
    let mut held: BTreeMap<(&str, &str), Decimal> = BTreeMap::new();
    let (mut trips, mut open, mut pnl) = (Vec::new(), Vec::new(), Amounts::default());
    let mut unpriced = 0;
    for g in groups {
        if g.legs.iter().all(|l| l.filled_qty.is_zero()) {
            continue; // traded nothing: no part of any round trip
        }
        for l in &g.legs {
            let pos = held.entry((&l.venue, &l.instrument)).or_default();
            let net = if l.side == "sell" {
                l.net_qty.neg()
            } else {
                l.net_qty
            };
            *pos = add(*pos, net, "a position")?;
            match l.flow_quote {
                Some(flow) => pnl.add(l.money_currency(), flow, "a round trip's P&L")?,
                None => unpriced += 1,
            }
        }
        open.push(g.id);
        if held.values().all(|p| p.is_zero()) {
            trips.push(RoundTrip {
                groups: std::mem::take(&mut open),
                pnl_quote: std::mem::take(&mut pnl),
                unpriced_legs: std::mem::take(&mut unpriced),
            });
        }
    }
    Ok((trips, open))
}

impl Stats {
    /// Statistics of `groups` (in end order) kept by `filter`.
    pub fn compute(groups: &[GroupSummary], filter: &Filter) -> Result<Stats, StatsError> {
        // The last end of each group.
        let mut last: BTreeMap<usize, &GroupSummary> = BTreeMap::new();
        for g in groups.iter().filter(|g| filter.keeps(g)) {
            last.insert(g.id, g);
        }
        let last: Vec<&GroupSummary> = last.into_values().collect();
        let mut outcomes: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
        let (mut filled, mut incidents, mut unpriced) = (0, 0, 0);
        let (mut exp, mut act, mut ms) = (Vec::new(), Vec::new(), Decimal::ZERO);
        let (mut fees, mut loss, mut shortfall) =
            (Amounts::default(), Amounts::default(), Amounts::default());
        for g in &last {
            *outcomes
                .entry(g.policy.clone())
                .or_default()
                .entry(g.outcome.clone())
                .or_default() += 1;
            filled += usize::from(g.outcome == "filled");
            ms = add(ms, g.duration_ms, "the execution time")?;
            for l in &g.legs {
                unpriced += usize::from(l.shortfall_quote.is_none());
                exp.extend(l.expected_slippage_bps);
                act.extend(l.slippage_bps);
                fees.add(l.money_currency(), l.fees, "the fees")?;
            }
            shortfall.add_all(&g.shortfall_quote, "the shortfall")?;
            if let Some(i) = &g.incident {
                incidents += 1;
                loss.add_all(&i.loss_quote, "the incidents' loss")?;
            }
        }
        let n = last.len();
        let (round_trips, open_groups) = round_trips(&last)?;
        let mut realised_pnl = Amounts::default();
        for t in &round_trips {
            realised_pnl.add_all(&t.pnl_quote, "the realised P&L")?;
        }
        let rate = avg(Decimal::from_i64(filled as i64), n, "the success rate")?;
        Ok(Stats {
            executions: n,
            filled,
            success_rate: rate.unwrap_or(Decimal::ZERO),
            outcomes,
            expected_slippage_bps: spread3(exp, "the expected slippage")?,
            actual_slippage_bps: spread3(act, "the actual slippage")?,
            avg_execution_ms: avg(ms, n, "the execution time")?,
            total_fees: fees,
            incidents,
            incident_loss: loss,
            shortfall_quote: shortfall,
            shortfall_unpriced_legs: unpriced,
            round_trips,
            realised_pnl,
            open_groups,
        })
    }

    /// The statistics as a text table.
    pub fn table(&self) -> String {
        let o = |x: &Option<Decimal>| x.map_or_else(|| "-".to_string(), |x| x.to_string());
        let mut t = String::new();
        t += &format!(
            "executions      {}  (filled {}, success rate {})\n",
            self.executions, self.filled, self.success_rate
        );
        for (policy, by) in &self.outcomes {
            let parts: Vec<String> = by.iter().map(|(k, v)| format!("{k} {v}")).collect();
            t += &format!("  {policy:<16}{}\n", parts.join(", "));
        }
        for (name, s) in [
            ("expected slip", &self.expected_slippage_bps),
            ("actual slip", &self.actual_slippage_bps),
        ] {
            t += &format!(
                "{name:<16}avg {} bps  p50 {}  p95 {}  ({} legs)\n",
                o(&s.avg),
                o(&s.p50),
                o(&s.p95),
                s.count
            );
        }
        t += &format!("avg execution   {} ms\n", o(&self.avg_execution_ms));
        t += &format!("total fees      {}\n", self.total_fees.named(FEES));
        t += &format!(
            "shortfall       {}  (fills against the arrival mid, fees included{})\n",
            self.shortfall_quote.named(COST),
            match self.shortfall_unpriced_legs {
                0 => String::new(),
                n => format!("; {n} legs without an arrival mid left out"),
            }
        );
        t += &format!(
            "incidents       {}  ({})\n",
            self.incidents,
            self.incident_loss.named(LOSS)
        );
        t += &self.round_trip_table();
        t
    }

    /// The round trips (carry cycles) with their realised P&L, and what is still open.
    pub fn round_trip_table(&self) -> String {
        let mut t = format!(
            "round trips     {}  (realised {} net of fees)\n",
            self.round_trips.len(),
            self.realised_pnl.named(PNL)
        );
        for r in &self.round_trips {
            t += &format!(
                "  {:<16}{}\n",
                groups_text(&r.groups),
                r.pnl_quote.named(PNL)
            );
        }
        if !self.open_groups.is_empty() {
            t += &format!(
                "  open at the end: {} (a position is held; not realised)\n",
                groups_text(&self.open_groups)
            );
        }
        t
    }
}

/// `group 3` or `groups 0, 1`.
pub fn groups_text(ids: &[usize]) -> String {
    let list: Vec<String> = ids.iter().map(usize::to_string).collect();
    let s = if ids.len() == 1 { "" } else { "s" };
    format!("group{s} {}", list.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A one-leg group on venue `v`: `side`, net quantity and money flow.
    fn group(id: usize, v: &str, side: &str, filled: &str, flow: &str) -> GroupSummary {
        let leg = serde_json::json!({
            "venue": v, "instrument": "X", "side": side, "mode_used": "market",
            "target_qty": filled, "filled_qty": filled, "unwound_qty": "0",
            "net_qty": filled, "avg_price": null, "expected_price": null,
            "arrival_mid": "1", "slippage_bps": null, "expected_slippage_bps": null,
            "fees": "0", "quote": "USDT", "shortfall_quote": "0.5", "flow_quote": flow,
        });
        serde_json::from_value(serde_json::json!({
            "id": id, "strategy": "s", "policy": "rollback", "outcome": "filled",
            "duration_ms": "1", "wall_ms": id, "legs": [leg],
            "shortfall_quote": {"USDT": "0.5"}, "incident": null,
        }))
        .unwrap()
    }

    #[test]
    fn round_trips_run_from_flat_to_flat_and_skip_groups_that_traded_nothing() {
        let groups = [
            group(0, "a", "buy", "2", "-20"),
            group(1, "a", "sell", "0", "0"), // traded nothing
            group(2, "a", "sell", "1", "10.5"),
            group(3, "a", "sell", "1", "11"),
            group(4, "a", "buy", "1", "-9"),
        ];
        let s = Stats::compute(&groups, &Filter::default()).unwrap();
        assert_eq!(s.round_trips.len(), 1);
        assert_eq!(s.round_trips[0].groups, [0, 2, 3]);
        assert_eq!(s.realised_pnl.0["USDT"], Decimal::parse("1.5").unwrap());
        assert_eq!(s.open_groups, [4], "a position is held after group 4");
        assert_eq!(s.shortfall_quote.0["USDT"], Decimal::parse("2.5").unwrap());
        // From group 2 on (as `--since` would cut), the sells open a short: not flat.
        let cut = Filter {
            since_wall_ms: Some(2),
            ..Filter::default()
        };
        let s = Stats::compute(&groups, &cut).unwrap();
        assert!(s.round_trips.is_empty());
        assert_eq!(s.open_groups, [2, 3, 4]);
    }

    #[test]
    fn a_sum_past_the_range_is_an_error_not_a_dropped_value() {
        let max = Decimal::MAX.to_string();
        let groups = [
            group(0, "a", "buy", "1", &max),
            group(1, "a", "sell", "1", &max),
        ];
        let e = Stats::compute(&groups, &Filter::default()).unwrap_err();
        assert_eq!(e, StatsError(Overflow("a round trip's P&L")));
    }
}
