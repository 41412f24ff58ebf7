//! The `legcore` command line. All logic lives in the library; this binary parses
//! arguments, reads files, prints, and maps errors to exit codes (2 = bad input).

mod cli;

use std::process::ExitCode;

use legcore::text::Quoted;

fn main() -> ExitCode {
    let mut args = Vec::new();
    for a in std::env::args_os().skip(1) {
        match a.into_string() {
            Ok(s) => args.push(s),
            Err(raw) => {
                let raw = raw.to_string_lossy();
                eprintln!("error: argument {} is not valid UTF-8", Quoted(&raw));
                return ExitCode::from(2);
            }
        }
    }
    match cli::run(&args) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
