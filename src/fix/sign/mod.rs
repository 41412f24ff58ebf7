//! Ed25519 request signing with a venue API key: Binance's FIX Logon (RawData(96) is
//! the base64 signature of `MsgType␁SenderCompID␁TargetCompID␁MsgSeqNum␁SendingTime`)
//! and, through [`Ed25519Signer::sign_base64`] over any payload, the USD-M WebSocket
//! API's Ed25519 signatures (issue 15).
//!
//! Secrets: the private key is read from a file or an environment variable only
//! ([`load`]), held in `ed25519-dalek`'s zeroize-on-drop key, and never formatted: the
//! `Debug` of [`Ed25519Signer`] and [`ApiKey`] redact. Signing allocates nothing.

mod load;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ed25519_dalek::pkcs8::DecodePrivateKey;
use ed25519_dalek::{Signer, SigningKey};
use zeroize::Zeroizing;

pub use load::{load, read_secret, CredentialError, SecretSource};

/// Length of a base64 Ed25519 signature (64 bytes → 88 characters).
pub const SIGNATURE_B64_LEN: usize = 88;

/// A venue API key (public, but it names the account: kept out of logs all the same).
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// The key, printable ASCII without spaces (what FIX and HTTP headers carry).
    pub fn new(key: &str) -> Result<ApiKey, CredentialError> {
        let key = key.trim();
        let ok = !key.is_empty() && key.bytes().all(|b| b.is_ascii_graphic());
        if !ok {
            return Err(CredentialError::BadApiKey);
        }
        Ok(ApiKey(key.to_owned()))
    }

    /// The key's text, for the one field that carries it (Username(553), `apiKey`).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// An Ed25519 private key and the API key registered for it at the venue.
pub struct Ed25519Signer {
    key: SigningKey,
    api_key: ApiKey,
}

impl std::fmt::Debug for Ed25519Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Ed25519Signer(<redacted>)")
    }
}

impl Ed25519Signer {
    /// From a PKCS#8 private key in PEM (`-----BEGIN PRIVATE KEY-----`), or that PEM's
    /// base64 body alone.
    pub fn from_pem(pem: &str, api_key: ApiKey) -> Result<Ed25519Signer, CredentialError> {
        let pem = pem.trim();
        let text = if pem.starts_with("-----BEGIN") {
            Zeroizing::new(pem.to_owned())
        } else {
            Zeroizing::new(format!(
                "-----BEGIN PRIVATE KEY-----\n{pem}\n-----END PRIVATE KEY-----\n"
            ))
        };
        let key = SigningKey::from_pkcs8_pem(&text).map_err(|_| CredentialError::BadKey)?;
        Ok(Ed25519Signer { key, api_key })
    }

    /// The API key.
    pub fn api_key(&self) -> &ApiKey {
        &self.api_key
    }

    /// The public key (for a test venue to verify with).
    pub fn public_key(&self) -> [u8; 32] {
        self.key.verifying_key().to_bytes()
    }

    /// The signature of `payload`, base64 (standard alphabet, padded) into `out`.
    pub fn sign_base64<'o>(
        &self,
        payload: &[u8],
        out: &'o mut [u8; SIGNATURE_B64_LEN],
    ) -> &'o [u8] {
        let sig = self.key.sign(payload).to_bytes();
        // 64 bytes always encode to exactly 88: the slice fits.
        let n = STANDARD.encode_slice(sig, &mut out[..]).unwrap_or(0);
        &out[..n]
    }

    /// RawData(96) of a Logon: the signature of its `MsgType␁SenderCompID␁TargetCompID␁
    /// MsgSeqNum␁SendingTime`, each given as the text the frame carries.
    pub fn logon_raw_data<'o>(
        &self,
        fields: &LogonFields<'_>,
        out: &'o mut [u8; SIGNATURE_B64_LEN],
    ) -> Result<&'o [u8], CredentialError> {
        let mut payload = [0u8; 256];
        let parts = [
            fields.msg_type,
            fields.sender,
            fields.target,
            fields.seq,
            fields.sending_time,
        ];
        let mut n = 0;
        for (i, part) in parts.iter().enumerate() {
            let sep = usize::from(i > 0);
            let dst = payload
                .get_mut(n..n + sep + part.len())
                .ok_or(CredentialError::PayloadTooLong)?;
            dst[sep..].copy_from_slice(part);
            if sep == 1 {
                dst[0] = super::codec::SOH;
            }
            n += sep + part.len();
        }
        Ok(self.sign_base64(&payload[..n], out))
    }
}

/// The signed header fields of a Logon, as written in the frame.
pub struct LogonFields<'a> {
    /// MsgType(35): `A`.
    pub msg_type: &'a [u8],
    /// SenderCompID(49).
    pub sender: &'a [u8],
    /// TargetCompID(56).
    pub target: &'a [u8],
    /// MsgSeqNum(34), decimal.
    pub seq: &'a [u8],
    /// SendingTime(52).
    pub sending_time: &'a [u8],
}

#[cfg(test)]
mod tests;
