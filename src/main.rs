//! The `legcore` command line. All logic lives in the library; this binary parses
//! arguments, reads files, prints, and maps errors to exit codes (2 = bad input).

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match cli::run(&args) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
