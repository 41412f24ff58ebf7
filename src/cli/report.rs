//! `legcore report --journal DIR --out DIR`: the static HTML page of a run
//! (`OUT/index.html`); the page itself is made in [`legcore::report`].

use std::path::Path;

use legcore::report::Journal;

use super::args::{CliError, Flags};
use super::emit;

pub fn run(args: &[String]) -> Result<u8, CliError> {
    let f = Flags::parse(args, &["--journal", "--out"], &[])?;
    let dir = f.required("--journal")?;
    let out = f.required("--out")?;
    let journal = Journal::load(Path::new(dir)).map_err(|e| CliError::Input(e.to_string()))?;
    if journal.cut_bytes > 0 {
        eprintln!(
            "note: {} ends in a torn record ({} bytes), not counted",
            dir, journal.cut_bytes
        );
    }
    let html = journal.html().map_err(|e| CliError::Input(e.to_string()))?;
    let index = Path::new(out).join("index.html");
    let write_err = |e: std::io::Error| {
        CliError::Input(format!("--out: cannot write {}: {e}", index.display()))
    };
    std::fs::create_dir_all(out).map_err(write_err)?;
    std::fs::write(&index, html).map_err(write_err)?;
    emit(&format!("{}\n", index.display()))?;
    Ok(0)
}
