//! [`PositionWatch`]: the venue's position in the gateway's symbol held against the fills
//! the gateway delivered, so a fill the engine never heard of (a stream message lost on
//! a live link, a trade made by someone else on the account) does not go unnoticed.
//!
//! The venue's position is read at each connect (`positionRisk`; the first read is the
//! baseline legcore's fills add to) and follows each `ACCOUNT_UPDATE`. The two may
//! differ for a moment: Binance sends a fill's `ACCOUNT_UPDATE` before its
//! `ORDER_TRADE_UPDATE`, and a reconnect reads the position before its reconciliation
//! recovers the fills missed. So a difference is acted on only when it has lasted the
//! grace period with no reconciliation running: first by reconciling every open order
//! again (a lost fill is recovered by trade id, once); if it still lasts the grace
//! after that, the gateway reports a break, once per disagreement, and the engine stops
//! taking on risk (see [`crate::venue::Delivery::PositionBreak`]).

/// What the watch asks of the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Watch {
    /// Nothing to do.
    Quiet,
    /// Reconcile every open order: the position has disagreed for the grace period.
    Reconcile,
    /// Still disagreeing after a reconciliation: report it.
    Break {
        /// The venue's position, lots.
        venue_lots: i64,
        /// The baseline plus the fills delivered, lots.
        expected_lots: i64,
    },
}

/// See the module doc. Lots are signed, long positive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PositionWatch {
    grace_ns: u64,
    expected: Option<i64>,
    venue: Option<i64>,
    since_ns: Option<u64>,
    reconciled: bool,
    told: bool,
}

impl PositionWatch {
    /// A watch acting after `grace_ms` of disagreement; 0 turns it off.
    pub fn new(grace_ms: u64) -> PositionWatch {
        PositionWatch {
            grace_ns: grace_ms.saturating_mul(1_000_000),
            expected: None,
            venue: None,
            since_ns: None,
            reconciled: false,
            told: false,
        }
    }

    /// Whether it watches at all.
    pub fn is_on(&self) -> bool {
        self.grace_ns > 0
    }

    /// The venue's position as last read or updated.
    pub fn venue_lots(&self) -> Option<i64> {
        self.venue
    }

    /// The baseline plus the fills delivered since.
    pub fn expected_lots(&self) -> Option<i64> {
        self.expected
    }

    /// The venue's position (a `positionRisk` read or an `ACCOUNT_UPDATE`); the first
    /// is the baseline.
    pub fn venue_says(&mut self, lots: i64) {
        self.expected.get_or_insert(lots);
        self.venue = Some(lots);
    }

    /// A fill the gateway delivered, signed lots (buys +).
    pub fn filled(&mut self, lots: i64) {
        if let Some(e) = &mut self.expected {
            *e = e.saturating_add(lots);
        }
    }

    /// What to do at `now_ns`; `settled`: connected and no reconciliation running.
    pub fn check(&mut self, now_ns: u64, settled: bool) -> Watch {
        let (Some(venue_lots), Some(expected_lots)) = (self.venue, self.expected) else {
            return Watch::Quiet;
        };
        if venue_lots == expected_lots || !self.is_on() {
            self.since_ns = None;
            self.reconciled = false;
            self.told = false;
            return Watch::Quiet;
        }
        let since = *self.since_ns.get_or_insert(now_ns);
        if !settled || self.told || now_ns.saturating_sub(since) < self.grace_ns {
            return Watch::Quiet;
        }
        if !self.reconciled {
            self.reconciled = true;
            self.since_ns = Some(now_ns); // the grace again, after the reconciliation
            return Watch::Reconcile;
        }
        self.told = true;
        Watch::Break {
            venue_lots,
            expected_lots,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    #[test]
    fn a_difference_within_the_grace_is_quiet_and_one_that_lasts_is_reconciled_then_told() {
        let mut w = PositionWatch::new(100);
        assert_eq!(w.check(0, true), Watch::Quiet, "nothing read yet");
        w.venue_says(5);
        assert_eq!(w.expected_lots(), Some(5), "the first read is the baseline");
        // ACCOUNT_UPDATE before the fill: different for a moment, then agreeing.
        w.venue_says(8);
        assert_eq!(w.check(10 * MS, true), Watch::Quiet);
        w.filled(3);
        assert_eq!(w.check(200 * MS, true), Watch::Quiet, "agreed in time");
        // A fill the gateway never delivers.
        w.venue_says(10);
        assert_eq!(w.check(300 * MS, true), Watch::Quiet);
        assert_eq!(w.check(399 * MS, true), Watch::Quiet);
        assert_eq!(
            w.check(400 * MS, false),
            Watch::Quiet,
            "not while reconciling"
        );
        assert_eq!(w.check(400 * MS, true), Watch::Reconcile);
        assert_eq!(w.check(450 * MS, true), Watch::Quiet, "the grace again");
        let told = Watch::Break {
            venue_lots: 10,
            expected_lots: 8,
        };
        assert_eq!(w.check(500 * MS, true), told);
        assert_eq!(w.check(900 * MS, true), Watch::Quiet, "told once");
        // Agreeing again resets it: a later disagreement is told again.
        w.filled(2);
        assert_eq!(w.check(901 * MS, true), Watch::Quiet);
        w.filled(-1);
        assert_eq!(w.check(1_000 * MS, true), Watch::Quiet);
        assert_eq!(w.check(1_100 * MS, true), Watch::Reconcile);
        assert!(matches!(w.check(1_200 * MS, true), Watch::Break { .. }));
    }

    #[test]
    fn a_recovered_fill_ends_the_disagreement_and_zero_grace_is_off() {
        let mut w = PositionWatch::new(100);
        w.venue_says(0);
        w.venue_says(-4);
        assert_eq!(w.check(0, true), Watch::Quiet);
        assert_eq!(w.check(100 * MS, true), Watch::Reconcile);
        w.filled(-4); // the reconciliation found it
        assert_eq!(w.check(300 * MS, true), Watch::Quiet);
        let mut off = PositionWatch::new(0);
        off.venue_says(0);
        off.venue_says(7);
        assert!(!off.is_on());
        assert_eq!(off.check(u64::MAX, true), Watch::Quiet);
    }
}
