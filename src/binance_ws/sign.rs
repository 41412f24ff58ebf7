//! Request signatures of Binance's WebSocket API. The payload is every parameter but
//! `signature`, sorted by name and joined `k=v&…`, signed as UTF-8 bytes (a non-ASCII
//! value is signed raw, not percent-encoded, unlike REST). HMAC-SHA256 gives 64 hex
//! digits; Ed25519 gives 88 base64 characters, by the FIX gateway's [`Ed25519Signer`].
//!
//! Secrets: an HMAC secret comes from a file or environment variable like every key
//! ([`crate::fix::sign::load`] reads the text), is kept only as the keyed MAC state, and
//! never formatted (`Debug` redacts). Signing allocates nothing.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::fix::sign::{ApiKey, CredentialError, Ed25519Signer, SIGNATURE_B64_LEN};

/// Room for either signature (88 base64 characters ≥ 64 hex digits).
pub type SigBuf = [u8; SIGNATURE_B64_LEN];

/// An HMAC-SHA256 secret and its API key.
#[derive(Clone)]
pub struct HmacSigner {
    mac: Hmac<Sha256>,
    api_key: ApiKey,
}

impl std::fmt::Debug for HmacSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HmacSigner(<redacted>)")
    }
}

impl HmacSigner {
    /// From the secret's text (surrounding whitespace trimmed; an empty one is refused).
    pub fn new(secret: &str, api_key: ApiKey) -> Result<HmacSigner, CredentialError> {
        let secret = secret.trim();
        if secret.is_empty() {
            return Err(CredentialError::BadKey);
        }
        let mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
            .map_err(|_| CredentialError::BadKey)?;
        Ok(HmacSigner { mac, api_key })
    }

    /// The signature of `payload`, lowercase hex, into `out`.
    pub fn sign_hex<'o>(&self, payload: &[u8], out: &'o mut SigBuf) -> &'o [u8] {
        let mut mac = self.mac.clone();
        mac.update(payload);
        let digest = mac.finalize().into_bytes();
        const HEX: &[u8; 16] = b"0123456789abcdef";
        for (i, b) in digest.iter().enumerate() {
            out[2 * i] = HEX[usize::from(b >> 4)];
            out[2 * i + 1] = HEX[usize::from(b & 15)];
        }
        &out[..2 * digest.len()]
    }

    /// Whether `sig` (hex) is this secret's signature of `payload`, in constant time.
    pub fn verify_hex(&self, payload: &[u8], sig: &[u8]) -> bool {
        let mut buf = [0u8; SIGNATURE_B64_LEN];
        let want = self.sign_hex(payload, &mut buf);
        want.len() == sig.len() && want.iter().zip(sig).fold(0u8, |d, (a, b)| d | (a ^ b)) == 0
    }
}

/// The signer of a gateway: HMAC or Ed25519.
#[derive(Debug)]
pub enum WsSigner {
    /// HMAC-SHA256, hex.
    Hmac(HmacSigner),
    /// Ed25519, base64 (the key registered at the venue for it).
    Ed25519(Ed25519Signer),
}

impl WsSigner {
    /// The API key the requests carry as `apiKey`.
    pub fn api_key(&self) -> &ApiKey {
        match self {
            WsSigner::Hmac(s) => &s.api_key,
            WsSigner::Ed25519(s) => s.api_key(),
        }
    }

    /// The signature of `payload` into `out`.
    pub fn sign<'o>(&self, payload: &[u8], out: &'o mut SigBuf) -> &'o [u8] {
        match self {
            WsSigner::Hmac(s) => s.sign_hex(payload, out),
            WsSigner::Ed25519(s) => s.sign_base64(payload, out),
        }
    }

    /// The signature of a REST query string, as it goes after `&signature=`: an
    /// Ed25519 signature's base64 (`+`, `/`, `=`) percent-encoded, as Binance's REST
    /// API takes it; an HMAC's hex as is.
    pub fn sign_query(&self, query: &[u8]) -> String {
        let mut buf: SigBuf = [0; SIGNATURE_B64_LEN];
        let mut out = String::with_capacity(3 * SIGNATURE_B64_LEN);
        for &b in self.sign(query, &mut buf) {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                out.push(char::from(b));
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    }
}

/// A query value's percent-encoding undone (`%2B` → `+`); `None` if an escape is not
/// two hex digits or the result is not UTF-8.
pub fn percent_decode(text: &str) -> Option<String> {
    let mut out = Vec::with_capacity(text.len());
    let mut bytes = text.bytes();
    while let Some(b) = bytes.next() {
        if b != b'%' {
            out.push(b);
            continue;
        }
        let hex = [bytes.next()?, bytes.next()?];
        let hex = std::str::from_utf8(&hex).ok()?;
        out.push(u8::from_str_radix(hex, 16).ok()?);
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The secret and API key of Binance's published HMAC examples.
    const SECRET: &str = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
    const API_KEY: &str = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";

    fn signer() -> HmacSigner {
        HmacSigner::new(SECRET, ApiKey::new(API_KEY).unwrap()).unwrap()
    }

    fn hex(payload: &str) -> String {
        let mut out = [0u8; SIGNATURE_B64_LEN];
        String::from_utf8(signer().sign_hex(payload.as_bytes(), &mut out).to_vec()).unwrap()
    }

    #[test]
    fn binances_published_hmac_vectors() {
        // REST (the spot API's SIGNED endpoint example).
        assert_eq!(
            hex(
                "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&\
                 recvWindow=5000&timestamp=1499827319559"
            ),
            "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
        );
        // WebSocket API, sorted parameters.
        assert_eq!(
            hex(&format!(
                "apiKey={API_KEY}&price=52000.00&quantity=0.01000000&recvWindow=100&\
                 side=SELL&symbol=BTCUSDT&timeInForce=GTC&timestamp=1645423376532&type=LIMIT"
            )),
            "aa1b5712c094bc4e57c05a1a5c1fd8d88dcd628338ea863fec7b88e59fe2db24"
        );
        // WebSocket API, a non-ASCII symbol signed raw (UTF-8), not percent-encoded.
        assert_eq!(
            hex(&format!(
                "apiKey={API_KEY}&price=0.10000000&quantity=1.00000000&recvWindow=5000&\
                 side=BUY&symbol=１２３４５６&timeInForce=GTC&timestamp=1645423376532&type=LIMIT"
            )),
            "b33892ae8e687c939f4468c6268ddd4c40ac1af18ad19a064864c47bae0752cd"
        );
    }

    #[test]
    fn verification_takes_the_signature_and_refuses_any_other() {
        let s = signer();
        let sig = hex("a=1");
        assert!(s.verify_hex(b"a=1", sig.as_bytes()));
        assert!(!s.verify_hex(b"a=2", sig.as_bytes()));
        assert!(!s.verify_hex(b"a=1", &sig.as_bytes()[1..]));
        assert_eq!(format!("{s:?}"), "HmacSigner(<redacted>)");
        assert!(HmacSigner::new("  ", ApiKey::new(API_KEY).unwrap()).is_err());
    }

    #[test]
    fn a_rest_signature_is_percent_encoded_and_decodes_back() {
        // Binance's published Ed25519 test key (fix-api.md's Logon example).
        const PEM: &str = "-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIIJEYWtGBrhACmb9Dvy+qa8WEf0lQOl1s4CLIAB9m89u
-----END PRIVATE KEY-----
";
        let key = ApiKey::new(API_KEY).unwrap();
        let ed = WsSigner::Ed25519(Ed25519Signer::from_pem(PEM, key).unwrap());
        let hmac = WsSigner::Hmac(signer());
        for n in 0..64 {
            let query = format!("symbol=BTCUSDT&orderId={n}&timestamp=1700000000000");
            for s in [&ed, &hmac] {
                let mut buf: SigBuf = [0; SIGNATURE_B64_LEN];
                let raw = String::from_utf8(s.sign(query.as_bytes(), &mut buf).to_vec()).unwrap();
                let sent = s.sign_query(query.as_bytes());
                assert!(!sent.contains(['+', '/', '=']), "{sent}");
                assert_eq!(percent_decode(&sent).as_deref(), Some(raw.as_str()));
            }
        }
        assert_eq!(percent_decode("a%2Bb%2f%3D").as_deref(), Some("a+b/="));
        for bad in ["%", "%2", "%zz", "%C3"] {
            assert_eq!(percent_decode(bad), None, "{bad}");
        }
    }
}
