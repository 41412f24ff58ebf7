//! `legcore stats --from nats://HOST:PORT`: the fleet's execution statistics from the
//! journals its instances shipped to NATS JetStream (`legcore run --publish`, `legcore
//! ship`): each instance's statistics, the same numbers its own `legcore stats --journal`
//! gives (one function computes both), and the fleet's totals: executions, filled,
//! incidents, open groups, unhedged groups, fees and shortfall per currency, summed; the
//! success rate of the sums; and the figures that do not add (expected and actual
//! slippage avg/p50/p95, average execution time, outcomes per policy) computed over every
//! instance's groups together (each group once, by its last end).

use std::collections::BTreeMap;
use std::path::Path;

use legcore::journal::{read_bytes, Filter, GroupSummary, Stats};
use legcore::num::{Decimal, Round};
use legcore::runtime::ship;
use serde_json::{json, Map, Value};

use super::args::CliError;
use super::emit;

/// Each instance's journal bytes from the fleet's stream at `url`, by instance name.
pub fn journals(url: &str) -> Result<BTreeMap<String, Vec<u8>>, CliError> {
    let lines = ship::read_stream(url).map_err(|e| CliError::Input(e.to_string()))?;
    let mut journals: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for (instance, line) in lines {
        let j = journals.entry(instance).or_default();
        j.extend_from_slice(&line);
        j.push(b'\n');
    }
    Ok(journals)
}

/// How an instance's journal is named in errors and pages: stream and subject.
pub fn label(url: &str, instance: &str) -> String {
    format!("{url} legcore.journal.{instance}")
}

/// See the module doc.
pub fn stats(url: &str, filter: &Filter, as_json: bool) -> Result<u8, CliError> {
    let input = |e: &dyn std::fmt::Display| CliError::Input(e.to_string());
    let mut each = Map::new();
    let mut text = String::new();
    let mut all: Vec<GroupSummary> = Vec::new();
    for (instance, bytes) in &journals(url)? {
        let label = label(url, instance);
        let found = read_bytes(Path::new(&label), bytes).map_err(|e| input(&e))?;
        let groups: Vec<GroupSummary> = found.ended().map(|e| e.group.clone()).collect();
        let s = Stats::compute(&groups, filter).map_err(|e| input(&e))?;
        text += &format!("instance {instance}\n{}\n", s.table());
        each.insert(
            instance.clone(),
            serde_json::to_value(&s).unwrap_or_default(),
        );
        // Each group once, by its last end, numbered apart from other instances' groups.
        let last: BTreeMap<usize, GroupSummary> = groups.into_iter().map(|g| (g.id, g)).collect();
        for mut g in last.into_values() {
            g.id = all.len();
            all.push(g);
        }
    }
    let mut fleet = totals(&each).map_err(CliError::Input)?;
    let merged = Stats::compute(&all, filter).map_err(|e| input(&e))?;
    fleet_wide(&mut fleet, &merged);
    if as_json {
        let doc = json!({ "instances": each, "fleet": fleet });
        emit(&format!("{doc}\n"))?;
    } else {
        text += &fleet_text(each.len(), &fleet, &merged);
        emit(&text)?;
    }
    Ok(0)
}

/// The figures that do not add, over all the fleet's groups.
fn fleet_wide(fleet: &mut Value, merged: &Stats) {
    let whole = serde_json::to_value(merged).unwrap_or_default();
    for k in [
        "expected_slippage_bps",
        "actual_slippage_bps",
        "avg_execution_ms",
        "outcomes",
    ] {
        fleet[k] = whole[k].clone();
    }
}

fn fleet_text(instances: usize, fleet: &Value, merged: &Stats) -> String {
    let o = |x: &Option<Decimal>| x.map_or_else(|| "-".to_string(), |x| x.to_string());
    let (e, a) = (&merged.expected_slippage_bps, &merged.actual_slippage_bps);
    format!(
        "fleet ({instances} instances): {} executions, {} filled (success rate {}), {} \
         incidents, {} unhedged, {} open groups, fees {}, shortfall {}\n  slippage \
         expected avg {} bps p50 {} p95 {}, actual avg {} bps p50 {} p95 {}; average \
         execution {} ms\n",
        fleet["executions"],
        fleet["filled"],
        fleet["success_rate"].as_str().unwrap_or("-"),
        fleet["incidents"],
        fleet["unhedged"],
        fleet["open_groups"],
        fleet["total_fees"],
        fleet["shortfall_quote"],
        o(&e.avg),
        o(&e.p50),
        o(&e.p95),
        o(&a.avg),
        o(&a.p50),
        o(&a.p95),
        o(&merged.avg_execution_ms),
    )
}

/// The instances' additive figures summed (decimals exactly, per currency).
fn totals(each: &Map<String, Value>) -> Result<Value, String> {
    let count = |k: &str| {
        each.values()
            .map(|s| s[k].as_u64().unwrap_or(0))
            .sum::<u64>()
    };
    let (executions, filled) = (count("executions"), count("filled"));
    let rate = if executions == 0 {
        Value::Null
    } else {
        let r = Decimal::from_i64(filled as i64)
            .div(Decimal::from_i64(executions as i64), Round::HalfEven)
            .and_then(|r| r.round_dp(4, Round::HalfEven))
            .map_err(|e| e.to_string())?;
        Value::String(r.with_dp(4).to_string())
    };
    Ok(json!({
        "instances": each.len(),
        "executions": executions,
        "filled": filled,
        "success_rate": rate,
        "incidents": count("incidents"),
        "unhedged": unhedged(each),
        "open_groups": each
            .values()
            .map(|s| s["open_groups"].as_array().map_or(0, Vec::len) as u64)
            .sum::<u64>(),
        "total_fees": money(each, "total_fees")?,
        "shortfall_quote": money(each, "shortfall_quote")?,
    }))
}

/// Groups that ended unhedged, over every instance and policy.
fn unhedged(each: &Map<String, Value>) -> u64 {
    each.values()
        .flat_map(|s| s["outcomes"].as_object().into_iter().flatten())
        .map(|(_, by)| by["unhedged"].as_u64().unwrap_or(0))
        .sum()
}

/// `{currency: amount}` maps under `key`, summed exactly.
fn money(each: &Map<String, Value>, key: &str) -> Result<Value, String> {
    let mut sum: BTreeMap<String, Decimal> = BTreeMap::new();
    for s in each.values() {
        for (ccy, v) in s[key].as_object().into_iter().flatten() {
            let x = Decimal::parse(v.as_str().unwrap_or_default())
                .map_err(|e| format!("{key}.{ccy}: {e}"))?;
            let t = sum.entry(ccy.clone()).or_insert(Decimal::ZERO);
            *t = t.checked_add(x).map_err(|e| format!("{key}.{ccy}: {e}"))?;
        }
    }
    Ok(sum
        .into_iter()
        .map(|(k, v)| (k, Value::String(v.to_string())))
        .collect::<Map<_, _>>()
        .into())
}
