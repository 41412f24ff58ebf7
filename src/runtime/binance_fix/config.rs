//! [`FixVenueConfig`]: what the Binance Spot FIX gateway needs to connect, as the
//! scenario's `[venue.gateway]` gives it (checked there): the endpoint, the CompIDs,
//! the symbol, where the credentials are, the heartbeat, the self-trade prevention
//! mode and whether sequence numbers restart at every logon.

use crate::fix::sign::SecretSource;

/// Binance's SelfTradePreventionMode(25001).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StpMode {
    /// `1` NONE.
    None,
    /// `2` EXPIRE_TAKER.
    ExpireTaker,
    /// `3` EXPIRE_MAKER.
    ExpireMaker,
    /// `4` EXPIRE_BOTH.
    ExpireBoth,
    /// `5` DECREMENT.
    Decrement,
    /// `6` TRANSFER.
    Transfer,
}

impl StpMode {
    /// The mode named `name` (`expire_maker`), as the scenario writes it.
    pub fn parse(name: &str) -> Option<StpMode> {
        Some(match name {
            "none" => StpMode::None,
            "expire_taker" => StpMode::ExpireTaker,
            "expire_maker" => StpMode::ExpireMaker,
            "expire_both" => StpMode::ExpireBoth,
            "decrement" => StpMode::Decrement,
            "transfer" => StpMode::Transfer,
            _ => return None,
        })
    }

    /// Its value on the wire.
    pub const fn wire(self) -> u8 {
        match self {
            StpMode::None => b'1',
            StpMode::ExpireTaker => b'2',
            StpMode::ExpireMaker => b'3',
            StpMode::ExpireBoth => b'4',
            StpMode::Decrement => b'5',
            StpMode::Transfer => b'6',
        }
    }
}

/// A Binance Spot FIX venue's connection settings. See the module doc.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixVenueConfig {
    /// The endpoint's host (loopback: a local TLS proxy, or the test venue).
    pub host: String,
    /// Its port.
    pub port: u16,
    /// SenderCompID(49).
    pub sender_comp_id: String,
    /// TargetCompID(56).
    pub target_comp_id: String,
    /// Symbol(55) of the venue's one book.
    pub symbol: String,
    /// Where the API key is.
    pub api_key: SecretSource,
    /// Where the Ed25519 private key (PKCS#8 PEM) is.
    pub private_key: SecretSource,
    /// HeartBtInt(108), seconds.
    pub heartbeat_s: u32,
    /// SelfTradePreventionMode(25001) on every order, if set.
    pub stp_mode: Option<StpMode>,
    /// ResetSeqNumFlag(141)=Y on every logon, both sequence numbers restarting at 1.
    /// Binance requires it (the scenario always sets it); off, a reconnect resumes the
    /// numbers and a gap is recovered by ResendRequest, as on a standard FIX venue.
    pub reset_seq_on_logon: bool,
}
