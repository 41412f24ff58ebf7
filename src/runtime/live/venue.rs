//! What differs between the venues' public book streams, for the one client in
//! [`client`](super::client): the subscribe message sent after connecting, the venue's
//! application-level ping, which text frames are control replies (acks, pongs, errors:
//! counted in `Health::control`, never fed to the book), and how a lost sequence is
//! recovered.
//!
//! - Binance: the stream is named in the URL (no subscribe message); WebSocket ping frames;
//!   a gap is recovered from the REST snapshot (see `client`).
//! - Bybit v5 `orderbook.500`: `{"op":"subscribe","args":["orderbook.500.<SYMBOL>"]}`;
//!   `{"op":"ping"}` every 20 s (the venue drops a connection silent for longer); control
//!   replies carry no `topic`. A gap is recovered by subscribing again: the venue answers a
//!   subscription with a fresh snapshot.
//! - Hyperliquid `l2Book`: `{"method":"subscribe","subscription":{"type":"l2Book","coin":
//!   "<COIN>"}}`; `{"method":"ping"}` (the venue closes a connection idle for 60 s); control
//!   replies are the `subscriptionResponse`, `pong` and `error` channels. Every message is a
//!   whole book: nothing to recover.
//! - OKX `books`: `{"op":"subscribe","args":[{"channel":"books","instId":"<INST>"}]}`; the
//!   text `ping` under 30 s (the venue's idle limit), answered by the text `pong`; control
//!   replies are `event` messages. A gap or a checksum mismatch is recovered by subscribing
//!   again (a fresh snapshot), as OKX documents.

use std::time::Duration;

use crate::feed::Format;

/// The venue family of a format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Venue {
    Binance,
    Bybit,
    Hyperliquid,
    Okx,
}

impl Venue {
    pub(crate) fn of(format: Format) -> Venue {
        match format {
            Format::BinanceSpot | Format::BinanceUsdm | Format::BinanceCoinm => Venue::Binance,
            Format::BybitOrderbook500 => Venue::Bybit,
            Format::HyperliquidL2Book => Venue::Hyperliquid,
            Format::OkxBooks(_) => Venue::Okx,
        }
    }

    /// Whether the book's snapshot comes from the REST endpoint (else from the stream).
    pub(crate) fn rest_snapshot(self) -> bool {
        self == Venue::Binance
    }

    /// Whether a lost sequence is recovered by subscribing again.
    pub(crate) fn resubscribes(self) -> bool {
        matches!(self, Venue::Bybit | Venue::Okx)
    }

    /// The text sent after connecting, for `symbol` (`None`: the URL names the stream).
    pub(crate) fn subscribe(self, symbol: &str) -> Option<String> {
        self.subscription("subscribe", symbol)
    }

    /// The text that ends the subscription (sent before subscribing again).
    pub(crate) fn unsubscribe(self, symbol: &str) -> Option<String> {
        self.subscription("unsubscribe", symbol)
    }

    fn subscription(self, op: &str, symbol: &str) -> Option<String> {
        match self {
            Venue::Binance => None,
            Venue::Bybit => Some(format!(
                r#"{{"op":"{op}","args":["orderbook.500.{symbol}"]}}"#
            )),
            Venue::Hyperliquid => Some(format!(
                r#"{{"method":"{op}","subscription":{{"type":"l2Book","coin":"{symbol}"}}}}"#
            )),
            Venue::Okx => Some(format!(
                r#"{{"op":"{op}","args":[{{"channel":"books","instId":"{symbol}"}}]}}"#
            )),
        }
    }

    /// The venue's application ping and the longest it may wait between two
    /// (`None`: WebSocket ping frames at the configured interval).
    pub(crate) fn app_ping(self) -> Option<(&'static str, Duration)> {
        match self {
            Venue::Binance => None,
            Venue::Bybit => Some((r#"{"op":"ping"}"#, Duration::from_secs(20))),
            Venue::Hyperliquid => Some((r#"{"method":"ping"}"#, Duration::from_secs(50))),
            Venue::Okx => Some(("ping", Duration::from_secs(25))),
        }
    }

    /// Whether a text frame is a control reply (ack, pong, error) rather than a market
    /// message.
    pub(crate) fn is_control(self, text: &[u8]) -> bool {
        let starts = |p: &[u8]| text.starts_with(p);
        match self {
            Venue::Binance => starts(br#"{"result""#) || starts(br#"{"id""#),
            Venue::Bybit => !contains(text, br#""topic":"#),
            Venue::Hyperliquid => {
                starts(br#"{"channel":"subscriptionResponse""#)
                    || starts(br#"{"channel":"pong""#)
                    || starts(br#"{"channel":"error""#)
            }
            Venue::Okx => text == b"pong" || starts(br#"{"event""#),
        }
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::Format;

    #[test]
    fn subscriptions_are_the_venues_documented_messages() {
        let bybit = Venue::of(Format::BybitOrderbook500);
        assert_eq!(
            bybit.subscribe("BTCUSDT").unwrap(),
            r#"{"op":"subscribe","args":["orderbook.500.BTCUSDT"]}"#
        );
        let hl = Venue::of(Format::HyperliquidL2Book);
        assert_eq!(
            hl.subscribe("BTC").unwrap(),
            r#"{"method":"subscribe","subscription":{"type":"l2Book","coin":"BTC"}}"#
        );
        let okx = Venue::of(Format::OkxBooks(crate::feed::okx::InstId::ANY));
        assert_eq!(
            okx.unsubscribe("BTC-USDT").unwrap(),
            r#"{"op":"unsubscribe","args":[{"channel":"books","instId":"BTC-USDT"}]}"#
        );
        assert_eq!(Venue::of(Format::BinanceUsdm).subscribe("BTCUSDT"), None);
    }

    #[test]
    fn control_replies_are_told_from_market_messages() {
        let bybit = Venue::Bybit;
        assert!(bybit.is_control(br#"{"success":true,"ret_msg":"pong","op":"ping"}"#));
        assert!(!bybit.is_control(br#"{"topic":"orderbook.500.XRPUSDT","type":"delta"}"#));
        assert!(Venue::Okx.is_control(b"pong"));
        assert!(Venue::Okx.is_control(br#"{"event":"subscribe","arg":{}}"#));
        assert!(!Venue::Okx.is_control(br#"{"arg":{"channel":"books"},"action":"update"}"#));
        let hl = Venue::Hyperliquid;
        assert!(hl.is_control(br#"{"channel":"pong"}"#));
        assert!(!hl.is_control(br#"{"channel":"l2Book","data":{}}"#));
        assert!(!Venue::Binance.is_control(br#"{"e":"depthUpdate"}"#));
    }
}
