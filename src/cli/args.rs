//! A small strict flag reader: `--name value` and boolean `--name`; unknown flags,
//! repeats and missing values are errors that name the flag.

use std::collections::BTreeMap;

use legcore::text::Quoted;

/// A command-line error; printed as `error: …` with exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// No or an unknown command.
    #[error("unknown command {} (try `legcore help`)", Quoted(.0))]
    UnknownCommand(String),
    /// A flag that the command does not take.
    #[error("unknown option {0}")]
    UnknownFlag(String),
    /// A flag given twice.
    #[error("option {0} given twice")]
    Repeated(String),
    /// A flag without its value.
    #[error("option {0} needs a value")]
    MissingValue(String),
    /// A required flag is absent.
    #[error("missing required option {0}")]
    Missing(&'static str),
    /// A value that does not parse or is out of range.
    #[error("{flag}: {reason}")]
    BadValue {
        /// The flag.
        flag: &'static str,
        /// What is wrong, naming the value.
        reason: String,
    },
    /// Options that cannot be used together, or none of a required pair.
    #[error("{0}")]
    Conflict(&'static str),
    /// A file that cannot be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// Input that failed validation.
    #[error("{0}")]
    Input(String),
}

/// Parsed flags of one command.
pub struct Flags {
    values: BTreeMap<&'static str, String>,
    switches: Vec<&'static str>,
}

impl Flags {
    /// Parses `args` against the command's value flags and boolean switches.
    pub fn parse(
        args: &[String],
        valued: &[&'static str],
        switches: &[&'static str],
    ) -> Result<Flags, CliError> {
        let mut out = Flags {
            values: BTreeMap::new(),
            switches: Vec::new(),
        };
        let mut it = args.iter();
        while let Some(a) = it.next() {
            if let Some(&name) = valued.iter().find(|n| **n == a) {
                let v = it.next().ok_or_else(|| CliError::MissingValue(a.clone()))?;
                if out.values.insert(name, v.clone()).is_some() {
                    return Err(CliError::Repeated(a.clone()));
                }
            } else if let Some(&name) = switches.iter().find(|n| **n == a) {
                if out.switches.contains(&name) {
                    return Err(CliError::Repeated(a.clone()));
                }
                out.switches.push(name);
            } else {
                return Err(CliError::UnknownFlag(a.clone()));
            }
        }
        Ok(out)
    }

    /// The value of `name`, if given.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// The value of a required flag.
    pub fn required(&self, name: &'static str) -> Result<&str, CliError> {
        self.get(name).ok_or(CliError::Missing(name))
    }

    /// Whether a switch was given.
    pub fn has(&self, name: &str) -> bool {
        self.switches.contains(&name)
    }
}
