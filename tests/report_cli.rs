//! `legcore report` end to end: a real run of the fault scenario at max speed with a
//! journal, then the page made from it; a missing and a corrupt journal.

use std::path::PathBuf;
use std::process::{Command, Output};

use legcore::num::Decimal;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_legcore");

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("legcore-report-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn legcore(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

/// The text of `<figure id="{id}">…</figure>`.
fn figure<'a>(html: &'a str, id: &str) -> &'a str {
    let open = format!("<figure id=\"{id}\">");
    let at = html.find(&open).unwrap_or_else(|| panic!("no figure {id}"));
    let rest = &html[at..];
    &rest[..rest.find("</figure>").unwrap()]
}

#[test]
fn the_fault_run_gives_a_self_contained_page_with_every_plot_and_incident() {
    let dir = tmp("faults");
    let (j, out, report) = (dir.join("j"), dir.join("out"), dir.join("r.json"));
    let (j, out, report) = (
        j.to_str().unwrap(),
        out.to_str().unwrap(),
        report.to_str().unwrap(),
    );
    let scenario = format!("{}/scenarios/carry_faults.toml", env!("CARGO_MANIFEST_DIR"));
    let run = legcore(&[
        "run",
        "--speed",
        "max",
        "--quiet",
        "--journal",
        j,
        "--report",
        report,
        "--scenario",
        &scenario,
    ]);
    assert!(matches!(run.status.code(), Some(0 | 3)), "{run:?}");
    let report: Value = serde_json::from_str(&std::fs::read_to_string(report).unwrap()).unwrap();

    let made = legcore(&["report", "--journal", j, "--out", out]);
    assert_eq!(made.status.code(), Some(0), "{made:?}");
    let html = std::fs::read_to_string(PathBuf::from(out).join("index.html")).unwrap();

    // Three plots, nothing fetched: the only URL is the SVG namespace.
    assert_eq!(html.matches("<svg").count(), 3);
    let namespace = "http://www.w3.org/2000/svg";
    let urls = html.matches("http://").count() + html.matches("https://").count();
    assert_eq!(urls, html.matches(namespace).count(), "a link out");
    for banned in ["<script", "<link", "@import", "src=", "url("] {
        assert!(!html.contains(banned), "{banned}");
    }

    // The header: strategy, groups and the same statistics as the run's.
    let name = report["scenario"].as_str().unwrap();
    assert!(html.contains(&format!("<h1>legcore report: {name}</h1>")));
    let groups = report["stats"]["executions"].as_u64().unwrap();
    assert!(groups > 0);
    assert!(
        html.contains(&format!(" · {groups} groups (")),
        "group count"
    );
    let rate = report["stats"]["success_rate"].as_str().unwrap();
    assert!(
        html.contains(&format!("success rate {rate})")),
        "stats table"
    );

    // Every incident of the run, by group id.
    let incidents: Vec<u64> = report["groups"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| !g["incident"].is_null())
        .map(|g| g["id"].as_u64().unwrap())
        .collect();
    assert!(!incidents.is_empty(), "the fault scenario has an incident");
    assert!(html.contains(&format!("<h2>Incidents ({})</h2>", incidents.len())));
    for id in &incidents {
        assert!(
            html.contains(&format!("data-group=\"{id}\"")),
            "incident {id}"
        );
    }
    // Each incident's loss names its sign and currency: a cost never reads as a gain.
    let g = report["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == incidents[0])
        .unwrap();
    let loss = Decimal::parse(g["incident"]["loss_quote"]["USDT"].as_str().unwrap()).unwrap();
    let word = if loss.is_negative() { "gain" } else { "loss" };
    let cell = format!("<td class=\"n\">{word} {} USDT</td>", loss.abs());
    let row = html
        .split(&format!("data-group=\"{}\"", incidents[0]))
        .nth(1)
        .unwrap();
    assert!(row.split("</tr>").next().unwrap().contains(&cell), "{cell}");
    // The statistics name the shortfall and the realised P&L like `legcore stats`.
    let stats = &report["stats"];
    let shortfall = stats["shortfall_quote"]["USDT"].as_str().unwrap();
    let shortfall = Decimal::parse(shortfall).unwrap();
    let sign = if shortfall.is_negative() {
        "gain"
    } else {
        "cost"
    };
    assert!(html.contains(&format!("<td>{sign} {} USDT (fills", shortfall.abs())));
    assert!(html.contains("<tr><th>round trips</th><td>"));
    // Each group's shortfall, as the run's table shows it (last end of each group).
    let mut per_group = std::collections::BTreeMap::new();
    for g in report["groups"].as_array().unwrap() {
        per_group.insert(g["id"].as_u64().unwrap(), &g["shortfall_quote"]);
    }
    assert!(html.contains(&format!("<h2>Groups ({})</h2>", per_group.len())));
    for (id, amounts) in &per_group {
        let named: Vec<String> = amounts
            .as_object()
            .unwrap()
            .iter()
            .map(|(quote, x)| {
                let x = Decimal::parse(x.as_str().unwrap()).unwrap();
                let word = if x.is_negative() { "gain" } else { "cost" };
                format!("{word} {} {quote}", x.abs())
            })
            .collect();
        let want = if named.is_empty() {
            "none".to_string()
        } else {
            named.join(", ")
        };
        let row = html
            .split(&format!("<tr data-shortfall-group=\"{id}\">"))
            .nth(1)
            .unwrap_or_else(|| panic!("no shortfall row for group {id}"));
        let cell = format!("<td class=\"n\">{want}</td></tr>");
        assert!(
            row.split('\n').next().unwrap().ends_with(&cell),
            "{id}: {cell}"
        );
    }

    // The latency plot: one line (and one legend entry) per stage that has values.
    let stages: Vec<&str> = report["latency_ns"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, v)| v["count"].as_u64().unwrap() > 0)
        .map(|(k, _)| k.as_str())
        .collect();
    assert!(stages.len() >= 4, "{stages:?}");
    let latency = figure(&html, "latency");
    for s in &stages {
        assert!(latency.contains(&format!(">\n{s}\n</text>")), "legend {s}");
        let row = format!("<tr data-stage=\"{s}\" data-points=\"");
        let at = html.find(&row).unwrap_or_else(|| panic!("row {s}")) + row.len();
        let points: usize = html[at..].split('"').next().unwrap().parse().unwrap();
        assert!(points > 0, "{s}");
    }
    // Series lines and their legend marks are the only 2 px strokes.
    let lines = latency
        .split("<polyline")
        .skip(1)
        .filter(|rest| {
            rest.split('>')
                .next()
                .unwrap()
                .contains("stroke-width=\"2\"")
        })
        .count();
    assert_eq!(lines, 2 * stages.len());

    // The scatter: a point per leg that filled (last end of each group) and a legend
    // mark per venue and instrument.
    let mut last = std::collections::BTreeMap::new();
    for g in report["groups"].as_array().unwrap() {
        last.insert(g["id"].as_u64().unwrap(), g);
    }
    let legs: Vec<&Value> = last
        .values()
        .flat_map(|g| g["legs"].as_array().unwrap())
        .filter(|l| !l["slippage_bps"].is_null() && !l["expected_slippage_bps"].is_null())
        .collect();
    assert!(!legs.is_empty());
    let venues: std::collections::BTreeSet<String> = legs
        .iter()
        .map(|l| format!("{} {}", l["venue"], l["instrument"]))
        .collect();
    let slippage = figure(&html, "slippage");
    assert_eq!(
        slippage.matches("<circle").count(),
        legs.len() + venues.len()
    );
    // The timeline: a point per group end.
    let ends = std::fs::read_to_string(PathBuf::from(j).join("journal.jsonl"))
        .unwrap()
        .matches("\"kind\":\"ended\"")
        .count();
    assert_eq!(figure(&html, "outcomes").matches("<circle").count(), ends);
}

#[test]
fn a_missing_or_corrupt_journal_exits_2_with_an_error() {
    let dir = tmp("bad");
    let out = dir.join("out");
    let out = out.to_str().unwrap();
    let missing = dir.join("nothing-here");
    let r = legcore(&[
        "report",
        "--journal",
        missing.to_str().unwrap(),
        "--out",
        out,
    ]);
    assert_eq!(r.status.code(), Some(2));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(
        err.starts_with("error: ") && err.contains("nothing-here"),
        "{err}"
    );
    assert!(!PathBuf::from(out).join("index.html").exists());

    // A journal whose first line fails its checksum: refused, never drawn.
    let j = dir.join("j");
    std::fs::create_dir_all(&j).unwrap();
    let a = legcore::journal::seal(r#"{"seq":1,"kind":"refused","t_ns":5}"#);
    let b = legcore::journal::seal(r#"{"seq":2,"kind":"refused","t_ns":6}"#);
    let bad = format!("{}{b}", a.replace("refused", "refusex"));
    std::fs::write(j.join("journal.jsonl"), bad).unwrap();
    let r = legcore(&["report", "--journal", j.to_str().unwrap(), "--out", out]);
    assert_eq!(r.status.code(), Some(2));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(
        err.starts_with("error: ") && err.contains("corrupt"),
        "{err}"
    );

    // Flags: --out is required.
    let r = legcore(&["report", "--journal", j.to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("--out"));
}
