//! Binance's published Logon vector, byte for byte, and the secret-handling rules.

use super::*;
use crate::fix::codec::{Encoder, TimePrecision};

const DOC_KEY: &str = "-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIIJEYWtGBrhACmb9Dvy+qa8WEf0lQOl1s4CLIAB9m89u
-----END PRIVATE KEY-----
";
const DOC_API_KEY: &str = "sBRXrJx2DsOraMXOaUovEhgVRcjOvCtQwnWj8VxkOh1xqboS02SPGfKi2h8spZJb";
const DOC_SIG: &str =
    "4MHXelVVcpkdwuLbl6n73HQUXUf1dse2PCgT1DYqW9w8AVZ1RACFGM+5UdlGPrQHrgtS3CvsRURC1oj73j8gCA==";
const DOC_LOGON: &str = concat!(
    "8=FIX.4.4|9=247|35=A|34=1|49=EXAMPLE|52=20240627-11:17:25.223|56=SPOT|95=88|",
    "96=4MHXelVVcpkdwuLbl6n73HQUXUf1dse2PCgT1DYqW9w8AVZ1RACFGM+5UdlGPrQHrgtS3CvsRURC1oj73j8gCA==|",
    "98=0|108=30|141=Y|553=sBRXrJx2DsOraMXOaUovEhgVRcjOvCtQwnWj8VxkOh1xqboS02SPGfKi2h8spZJb|",
    "25035=2|10=227|"
);

fn doc_signer() -> Ed25519Signer {
    Ed25519Signer::from_pem(DOC_KEY, ApiKey::new(DOC_API_KEY).unwrap()).unwrap()
}

const VECTOR: LogonFields<'static> = LogonFields {
    msg_type: b"A",
    sender: b"EXAMPLE",
    target: b"SPOT",
    seq: b"1",
    sending_time: b"20240627-11:17:25.223",
};

#[test]
fn the_published_logon_signature_is_reproduced() {
    let mut out = [0u8; SIGNATURE_B64_LEN];
    let sig = doc_signer().logon_raw_data(&VECTOR, &mut out).unwrap();
    assert_eq!(sig, DOC_SIG.as_bytes());
    let body = DOC_KEY.lines().nth(1).unwrap();
    let bare = Ed25519Signer::from_pem(body, ApiKey::new("k").unwrap()).unwrap();
    assert_eq!(bare.public_key(), doc_signer().public_key());
    let mut other = VECTOR.sending_time.to_vec();
    other[20] = b'4';
    let moved = LogonFields {
        sending_time: &other,
        ..VECTOR
    };
    assert_ne!(
        doc_signer().logon_raw_data(&moved, &mut out).unwrap(),
        DOC_SIG.as_bytes()
    );
}

#[test]
fn the_published_logon_frame_is_reproduced_with_its_length_and_checksum() {
    let s = doc_signer();
    let mut sig = [0u8; SIGNATURE_B64_LEN];
    let raw = s.logon_raw_data(&VECTOR, &mut sig).unwrap();
    let ns = crate::fix::codec::parse_timestamp(52, VECTOR.sending_time).unwrap();
    let mut buf = [0u8; 400];
    let mut e = Encoder::new(&mut buf[..], b"A");
    e.uint(34, 1)
        .str(49, b"EXAMPLE")
        .time(52, ns, TimePrecision::Millis);
    e.str(56, b"SPOT")
        .data(95, 96, raw)
        .int(98, 0)
        .uint(108, 30)
        .char(141, b'Y');
    e.str(553, s.api_key().expose().as_bytes()).uint(25035, 2);
    let frame = e.finish().unwrap();
    assert_eq!(frame, DOC_LOGON.replace('|', "\x01").as_bytes());
}

#[test]
fn secrets_are_never_formatted() {
    let s = doc_signer();
    let shown = format!("{s:?} {:?}", s.api_key());
    assert!(
        !shown.contains(DOC_API_KEY) && !shown.contains("MC4CAQ"),
        "{shown}"
    );
    assert!(shown.contains("redacted"));
    assert_eq!(
        Ed25519Signer::from_pem("not a key", ApiKey::new("k").unwrap()).err(),
        Some(CredentialError::BadKey)
    );
    assert_eq!(ApiKey::new(" ").err(), Some(CredentialError::BadApiKey));
    assert_eq!(ApiKey::new("a b").err(), Some(CredentialError::BadApiKey));
}

fn temp_file(name: &str, text: &str, mode: u32) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("legcore-sign-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    path
}

#[test]
fn keys_load_from_private_files_and_env_vars_only() {
    let key = temp_file("key.pem", DOC_KEY, 0o600);
    let var = format!("LEGCORE_TEST_FIX_API_KEY_{}", std::process::id());
    std::env::set_var(&var, DOC_API_KEY);
    let s = load(
        &SecretSource::File(key.clone()),
        &SecretSource::Env(var.clone()),
    )
    .unwrap();
    assert_eq!(s.public_key(), doc_signer().public_key());
    assert_eq!(s.api_key().expose(), DOC_API_KEY);

    let open = temp_file("open.pem", DOC_KEY, 0o644);
    let e = load(
        &SecretSource::File(open.clone()),
        &SecretSource::Env(var.clone()),
    )
    .unwrap_err();
    #[cfg(unix)]
    assert!(
        matches!(e, CredentialError::TooOpen { mode: 0o644, .. }),
        "{e}"
    );
    assert!(!e.to_string().contains("MC4CAQ"));

    let unset = SecretSource::Env(format!("{var}_UNSET"));
    let e = load(&SecretSource::File(key.clone()), &unset).unwrap_err();
    assert!(e.to_string().contains("_UNSET"), "{e}");
    let bad = temp_file(
        "bad.pem",
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        0o600,
    );
    let e = load(
        &SecretSource::File(bad.clone()),
        &SecretSource::Env(var.clone()),
    )
    .unwrap_err();
    assert_eq!(e, CredentialError::BadKey);
    std::env::remove_var(&var);
    for p in [key, open, bad] {
        std::fs::remove_file(p).unwrap();
    }
}
