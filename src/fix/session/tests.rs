//! The session's table over every pair, and its rules driven through [`Session`].

use super::*;
use crate::fix::codec::{decode_frame, Decoder, Encoder, TimePrecision};
use crate::fix::sign::{ApiKey, Ed25519Signer};
use ed25519_dalek::{Signature, Verifier, VerifyingKey};

/// The table again, as a matrix: rows `SessionState::ALL`, columns `SessionEvent::ALL`
/// (ConnectDue Connected LogonAck InSeq Gap TooLow LogoutIn News Stop Silent Timeout
/// Lost). Codes: D disconnected, C connecting, L logon sent, A active, O logging out,
/// S stopping, X stopped, `-` refused.
const MATRIX: [&str; 7] = [
    /* Disconnected */ "C-------X---",
    /* Connecting   */ "-L------X-DD",
    /* LogonSent    */ "--A---D-X-DD",
    /* Active       */ "---AAODOSADD",
    /* LoggingOut   */ "---OODDOSODD",
    /* Stopping     */ "---SSXXSSSXX",
    /* Stopped      */ "------------",
];

fn code(s: SessionState) -> char {
    match s {
        SessionState::Disconnected => 'D',
        SessionState::Connecting => 'C',
        SessionState::LogonSent => 'L',
        SessionState::Active => 'A',
        SessionState::LoggingOut => 'O',
        SessionState::Stopping => 'S',
        SessionState::Stopped => 'X',
    }
}

#[test]
fn table_matches_the_matrix_for_every_pair() {
    for (row, state) in SessionState::ALL.iter().enumerate() {
        let cells: Vec<char> = MATRIX[row].chars().collect();
        assert_eq!(cells.len(), SessionEvent::ALL.len());
        for (col, event) in SessionEvent::ALL.iter().enumerate() {
            let got = transition(*state, *event).map_or('-', code);
            assert_eq!(got, cells[col], "{} + {}", state.name(), event.name());
        }
    }
}

const KEY: &str = "MC4CAQAwBQYDK2VwBCIEIIJEYWtGBrhACmb9Dvy+qa8WEf0lQOl1s4CLIAB9m89u";
const S: u64 = 1_000_000_000;
const T0: u64 = 1_719_487_045_223_000_000;

fn config() -> SessionConfig {
    SessionConfig::binance("EXAMPLE")
}

fn session(cfg: SessionConfig) -> Session {
    let signer = Ed25519Signer::from_pem(KEY, ApiKey::new("api-key-1").unwrap()).unwrap();
    Session::new(cfg, signer, SeqNums::START).unwrap()
}

/// A frame from the venue to our session.
fn venue(mt: &[u8], seq: u32, body: impl FnOnce(&mut Encoder<'_>)) -> Vec<u8> {
    let mut buf = [0u8; 512];
    let mut e = Encoder::new(&mut buf[..], mt);
    e.uint(34, u64::from(seq))
        .str(49, b"SPOT")
        .time(52, T0, TimePrecision::Micros);
    e.str(56, b"EXAMPLE");
    body(&mut e);
    e.finish().unwrap().to_vec()
}

fn feed(s: &mut Session, bytes: &[u8], now: u64) -> Result<(Inbound, Output), SessionError> {
    s.on_frame(&decode_frame(bytes).unwrap(), now)
}

/// The frames in the outbox, drained.
fn sent(s: &mut Session) -> Vec<Vec<u8>> {
    let mut d = Decoder::new(4096);
    d.feed(s.outbox());
    s.clear_outbox();
    let mut out = Vec::new();
    while let Some(f) = d.next_frame() {
        out.push(f.unwrap().bytes().to_vec());
    }
    out
}

fn field(frame: &[u8], tag: u32) -> Vec<u8> {
    decode_frame(frame).unwrap().req(tag).unwrap().to_vec()
}

fn active() -> Session {
    let mut s = session(config());
    assert!(s.on_tick(T0).unwrap().connect);
    s.on_connected(T0).unwrap();
    feed(
        &mut s,
        &venue(b"A", 1, |e| {
            e.int(98, 0).uint(108, 30);
        }),
        T0,
    )
    .unwrap();
    sent(&mut s);
    s
}

fn in_state(state: SessionState) -> Session {
    let mut s = session(config());
    match state {
        SessionState::Disconnected => {}
        SessionState::Connecting => drop(s.on_tick(T0).unwrap()),
        SessionState::LogonSent => {
            s.on_tick(T0).unwrap();
            s.on_connected(T0).unwrap();
        }
        SessionState::Active => s = active(),
        SessionState::LoggingOut => {
            s = active();
            feed(
                &mut s,
                &venue(b"B", 2, |e| {
                    e.str(148, b"bye");
                }),
                T0,
            )
            .unwrap();
        }
        SessionState::Stopping => {
            s = active();
            s.stop(T0).unwrap();
        }
        SessionState::Stopped => drop(s.stop(T0).unwrap()),
    }
    sent(&mut s);
    assert_eq!(s.state(), state);
    s
}

/// Fires `event` through the session's inputs (`None`: a timer event, see below).
fn fire(s: &mut Session, event: SessionEvent) -> Option<Result<Output, SessionError>> {
    let next = s.seq().next_in;
    let frame = |mt: &[u8], seq: u32| venue(mt, seq, |_| {});
    let r = match event {
        SessionEvent::Connected => s.on_connected(T0),
        SessionEvent::Lost => s.on_lost(T0),
        SessionEvent::Stop => s.stop(T0),
        SessionEvent::LogonAck => feed(
            s,
            &venue(b"A", next, |e| {
                e.uint(108, 30);
            }),
            T0,
        )
        .map(|r| r.1),
        SessionEvent::InSeq => feed(s, &frame(b"0", next), T0).map(|r| r.1),
        SessionEvent::Gap => feed(s, &frame(b"0", next + 5), T0).map(|r| r.1),
        SessionEvent::TooLow if next > 1 => feed(s, &frame(b"0", next - 1), T0).map(|r| r.1),
        SessionEvent::LogoutIn => feed(s, &frame(b"5", next), T0).map(|r| r.1),
        SessionEvent::News => feed(
            s,
            &venue(b"B", next, |e| {
                e.str(148, b"x");
            }),
            T0,
        )
        .map(|r| r.1),
        _ => return None,
    };
    Some(r)
}

#[test]
fn every_pair_through_the_session_inputs() {
    let mut checked = 0;
    for state in SessionState::ALL {
        for event in SessionEvent::ALL {
            let mut s = in_state(state);
            let before = (s.state(), s.seq(), s.outbox().len());
            let Some(r) = fire(&mut s, event) else {
                continue;
            };
            let want = transition(state, event);
            // A frame before the Logon answer is refused whatever it is.
            let logon_sent_frame = state == SessionState::LogonSent
                && matches!(event, SessionEvent::InSeq | SessionEvent::Gap);
            match (r, want) {
                (Ok(out), Some(next)) => {
                    assert_eq!(out.state, next, "{} + {}", state.name(), event.name())
                }
                (Err(_), None) => assert_eq!((s.state(), s.seq(), s.outbox().len()), before),
                (Err(_), Some(_)) if logon_sent_frame => {}
                (r, w) => panic!(
                    "{} + {}: {} vs table {}",
                    state.name(),
                    event.name(),
                    r.is_ok(),
                    w.is_some()
                ),
            }
            checked += 1;
        }
    }
    // 7 states x 9 input events, but TooLow where nothing was received yet (4 states).
    assert_eq!(checked, 59);
}

/// The timer events (ConnectDue, Silent, Timeout) come from `on_tick`: a tick long after
/// entering each state fires the one the state waits for, as the table says.
#[test]
fn every_state_through_the_clock() {
    use SessionEvent as E;
    let late = T0 + 3600 * S;
    for state in SessionState::ALL {
        let mut s = in_state(state);
        let o = s.on_tick(late).unwrap();
        let want = match state {
            SessionState::Disconnected => transition(state, E::ConnectDue),
            SessionState::Active => transition(state, E::Silent),
            SessionState::Stopped => Some(state),
            _ => transition(state, E::Timeout),
        };
        assert_eq!(Some(o.state), want, "{}", state.name());
        assert_eq!(o.connect, state == SessionState::Disconnected);
        if state == SessionState::Active {
            let o = s.on_tick(late + 30 * S).unwrap();
            assert_eq!(Some(o.state), transition(state, E::Timeout));
        }
    }
}

#[test]
fn logon_is_signed_and_carries_binance_fields() {
    let mut s = session(config());
    s.on_tick(T0).unwrap();
    s.on_connected(T0).unwrap();
    let frames = sent(&mut s);
    assert_eq!(frames.len(), 1);
    let f = decode_frame(&frames[0]).unwrap();
    assert_eq!(f.msg_type(), b"A");
    assert_eq!(
        (f.uint(34), f.uint(98), f.uint(108), f.uint(25035)),
        (Ok(1), Ok(0), Ok(30), Ok(2))
    );
    assert_eq!(
        (f.req(141), f.req(553)),
        (Ok(&b"Y"[..]), Ok(&b"api-key-1"[..]))
    );
    assert_eq!(f.req(52), Ok(&b"20240627-11:17:25.223"[..]));
    // The doc's key and fields: RawData is the published vector signature.
    let sig = f.req(96).unwrap();
    assert_eq!(
        sig,
        b"4MHXelVVcpkdwuLbl6n73HQUXUf1dse2PCgT1DYqW9w8AVZ1RACFGM+5UdlGPrQHrgtS3CvsRURC1oj73j8gCA=="
    );
    use base64::Engine as _;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(sig)
        .unwrap();
    let signer = Ed25519Signer::from_pem(KEY, ApiKey::new("k").unwrap()).unwrap();
    let vk = VerifyingKey::from_bytes(&signer.public_key()).unwrap();
    let payload = b"A\x01EXAMPLE\x01SPOT\x011\x0120240627-11:17:25.223";
    vk.verify(payload, &Signature::from_slice(&raw).unwrap())
        .unwrap();
}

#[test]
fn heartbeats_test_requests_and_a_dead_peer() {
    let mut s = active();
    s.on_tick(T0 + 29 * S).unwrap();
    assert!(sent(&mut s).is_empty());
    s.on_tick(T0 + 30 * S).unwrap();
    let out = sent(&mut s);
    let types: Vec<Vec<u8>> = out.iter().map(|f| field(f, 35)).collect();
    // The TestRequest is outbound traffic too: no Heartbeat on top of it.
    assert_eq!(types, vec![b"1".to_vec()]);
    assert_eq!(field(&out[0], 112), b"TEST1");
    let o = s.on_tick(T0 + 60 * S).unwrap();
    assert!(o.disconnect);
    assert_eq!(o.state, SessionState::Disconnected);
    // Their TestRequest is answered with its id.
    let mut s = active();
    feed(
        &mut s,
        &venue(b"1", 2, |e| {
            e.str(112, b"abc");
        }),
        T0,
    )
    .unwrap();
    let out = sent(&mut s);
    assert_eq!(
        (field(&out[0], 35), field(&out[0], 112)),
        (b"0".to_vec(), b"abc".to_vec())
    );
}

#[test]
fn gaps_ask_for_a_resend_and_resends_are_gap_filled() {
    let mut s = active();
    let (kind, _) = feed(&mut s, &venue(b"8", 5, |_| {}), T0).unwrap();
    assert_eq!(kind, Inbound::App);
    let out = sent(&mut s);
    assert_eq!(
        (field(&out[0], 35), field(&out[0], 7), field(&out[0], 16)),
        (b"2".to_vec(), b"2".to_vec(), b"0".to_vec())
    );
    assert_eq!((s.seq().next_in, s.gaps()), (6, 1));
    // The resent messages come back as PossDup and are processed.
    let r = feed(
        &mut s,
        &venue(b"8", 2, |e| {
            e.char(43, b'Y');
        }),
        T0,
    )
    .unwrap();
    assert_eq!((r.0, r.1.state), (Inbound::App, SessionState::Active));
    // Their ResendRequest: one GapFill from BeginSeqNo to our next number.
    for _ in 0..3 {
        s.send_app(b"D", T0, |e| {
            e.str(11, b"1");
        })
        .unwrap();
    }
    sent(&mut s);
    assert_eq!(s.seq().next_out, 6);
    let (_, o) = feed(
        &mut s,
        &venue(b"2", 6, |e| {
            e.uint(7, 2).uint(16, 0);
        }),
        T0,
    )
    .unwrap();
    assert_eq!(
        o.gap_filled,
        Some((2, 6)),
        "the owner learns which never arrived"
    );
    let out = sent(&mut s);
    assert_eq!(out.len(), 1);
    let gf = decode_frame(&out[0]).unwrap();
    assert_eq!(
        (gf.msg_type(), gf.uint(34), gf.uint(36)),
        (&b"4"[..], Ok(2), Ok(6))
    );
    assert_eq!((gf.req(123), gf.req(43)), (Ok(&b"Y"[..]), Ok(&b"Y"[..])));
    assert_eq!(s.seq().next_out, 6, "a GapFill does not use a number");
    // Their GapFill moves our expected number.
    feed(
        &mut s,
        &venue(b"4", 7, |e| {
            e.char(123, b'Y').uint(36, 20);
        }),
        T0,
    )
    .unwrap();
    assert_eq!(s.seq().next_in, 20);
}

/// A PossDup frame from the venue.
fn resent(mt: &[u8], seq: u32) -> Vec<u8> {
    venue(mt, seq, |e| {
        e.char(43, b'Y').time(122, T0, TimePrecision::Micros);
    })
}

#[test]
fn a_resend_delivers_each_message_once() {
    let mut s = active();
    // 2..=4 missing; 5 processed at once.
    assert_eq!(
        feed(&mut s, &venue(b"8", 5, |_| {}), T0).unwrap().0,
        Inbound::App
    );
    sent(&mut s);
    // The resend to the end repeats 5, and a second resend repeats all of them.
    let mut kinds = Vec::new();
    for seq in [2, 3, 4, 5, 2, 3, 4, 5] {
        kinds.push(feed(&mut s, &resent(b"8", seq), T0).unwrap().0);
    }
    use Inbound::{App, Duplicate};
    assert_eq!(
        kinds,
        [App, App, App, Duplicate, Duplicate, Duplicate, Duplicate, Duplicate]
    );
    assert_eq!((s.duplicates(), s.seq().next_in), (5, 6));
    assert!(sent(&mut s).is_empty(), "a duplicate is not answered");
    // A lower number without PossDupFlag is still fatal.
    let (_, o) = feed(&mut s, &venue(b"8", 3, |_| {}), T0).unwrap();
    assert_eq!(o.state, SessionState::LoggingOut);
}

#[test]
fn a_resend_from_past_the_window_is_processed_and_a_reset_forgets() {
    let mut s = active();
    let far = 2 + SEEN_WINDOW + 10;
    feed(&mut s, &venue(b"0", far, |_| {}), T0).unwrap();
    // Number 5 is further back than the window: it cannot be told, so it is processed
    // (fills are deduplicated by trade id downstream).
    assert_eq!(feed(&mut s, &resent(b"8", 5), T0).unwrap().0, Inbound::App);
    // A number skipped by the gap and then resent twice: once.
    let near = far - 3;
    assert_eq!(
        feed(&mut s, &resent(b"8", near), T0).unwrap().0,
        Inbound::App
    );
    let dup = feed(&mut s, &resent(b"8", near), T0).unwrap().0;
    assert_eq!(dup, Inbound::Duplicate);
    // A SequenceReset past the window: everything below is unseen again.
    feed(
        &mut s,
        &venue(b"4", far + 1, |e| {
            e.uint(36, u64::from(far + 2 * SEEN_WINDOW));
        }),
        T0,
    )
    .unwrap();
    let back = far + 2 * SEEN_WINDOW - 1;
    assert_eq!(
        feed(&mut s, &resent(b"8", back), T0).unwrap().0,
        Inbound::App
    );
}

#[test]
fn a_logon_answer_past_the_expected_number_asks_for_a_resend() {
    let cfg = SessionConfig {
        reset_on_logon: false,
        ..config()
    };
    let signer = Ed25519Signer::from_pem(KEY, ApiKey::new("k").unwrap()).unwrap();
    let saved = SeqNums {
        next_out: 9,
        next_in: 4,
    };
    let mut s = Session::new(cfg, signer, saved).unwrap();
    s.on_tick(T0).unwrap();
    s.on_connected(T0).unwrap();
    sent(&mut s);
    // The venue sent 4 and 5 while we were away; its Logon answer is 6.
    let (_, o) = feed(
        &mut s,
        &venue(b"A", 6, |e| {
            e.uint(108, 30);
        }),
        T0,
    )
    .unwrap();
    assert_eq!(o.state, SessionState::Active);
    let out = sent(&mut s);
    assert_eq!(out.len(), 1);
    assert_eq!(
        (field(&out[0], 35), field(&out[0], 34), field(&out[0], 7)),
        (b"2".to_vec(), b"10".to_vec(), b"4".to_vec())
    );
    assert_eq!((s.gaps(), s.seq().next_in), (1, 7));
    let kinds: Vec<Inbound> = [4, 5, 4]
        .iter()
        .map(|&q| feed(&mut s, &resent(b"8", q), T0).unwrap().0)
        .collect();
    assert_eq!(kinds, [Inbound::App, Inbound::App, Inbound::Duplicate]);
}

#[test]
fn a_too_low_seq_num_logs_out() {
    let mut s = active();
    feed(&mut s, &venue(b"0", 2, |_| {}), T0).unwrap();
    let (_, o) = feed(&mut s, &venue(b"0", 2, |_| {}), T0).unwrap();
    assert_eq!(o.state, SessionState::LoggingOut);
    assert_eq!(field(&sent(&mut s)[0], 35), b"5");
}

#[test]
fn news_logs_out_and_reconnects_with_bounded_backoff() {
    let mut s = active();
    let (kind, o) = feed(
        &mut s,
        &venue(b"B", 2, |e| {
            e.str(148, b"closing");
        }),
        T0,
    )
    .unwrap();
    assert_eq!((kind, o.state), (Inbound::Admin, SessionState::LoggingOut));
    assert_eq!(field(&sent(&mut s)[0], 35), b"5");
    let o = feed(&mut s, &venue(b"5", 3, |_| {}), T0).unwrap().1;
    assert!(o.disconnect && o.state == SessionState::Disconnected);
    // Failed attempts double the wait up to the bound; a logon resets it.
    let mut now = T0;
    let mut waits = Vec::new();
    for _ in 0..10 {
        let due = s.retry_at_ns();
        assert!(!s.on_tick(due - 1).unwrap().connect);
        waits.push((due - now) / 1_000_000);
        assert!(s.on_tick(due).unwrap().connect);
        now = due;
        s.on_lost(now).unwrap();
    }
    assert_eq!(&waits[..7], &[500, 1000, 2000, 4000, 8000, 16000, 30000]);
    assert_eq!(waits[9], 30_000);
}

#[test]
fn sequence_numbers_resume_when_the_venue_does_not_reset() {
    let cfg = SessionConfig {
        reset_on_logon: false,
        ..config()
    };
    let signer = Ed25519Signer::from_pem(KEY, ApiKey::new("k").unwrap()).unwrap();
    let saved = SeqNums {
        next_out: 41,
        next_in: 17,
    };
    let mut s = Session::new(cfg.clone(), signer, saved).unwrap();
    s.on_tick(T0).unwrap();
    s.on_connected(T0).unwrap();
    let logon = sent(&mut s);
    assert_eq!(
        (field(&logon[0], 34), field(&logon[0], 141)),
        (b"41".to_vec(), b"N".to_vec())
    );
    feed(
        &mut s,
        &venue(b"A", 17, |e| {
            e.uint(108, 30);
        }),
        T0,
    )
    .unwrap();
    assert_eq!(
        s.seq(),
        SeqNums {
            next_out: 42,
            next_in: 18
        }
    );
    // Binance resets: the same saved numbers restart at 1.
    let signer = Ed25519Signer::from_pem(KEY, ApiKey::new("k").unwrap()).unwrap();
    let mut b = Session::new(config(), signer, saved).unwrap();
    b.on_tick(T0).unwrap();
    b.on_connected(T0).unwrap();
    assert_eq!(field(&sent(&mut b)[0], 34), b"1");
}

#[test]
fn frames_for_another_session_and_bad_settings_are_refused() {
    let mut s = active();
    let mut buf = [0u8; 256];
    let mut e = Encoder::new(&mut buf[..], b"0");
    e.uint(34, 2)
        .str(49, b"OTHER")
        .time(52, T0, TimePrecision::Millis)
        .str(56, b"EXAMPLE");
    let f = e.finish().unwrap().to_vec();
    assert_eq!(
        feed(&mut s, &f, T0).err(),
        Some(SessionError::WrongCompId { tag: 49 })
    );
    assert_eq!(s.seq().next_in, 2);
    let bad = SessionConfig {
        heartbeat_s: 61,
        ..config()
    };
    assert!(matches!(
        bad.check(),
        Err(SessionError::Config {
            field: "heartbeat_s",
            ..
        })
    ));
    let mut down = session(config());
    assert!(down.send_app(b"D", T0, |_| {}).is_err());
    assert!(down.outbox().is_empty());
}
