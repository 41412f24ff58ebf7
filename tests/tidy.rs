//! Style as a failing test (TigerBeetle's `tidy.zig`): line length, the sans-IO rule for
//! the core modules, and no stubs or silenced tests.

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
        "src/engine",
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
