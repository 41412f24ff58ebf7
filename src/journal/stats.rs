//! [`Stats`]: the tracker's statistics over ended groups, exact where they are money.
//! `legcore stats` computes them from a journal's `ended` lines and `legcore run` from
//! its own summaries, with this one function, so the two agree to the digit.
//!
//! A group that ended twice (a late fill reopened it) counts once, with its last end.
//! Percentiles are nearest-rank over the legs' decimal values; averages are rounded
//! half-even to 4 places.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::summary::GroupSummary;
use crate::num::{Decimal, Round};

/// Average, p50 and p95 of a set of bps values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Spread3 {
    /// Values.
    pub count: usize,
    /// Mean, 4 places.
    pub avg: Option<String>,
    /// Nearest-rank median.
    pub p50: Option<String>,
    /// Nearest-rank 95th percentile.
    pub p95: Option<String>,
}

/// Statistics over ended groups.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Groups that ended.
    pub executions: usize,
    /// Of those, filled as asked.
    pub filled: usize,
    /// filled / executions, 4 places.
    pub success_rate: String,
    /// Outcome counts by policy.
    pub outcomes: BTreeMap<String, BTreeMap<String, usize>>,
    /// Expected slippage per leg (the walk against the arrival mid), bps.
    pub expected_slippage_bps: Spread3,
    /// Actual slippage per leg (the fills against the arrival mid), bps.
    pub actual_slippage_bps: Spread3,
    /// Mean time from the entries to the end, ms.
    pub avg_execution_ms: Option<String>,
    /// Every fee, quote (legs may quote in different currencies; here all are USDT).
    pub total_fees: String,
    /// Groups with an incident.
    pub incidents: usize,
    /// Their realised loss, quote.
    pub incident_loss: String,
}

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

fn d(text: &str) -> Option<Decimal> {
    Decimal::parse(text).ok()
}

fn avg(sum: Decimal, n: usize) -> Option<String> {
    (n > 0).then(|| {
        sum.div(Decimal::from_i64(n as i64), Round::HalfEven)
            .and_then(|a| a.round_dp(4, Round::HalfEven))
            .map_or_else(|_| "overflow".to_string(), |a| a.to_string())
    })
}

fn spread3(mut v: Vec<Decimal>) -> Spread3 {
    v.sort();
    let rank = |q: usize| {
        // Nearest rank: the ⌈q/100 × n⌉-th value.
        let k = (q * v.len()).div_ceil(100).max(1);
        v.get(k - 1).map(|x| x.to_string())
    };
    let sum = v
        .iter()
        .fold(Decimal::ZERO, |a, &x| a.checked_add(x).unwrap_or(a));
    Spread3 {
        count: v.len(),
        avg: avg(sum, v.len()),
        p50: rank(50),
        p95: rank(95),
    }
}

impl Stats {
    /// Statistics of `groups` (in end order) kept by `filter`.
    pub fn compute(groups: &[GroupSummary], filter: &Filter) -> Stats {
        // The last end of each group.
        let mut last: BTreeMap<usize, &GroupSummary> = BTreeMap::new();
        for g in groups.iter().filter(|g| filter.keeps(g)) {
            last.insert(g.id, g);
        }
        let mut outcomes: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
        let (mut filled, mut incidents) = (0, 0);
        let (mut exp, mut act) = (Vec::new(), Vec::new());
        let (mut ms, mut fees, mut loss) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
        let add =
            |a: Decimal, x: Option<Decimal>| x.and_then(|x| a.checked_add(x).ok()).unwrap_or(a);
        for g in last.values() {
            *outcomes
                .entry(g.policy.clone())
                .or_default()
                .entry(g.outcome.clone())
                .or_default() += 1;
            filled += usize::from(g.outcome == "filled");
            ms = add(ms, d(&g.duration_ms));
            for l in &g.legs {
                exp.extend(l.expected_slippage_bps.as_deref().and_then(d));
                act.extend(l.slippage_bps.as_deref().and_then(d));
                fees = add(fees, d(&l.fees));
            }
            if let Some(i) = &g.incident {
                incidents += 1;
                loss = add(loss, d(&i.loss_quote));
            }
        }
        let n = last.len();
        let rate = if n == 0 {
            Decimal::ZERO
        } else {
            Decimal::from_i64(filled as i64)
                .div(Decimal::from_i64(n as i64), Round::HalfEven)
                .and_then(|r| r.round_dp(4, Round::HalfEven))
                .unwrap_or(Decimal::ZERO)
        };
        Stats {
            executions: n,
            filled,
            success_rate: rate.to_string(),
            outcomes,
            expected_slippage_bps: spread3(exp),
            actual_slippage_bps: spread3(act),
            avg_execution_ms: avg(ms, n),
            total_fees: fees.to_string(),
            incidents,
            incident_loss: loss.to_string(),
        }
    }

    /// The statistics as a text table.
    pub fn table(&self) -> String {
        let o = |x: &Option<String>| x.clone().unwrap_or_else(|| "-".to_string());
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
        t += &format!("total fees      {}\n", self.total_fees);
        t += &format!(
            "incidents       {}  (loss {})\n",
            self.incidents, self.incident_loss
        );
        t
    }
}
