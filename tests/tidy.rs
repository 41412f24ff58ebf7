//! Style as a failing test (TigerBeetle's `tidy.zig`): line length, the sans-IO rule for
//! the core modules, the simulator kept behind the venue protocol, and no stubs or
//! silenced tests.

use std::fs;
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn files(dirs: &[&str]) -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = Vec::new();
    for d in dirs {
        rust_files(&root.join(d), &mut paths);
    }
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let text = fs::read_to_string(&p).unwrap();
            (p, text)
        })
        .collect()
}

#[test]
fn lines_fit_in_100_columns() {
    let mut long = Vec::new();
    for (path, text) in files(&["src", "tests", "benches", "examples", "fuzz/fuzz_targets"]) {
        for (i, line) in text.lines().enumerate() {
            // Raw-string test data (real venue messages) is kept verbatim.
            if line.chars().count() > 100 && !line.contains("r#\"") {
                long.push(format!("{}:{}", path.display(), i + 1));
            }
        }
    }
    assert!(
        long.is_empty(),
        "lines over 100 columns:\n{}",
        long.join("\n")
    );
}

/// The core takes time and events as arguments and does no I/O: no clocks, threads,
/// files, sockets or printing in these modules (tests at the foot of a file excepted).
#[test]
fn core_modules_are_sans_io() {
    let banned = [
        "Instant::now",
        "SystemTime::now",
        "thread::spawn",
        "std::fs",
        "std::net",
        "println!",
        "eprintln!",
        "print!(",
    ];
    let mut hits = Vec::new();
    for (path, text) in files(&[
        "src/num",
        "src/book",
        "src/walk",
        "src/instrument",
        "src/sizing",
        "src/leg",
        "src/risk",
        "src/sim",
        "src/group",
        "src/venue",
        "src/engine",
        "src/fix/codec",
        "src/fix/session",
    ]) {
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        for (i, line) in code.lines().enumerate() {
            for b in banned {
                if line.contains(b) {
                    hits.push(format!("{}:{}: {b}", path.display(), i + 1));
                }
            }
        }
    }
    assert!(hits.is_empty(), "I/O in the core:\n{}", hits.join("\n"));
}

/// The engine, runtime and journal speak the venue protocol (`src/venue`), never the
/// simulator: only what builds simulated venues (scenario, CLI) and tests may name it.
#[test]
fn only_scenario_and_cli_know_the_simulator() {
    let mut hits = Vec::new();
    let dirs = [
        "src/runtime",
        "src/journal",
        "src/venue",
        "src/engine",
        "src/strategy",
    ];
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let present: Vec<&str> = dirs.into_iter().filter(|d| root.join(d).exists()).collect();
    for (path, text) in files(&present) {
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        for (i, line) in code.lines().enumerate() {
            let doc = line.trim_start().starts_with("//");
            if !doc && (line.contains("crate::sim") || line.contains("legcore::sim")) {
                hits.push(format!("{}:{}", path.display(), i + 1));
            }
        }
    }
    assert!(
        hits.is_empty(),
        "the simulator named in:\n{}",
        hits.join("\n")
    );
}

#[test]
fn no_stubs_or_silenced_tests() {
    let banned = ["todo!(", "unimplemented!(", "#[ignore", "assert!(true)"];
    let mut hits = Vec::new();
    for (path, text) in files(&["src", "tests", "benches"]) {
        if path.ends_with("tidy.rs") {
            continue;
        }
        for (i, line) in text.lines().enumerate() {
            for b in banned {
                if line.contains(b) {
                    hits.push(format!("{}:{}: {b}", path.display(), i + 1));
                }
            }
        }
    }
    assert!(hits.is_empty(), "stubs:\n{}", hits.join("\n"));
}

#[test]
fn unsafe_code_lives_in_one_module_with_safety_comments() {
    let allowed = Path::new("src/runtime/ring.rs");
    for (path, text) in files(&["src"]) {
        let rel = path
            .strip_prefix(env!("CARGO_MANIFEST_DIR"))
            .unwrap_or(&path);
        let code: Vec<&str> = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect();
        let blocks = code.iter().filter(|l| l.contains("unsafe {")).count()
            + code.iter().filter(|l| l.contains("unsafe impl")).count();
        if rel == allowed {
            let safety = text.matches("// SAFETY:").count();
            assert!(
                blocks > 0 && safety >= blocks,
                "{rel:?}: {blocks} unsafe, {safety} SAFETY"
            );
        } else {
            assert_eq!(blocks, 0, "{rel:?}: unsafe code outside {allowed:?}");
            let allows = code.iter().any(|l| l.contains("allow(unsafe_code)"));
            assert!(!allows, "{rel:?}: allows unsafe code");
        }
    }
}

/// Longest function body in `src/` (signature to closing brace), lines.
const MAX_FN_LINES: usize = 70;

/// Functions that were longer than [`MAX_FN_LINES`] when the rule came in, with their
/// length then. A ratchet (TigerBeetle's): an entry may only shrink, and goes once the
/// function fits; no new entry may be added.
const LONG_FNS: &[(&str, &str, usize)] = &[];

/// `(file, name, lines)` of every function in `code`, found by indentation: a body ends
/// at the first line that is its signature's indentation followed by `}`. Bodiless
/// declarations (trait methods ending in `;`) are skipped.
fn functions(code: &str) -> Vec<(String, usize)> {
    let lines: Vec<&str> = code.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim_start();
        let t = t.strip_prefix("pub(crate) ").unwrap_or(t);
        let t = t.strip_prefix("pub(super) ").unwrap_or(t);
        let t = t.strip_prefix("pub ").unwrap_or(t);
        let t = t.strip_prefix("const ").unwrap_or(t);
        let t = t.strip_prefix("unsafe ").unwrap_or(t);
        let Some(rest) = t.strip_prefix("fn ") else {
            continue;
        };
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let indent = &line[..line.len() - line.trim_start().len()];
        let close = format!("{indent}}}");
        let opened = lines[i..]
            .iter()
            .position(|l| l.trim_end().ends_with('{') || l.trim_end().ends_with(';'));
        let Some(o) = opened else { continue };
        if lines[i + o].trim_end().ends_with(';') {
            continue;
        }
        let end = lines[i + o..].iter().position(|l| l.trim_end() == close);
        if let Some(e) = end {
            out.push((name, o + e + 1));
        }
    }
    out
}

#[test]
fn functions_fit_on_a_screen() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut found = Vec::new();
    for (path, text) in files(&["src"]) {
        let rel = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .display()
            .to_string();
        if rel.ends_with("tests.rs") || rel.ends_with("proptests.rs") {
            continue;
        }
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        for (name, n) in functions(code) {
            found.push((rel.clone(), name, n));
        }
    }
    let mut problems = Vec::new();
    for (file, name, n) in &found {
        let listed = LONG_FNS.iter().find(|(f, g, _)| f == file && g == name);
        match listed {
            None if *n > MAX_FN_LINES => problems.push(format!(
                "{file}: fn {name} is {n} lines (at most {MAX_FN_LINES}): split it"
            )),
            Some((_, _, max)) if n > max => problems.push(format!(
                "{file}: fn {name} grew to {n} lines (the ratchet allows {max})"
            )),
            Some((_, _, max)) if n < max => problems.push(format!(
                "{file}: fn {name} shrank to {n} lines: lower its entry in LONG_FNS to {n}{}",
                if *n <= MAX_FN_LINES {
                    " (or remove it)"
                } else {
                    ""
                }
            )),
            _ => {}
        }
    }
    for (file, name, _) in LONG_FNS {
        if !found.iter().any(|(f, g, _)| f == file && g == name) {
            problems.push(format!(
                "{file}: fn {name} is gone: remove it from LONG_FNS"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "function length:\n{}",
        problems.join("\n")
    );
}

/// The Debug format specs (`{:?}`, `{x:?}`, `{0:#?}`) on a line: `{`, an optional
/// argument, `:`, flags, `?` and `}`, with no brace between.
fn debug_specs(line: &str) -> usize {
    let mut n = 0;
    for (end, _) in line.match_indices("?}") {
        let Some(open) = line[..end].rfind('{') else {
            continue;
        };
        let spec = &line[open + 1..end];
        let escaped = line[..open].ends_with('{');
        if let Some((arg, flags)) = spec.split_once(':') {
            let arg_ok = arg
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '.');
            let flags_ok = !flags.contains(['{', '}', ':', '"', ' ']);
            n += usize::from(arg_ok && flags_ok && !escaped);
        }
    }
    n
}

/// Files where Debug formatting may stay, with how many specs and why. Each entry must
/// still match its count, so the list only shrinks.
const DEBUG_ALLOWED: &[(&str, usize, &str)] = &[];

/// People read what legcore prints (stdout, stderr, error messages, the report page, the
/// journal's summaries): none of it is Debug text (`Flat { until_ns: 1 }`, `"x"` as Rust
/// escapes it). Values are shown with Display, a named formatter (`text::Quoted` for user
/// input) or a name (`Outcome::name`). Tests at the foot of a file, `tests.rs` and
/// `proptests.rs` files are exempt: their messages are for developers.
#[test]
fn no_debug_formatting_in_user_output() {
    let mut hits = Vec::new();
    let mut counts: Vec<(String, usize)> = Vec::new();
    for (path, text) in files(&["src"]) {
        let rel = path
            .strip_prefix(env!("CARGO_MANIFEST_DIR"))
            .unwrap_or(&path)
            .display()
            .to_string();
        if rel.ends_with("/tests.rs") || rel.ends_with("/proptests.rs") {
            continue;
        }
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        let mut n = 0;
        for (i, line) in code.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            let k = debug_specs(line);
            if k > 0 && !DEBUG_ALLOWED.iter().any(|(f, _, _)| rel == *f) {
                hits.push(format!("{rel}:{}: {}", i + 1, line.trim()));
            }
            n += k;
        }
        counts.push((rel, n));
    }
    assert!(
        hits.is_empty(),
        "Debug formatting in user-facing text (use Display, text::Quoted or a name):\n{}",
        hits.join("\n")
    );
    for (file, allowed, why) in DEBUG_ALLOWED {
        let found = counts.iter().find(|(f, _)| f == file).map_or(0, |c| c.1);
        assert_eq!(
            found, *allowed,
            "{file}: {found} Debug specs, {allowed} allowed ({why}); shrink the allow-list"
        );
    }
}

#[test]
fn the_debug_spec_finder_finds_them() {
    assert_eq!(debug_specs(r#"format!("{:?} and {x:?} and {0:#?}")"#), 3);
    assert_eq!(debug_specs(r#"format!("{} {x} {y:>10} {{:?}}")"#), 0);
    assert_eq!(debug_specs("let x = a?}"), 0);
}
