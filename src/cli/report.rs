//! `legcore report --journal DIR --out DIR`: the static HTML page of a run
//! (`OUT/index.html`); the page itself is made in [`legcore::report`].
//! `legcore report --from nats://HOST:PORT --out DIR`: the fleet's page
//! (`OUT/index.html`) and each instance's own page (`OUT/<instance>/index.html`) from the
//! journals shipped to the stream.

use std::path::Path;

use legcore::report::{fleet_html, Journal};

use super::args::{CliError, Flags};
use super::emit;

pub fn run(args: &[String]) -> Result<u8, CliError> {
    let f = Flags::parse(args, &["--journal", "--out", "--from"], &[])?;
    let out = f.required("--out")?;
    if let Some(url) = f.get("--from") {
        if f.get("--journal").is_some() {
            return Err(CliError::Conflict("give --journal or --from, not both"));
        }
        return fleet(url, Path::new(out));
    }
    let dir = f.required("--journal")?;
    let journal = Journal::load(Path::new(dir)).map_err(|e| CliError::Input(e.to_string()))?;
    if journal.cut_bytes > 0 {
        eprintln!(
            "note: {} ends in a torn record ({} bytes), not counted",
            dir, journal.cut_bytes
        );
    }
    let html = journal.html().map_err(|e| CliError::Input(e.to_string()))?;
    let index = write_page(Path::new(out), &html)?;
    emit(&format!("{}\n", index.display()))?;
    Ok(0)
}

/// `OUT/index.html` for the fleet, `OUT/<instance>/index.html` for each instance.
fn fleet(url: &str, out: &Path) -> Result<u8, CliError> {
    let input = |e: legcore::report::ReportError| CliError::Input(e.to_string());
    let mut pages = Vec::new();
    for (instance, bytes) in super::fleet::journals(url)? {
        let label = super::fleet::label(url, &instance);
        let journal = Journal::from_bytes(Path::new(&label), &bytes).map_err(input)?;
        pages.push((instance, journal));
    }
    for (instance, journal) in &pages {
        write_page(&out.join(instance), &journal.html().map_err(input)?)?;
    }
    let index = write_page(out, &fleet_html(url, &pages).map_err(input)?)?;
    emit(&format!(
        "{} ({} instances)\n",
        index.display(),
        pages.len()
    ))?;
    Ok(0)
}

/// Writes `html` to `dir/index.html` (making `dir`); the path written.
fn write_page(dir: &Path, html: &str) -> Result<std::path::PathBuf, CliError> {
    let index = dir.join("index.html");
    let write_err = |e: std::io::Error| {
        CliError::Input(format!("--out: cannot write {}: {e}", index.display()))
    };
    std::fs::create_dir_all(dir).map_err(write_err)?;
    std::fs::write(&index, html).map_err(write_err)?;
    Ok(index)
}
