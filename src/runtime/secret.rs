//! Credentials (a venue's API key, an Ed25519 private key) read from a file or an
//! environment variable that the scenario names: a scenario holds where a secret is,
//! never the secret, so scenarios and journals can be shared and committed.
//!
//! A [`Secret`] has no `Display` and its `Debug` prints only its length, so it cannot end
//! up in output, a log or the journal by a format string; its bytes are zeroed when it is
//! dropped. A key file that its group or others may read is refused (as `ssh` refuses
//! one): a secret readable by others is already leaked.

use std::fmt;
use std::path::{Path, PathBuf};

/// Where a secret is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// A file (its whole contents, a trailing newline dropped).
    File(PathBuf),
    /// An environment variable.
    Env(String),
}

impl fmt::Display for SecretSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretSource::File(p) => write!(f, "file {}", p.display()),
            SecretSource::Env(v) => write!(f, "environment variable {v}"),
        }
    }
}

/// Why a secret could not be read. Names where it was looked for, never its value.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The file cannot be read.
    #[error("cannot read secret file {}: {source}", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file may be read by its group or others.
    #[error(
        "secret file {} has mode {mode:03o}: its group or others may read it \
         (chmod 600 it)",
        path.display()
    )]
    Exposed {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The environment variable is not set (or not Unicode).
    #[error("environment variable {0} is not set")]
    NotSet(String),
    /// The secret is empty.
    #[error("the secret in {0} is empty")]
    Empty(String),
}

/// A secret's bytes. See the module doc.
pub struct Secret(Vec<u8>);

impl Secret {
    /// Reads the secret from `source`.
    pub fn read(source: &SecretSource) -> Result<Secret, SecretError> {
        let mut bytes = match source {
            SecretSource::File(path) => read_private_file(path)?,
            SecretSource::Env(var) => std::env::var(var)
                .map_err(|_| SecretError::NotSet(var.clone()))?
                .into_bytes(),
        };
        while bytes.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
            bytes.pop();
        }
        if bytes.is_empty() {
            return Err(SecretError::Empty(source.to_string()));
        }
        Ok(Secret(bytes))
    }

    /// The secret's bytes.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({} bytes)", self.0.len())
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.iter_mut().for_each(|b| *b = 0);
        std::hint::black_box(&self.0);
    }
}

/// A file's bytes, refused if its group or others may read or write it.
fn read_private_file(path: &Path) -> Result<Vec<u8>, SecretError> {
    use std::os::unix::fs::PermissionsExt;
    let unreadable = |source| SecretError::Unreadable {
        path: path.to_path_buf(),
        source,
    };
    let mode = std::fs::metadata(path).map_err(unreadable)?.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(SecretError::Exposed {
            path: path.to_path_buf(),
            mode,
        });
    }
    std::fs::read(path).map_err(unreadable)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn file(name: &str, text: &str, mode: u32) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("legcore-secret-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        p
    }

    #[test]
    fn a_private_file_is_read_without_its_newline() {
        let p = file("ok", "s3cr3t\n", 0o600);
        let s = Secret::read(&SecretSource::File(p)).unwrap();
        assert_eq!(s.expose(), b"s3cr3t");
        assert_eq!(format!("{s:?}"), "Secret(6 bytes)");
    }

    #[test]
    fn a_file_others_may_read_is_refused_without_its_contents() {
        for mode in [0o640, 0o604, 0o660] {
            let p = file(&format!("open{mode:o}"), "s3cr3t", mode);
            let e = Secret::read(&SecretSource::File(p)).unwrap_err();
            assert!(matches!(e, SecretError::Exposed { mode: m, .. } if m == mode), "{e}");
            assert!(!e.to_string().contains("s3cr3t"));
            assert!(e.to_string().contains(&format!("{mode:03o}")), "{e}");
        }
    }

    #[test]
    fn missing_and_empty_secrets_are_named() {
        let var = "LEGCORE_TEST_SECRET_SURELY_UNSET";
        let e = Secret::read(&SecretSource::Env(var.into())).unwrap_err();
        assert_eq!(e.to_string(), format!("environment variable {var} is not set"));
        let p = file("empty", "\n", 0o600);
        let e = Secret::read(&SecretSource::File(p.clone())).unwrap_err();
        assert!(e.to_string().contains(&p.display().to_string()), "{e}");
        let e = Secret::read(&SecretSource::File(p.with_extension("nope"))).unwrap_err();
        assert!(matches!(e, SecretError::Unreadable { .. }));
    }
}
