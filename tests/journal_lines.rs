//! The journal's typed lines as a reader meets them: a whole, correctly sealed line that
//! is not a line of the schema (bad JSON, no kind, an unknown kind, a missing field, a
//! wrong type, a bad decimal, a Debug name) is refused with its line number and what is
//! wrong, never defaulted; a journal of the untyped format before schema 2 (the fixture
//! in `tests/fixtures/journal-v1`, written by legcore at 303d351) or of another schema
//! is refused by every command with one message, and left as it is.

mod common;

use std::path::{Path, PathBuf};

use common::{refused, tmp};
use legcore::journal::line::{to_json, Line, LineError, Opened, SCHEMA};
use legcore::journal::{path_in, read, seal, JournalError};

/// A `started` line (job 0, one leg) as record `seq`, unsealed.
fn started(seq: u64) -> String {
    let rest = concat!(
        r#""kind":"started","job":0,"t_ns":5,"strategy":"lines","#,
        r#""policy":"rollback","legs":[{"venue_index":0,"book":0,"venue":"v","#,
        r#""instrument":"BTCUSDT","side":"buy","qty_lots":80,"qty":"0.080","#,
        r#""bid_ticks":99,"ask_ticks":101,"mode":"limit","timeout_ns":5000000}]}"#
    );
    format!("{{\"seq\":{seq},{rest}")
}

/// A journal's first two lines: the `opened` line and a `started` line, sealed.
fn head() -> String {
    let opened = to_json(1, &Line::Opened(Opened::now("lines"))).unwrap();
    format!("{}{}", seal(&opened), seal(&started(2)))
}

/// Writes `text` as the journal in a fresh directory; returns the journal's path.
fn journal(name: &str, text: &str) -> PathBuf {
    let d = tmp(name);
    std::fs::write(path_in(&d), text).unwrap();
    path_in(&d)
}

/// The error reading `head()` followed by the sealed `third` line.
fn third_line_error(name: &str, third: &str) -> (usize, LineError, String) {
    let path = journal(name, &format!("{}{}", head(), seal(third)));
    match read(&path, false) {
        Err(e @ JournalError::Line { .. }) => {
            let text = e.to_string();
            let JournalError::Line { line, why, .. } = e else {
                unreachable!("matched above")
            };
            (line, why, text)
        }
        other => panic!("{name}: not refused as a bad line: {other:?}"),
    }
}

#[test]
fn a_good_head_reads_as_typed_lines() {
    let path = journal("good", &head());
    let found = read(&path, false).unwrap();
    assert_eq!(found.records.len(), 2);
    let Line::Started(s) = &found.records[1] else {
        panic!("not a started line: {:?}", found.records[1])
    };
    assert_eq!(
        (s.legs[0].qty.to_string(), s.legs[0].qty_lots),
        ("0.080".into(), 80)
    );
}

#[test]
fn each_kind_of_bad_line_is_refused_with_its_number_and_what_is_wrong() {
    let sent = r#"{"seq":3,"kind":"sent","job":0,"leg":0,"part":0,"venue_index":1,"client_id":3,"t_ns":9,"cmd":"cancel","slot":0}"#;
    let started = started(3);
    let report = r#"{"seq":3,"kind":"report","job":0,"client_id":3,"taken":true,"t_ns":9,"event":"rejected""#;
    let cases: Vec<(&str, String, &[&str])> = vec![
        (
            "json",
            r#"{"seq":3,"kind":"sent" "job":0}"#.into(),
            &["not a JSON object"],
        ),
        ("no-kind", r#"{"seq":3,"job":0}"#.into(), &["no `kind`"]),
        (
            "unknown",
            r#"{"seq":3,"kind":"teleported","job":0}"#.into(),
            &["unknown kind `teleported`"],
        ),
        (
            "missing",
            sent.replace(r#""client_id":3,"#, ""),
            &["a `sent` line: missing field `client_id`"],
        ),
        (
            "no-venue",
            sent.replace(r#""venue_index":1,"#, ""),
            &["a `sent` line: missing field `venue_index`"],
        ),
        (
            "type",
            sent.replace(r#""job":0"#, r#""job":"zero""#),
            &["field `job` (column", "invalid type: string \"zero\""],
        ),
        (
            "negative",
            sent.replace(r#""job":0"#, r#""job":-1"#),
            &["field `job`", "invalid value: integer `-1`"],
        ),
        (
            "decimal",
            started.replace(r#""qty":"0.080""#, r#""qty":"0.0.8""#),
            &["field `legs[0].qty`", "`0.0.8` is not a decimal"],
        ),
        (
            "number",
            started.replace(r#""qty":"0.080""#, r#""qty":0.08"#),
            &["field `legs[0].qty`", "invalid type: floating point"],
        ),
        (
            "debug-name",
            started.replace(r#""side":"buy""#, r#""side":"Buy""#),
            &["field `legs[0].side`", "unknown variant `Buy`"],
        ),
        (
            "order-ref",
            sent.replace(r#""client_id":3"#, r#""client_id":7"#),
            &["field `client_id`", "slot 7 is out of range"],
        ),
        (
            "no-reason",
            format!("{report}}}"),
            &["a `report` line: missing field `reason`"],
        ),
        (
            "no-fee",
            format!(
                "{}}}",
                report.replace(
                    r#""rejected""#,
                    r#""filled","trade_id":1,"fill_lots":2,"fill_price_ticks":3,"liquidity":"maker","at_ns":4"#
                )
            ),
            &["a `report` line: missing field `fee_tl_e8`"],
        ),
        (
            "debug-cmd",
            sent.replace(r#""cmd":"cancel""#, r#""cmd":"Cancel { slot: 0 }""#),
            &["unknown variant `Cancel { slot: 0 }`"],
        ),
    ];
    for (name, third, wants) in cases {
        let (line, why, text) = third_line_error(name, &third);
        assert_eq!(line, 3, "{name}: {text}");
        assert!(text.contains("line 3: "), "{name}: {text}");
        for want in wants {
            assert!(text.contains(want), "{name}: {want} not in {text}");
        }
        let kind_ok = match name {
            "json" => matches!(why, LineError::NotJson(_)),
            "no-kind" => why == LineError::NoKind,
            "unknown" => why == LineError::UnknownKind("teleported".into()),
            _ => matches!(why, LineError::Field { .. }),
        };
        assert!(kind_ok, "{name}: {why:?}");
    }
}

#[test]
fn a_bad_line_is_refused_by_the_commands_with_one_error_line() {
    let sent = r#"{"seq":3,"kind":"sent","job":0,"leg":0,"part":0,"venue_index":1,"t_ns":9,"cmd":"cancel","slot":0}"#;
    let path = journal("cli-bad-line", &format!("{}{}", head(), seal(sent)));
    let dir = path.parent().unwrap().to_str().unwrap();
    let err = refused(&["stats", "--journal", dir]);
    assert!(
        err.contains("line 3: a `sent` line: missing field `client_id`"),
        "{err}"
    );
}

/// A copy of the committed old-format journal (and its run.json) in a fresh directory.
fn old_journal(name: &str) -> PathBuf {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/journal-v1");
    let d = tmp(name);
    for f in ["journal.jsonl", "run.json"] {
        std::fs::copy(fixture.join(f), d.join(f)).unwrap();
    }
    d
}

#[test]
fn an_old_format_journal_is_refused_by_every_command_and_left_as_it_is() {
    let d = old_journal("old");
    let before = std::fs::read(path_in(&d)).unwrap();
    assert!(matches!(
        read(&path_in(&d), false),
        Err(JournalError::OldFormat { .. })
    ));
    let j = d.to_str().unwrap();
    let out = d.join("page");
    let scenario = format!("{}/scenarios/carry.toml", env!("CARGO_MANIFEST_DIR"));
    for args in [
        vec!["stats", "--journal", j],
        vec!["report", "--journal", j, "--out", out.to_str().unwrap()],
        vec!["run", "--resume", "--journal", j],
        vec!["run", "--quiet", "--scenario", &scenario, "--journal", j],
    ] {
        let err = refused(&args);
        assert!(
            err.contains("written by an older legcore")
                && err.contains(&format!("reads schema {SCHEMA}"))
                && err.contains("new --journal directory"),
            "{args:?}: {err}"
        );
    }
    assert_eq!(std::fs::read(path_in(&d)).unwrap(), before);
    assert!(!out.join("index.html").exists());
}

#[test]
fn a_journal_of_another_schema_is_refused_naming_both_versions() {
    let opened = to_json(1, &Line::Opened(Opened::now("x"))).unwrap();
    // 2: `sent` lines without their venue, `report` lines without reason and fee.
    for (schema, by) in [(1, "an older"), (2, "an older"), (SCHEMA + 1, "a newer")] {
        let line = opened.replace(
            &format!("\"schema\":{SCHEMA}"),
            &format!("\"schema\":{schema}"),
        );
        let path = journal(&format!("schema-{schema}"), &seal(&line));
        let err = read(&path, false).unwrap_err().to_string();
        assert!(
            err.contains(&format!("journal schema {schema}, written by {by} legcore"))
                && err.contains(&format!("reads schema {SCHEMA}")),
            "{err}"
        );
    }
}

#[test]
fn the_opened_line_must_come_first_and_a_torn_one_leaves_an_empty_journal() {
    // A journal that starts with a typed line but no `opened` line is not this schema.
    let path = journal("headless", &seal(&started(1)));
    assert!(matches!(
        read(&path, false),
        Err(JournalError::OldFormat { .. })
    ));
    // A crash while the first line was written: a torn tail, cut; nothing to refuse.
    let head = head();
    let torn = &head[..40];
    let path = journal("torn-head", torn);
    let found = read(&path, true).unwrap();
    assert_eq!((found.records.len(), found.cut_bytes), (0, 40));
    assert!(std::fs::read(&path).unwrap().is_empty());
}
