//! Loading secrets: from a file (refused if group- or world-readable) or from an
//! environment variable, named by the operator. A secret is never part of a scenario,
//! an argument or an error message: errors name the file or variable, not the value.

use std::path::PathBuf;

use zeroize::Zeroizing;

use super::{ApiKey, Ed25519Signer};

/// Where a secret is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// A file path (mode 0600 or stricter on Unix).
    File(PathBuf),
    /// An environment variable's name.
    Env(String),
}

impl std::fmt::Display for SecretSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SecretSource::File(p) => write!(f, "file {}", p.display()),
            SecretSource::Env(v) => write!(f, "environment variable {v}"),
        }
    }
}

/// Why credentials could not be loaded. Never quotes a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    /// The file or variable could not be read.
    #[error("cannot read the {what} from {from}: {why}")]
    Unreadable {
        /// Which secret.
        what: &'static str,
        /// Its source.
        from: SecretSource,
        /// The OS's reason, or "not set".
        why: String,
    },
    /// The key file is readable by others than its owner.
    #[error(
        "{from} holds a private key but is group- or world-readable (mode {mode:o}): chmod 600 it"
    )]
    TooOpen {
        /// The file.
        from: SecretSource,
        /// Its permission bits.
        mode: u32,
    },
    /// The text is not a PKCS#8 Ed25519 private key.
    #[error("the private key is not a PKCS#8 PEM Ed25519 key")]
    BadKey,
    /// The API key is empty or holds spaces or non-ASCII.
    #[error("the API key is empty or not printable ASCII")]
    BadApiKey,
    /// The signed fields are longer than any Logon's.
    #[error("the Logon fields to sign are over 256 bytes")]
    PayloadTooLong,
}

/// The text of the secret `what` (named in errors) at `source`: an environment variable,
/// or a file (one holding a private key must be owner-only).
pub fn read_secret(
    what: &'static str,
    source: &SecretSource,
) -> Result<Zeroizing<String>, CredentialError> {
    let unreadable = |why: String| CredentialError::Unreadable {
        what,
        from: source.clone(),
        why,
    };
    match source {
        SecretSource::Env(var) => std::env::var(var)
            .map(Zeroizing::new)
            .map_err(|e| unreadable(e.to_string())),
        SecretSource::File(path) => {
            check_private(path, what, source)?;
            std::fs::read_to_string(path)
                .map(Zeroizing::new)
                .map_err(|e| unreadable(e.to_string()))
        }
    }
}

#[cfg(unix)]
fn check_private(
    path: &PathBuf,
    what: &'static str,
    source: &SecretSource,
) -> Result<(), CredentialError> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).map_err(|e| CredentialError::Unreadable {
        what,
        from: source.clone(),
        why: e.to_string(),
    })?;
    let mode = meta.permissions().mode() & 0o777;
    if what == "private key" && mode & 0o077 != 0 {
        return Err(CredentialError::TooOpen {
            from: source.clone(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_: &PathBuf, _: &'static str, _: &SecretSource) -> Result<(), CredentialError> {
    Ok(())
}

/// The signer for the private key at `key` and the API key at `api_key`.
pub fn load(key: &SecretSource, api_key: &SecretSource) -> Result<Ed25519Signer, CredentialError> {
    let api = ApiKey::new(&read_secret("API key", api_key)?)?;
    let pem = read_secret("private key", key)?;
    Ed25519Signer::from_pem(&pem, api)
}
