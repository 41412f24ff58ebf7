//! The one TLS client configuration of the live clients, for the WebSocket (`wss://`) and
//! the REST snapshot (`https://`) alike: rustls with the ring provider, TLS 1.2 and 1.3,
//! the webpki (Mozilla) roots plus an optional extra root (a test server's or a proxy's,
//! DER), no client certificate. Server names are checked (SNI and the certificate's
//! names) by rustls; nothing here turns a check off.

use std::sync::Arc;

use rustls::pki_types::CertificateDer;

use super::LiveError;

/// The client configuration, trusting the web roots and `extra_root`.
pub(crate) fn client_config(
    extra_root: Option<&[u8]>,
) -> Result<Arc<rustls::ClientConfig>, LiveError> {
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some(der) = extra_root {
        roots.add(CertificateDer::from(der.to_vec()))?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(cfg))
}
