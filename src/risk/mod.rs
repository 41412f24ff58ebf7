//! Pre-trade risk: every order passes here before it leaves the core, and fails closed.
//!
//! Checks, in this order (the first failure is the reason):
//! 1. the kill switch: `Halted` passes only cancels; `Reducing` passes cancels and orders
//!    the caller marks as reducing a position; `Active` passes all;
//! 2. the venue is known;
//! 3. the client order id was not used among the last [`ID_MEMORY`] orders;
//! 4. per-order notional cap (not for a reducing order);
//! 5. price collar: |price − mid| / mid × 10⁴ ≤ the collar (no mid → reject);
//! 6. open orders on the venue below the cap (not for a reducing order);
//! 7. the venue's message-rate token bucket has a token (cancels also spend one).
//!
//! A reducing order (a group's unwind) skips the two caps: it reduces a position they
//! admitted at entry, and refusing it because the price moved or orders are still open
//! would leave that position wrong. It still meets the kill switch, the duplicate guard,
//! the collar and the rate limit, and counts as open.
//!
//! A new group's entry ([`RiskState::check_all`]) also meets the venue's own rate-limit
//! use, as its gateway reports it ([`RiskState::set_venue_load`]; Binance's `rateLimits`):
//! at or above [`VENUE_LOAD_LIMIT_PERMILLE`] of the venue's fullest window, no new group
//! starts there (`VenueLoad`), so legcore slows down before the venue bans it. Orders of
//! groups already started (completions, unwinds) are not held back by it.
//!
//! A rejected order changes nothing; an accepted one counts as open and spends a token.
//! [`RiskState::on_closed`] gives the open slot back. Group-level notional is checked by
//! [`RiskState::check_group`] before any leg is sent. Time is an argument (`now_ns`);
//! state is fixed-size (`arrayvec`), so a check allocates nothing.

use arrayvec::ArrayVec;
use ethnum::I256;

use crate::index::{LegIdx, VenueId};
use crate::num::{Decimal, Ratio};

/// Venues one risk state can track.
pub const MAX_VENUES: usize = 8;
/// Client order ids remembered for the duplicate guard.
pub const ID_MEMORY: usize = 256;
/// A venue's reported rate-limit use (thousandths of its fullest window) at which no
/// new group starts on it.
pub const VENUE_LOAD_LIMIT_PERMILLE: u16 = 800;

/// The kill switch (FIA's guide: block new risk, allow risk-reducing orders).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KillSwitch {
    /// Everything allowed within limits.
    Active,
    /// Only cancels and position-reducing orders.
    Reducing,
    /// Only cancels.
    Halted,
}

/// Limits for one venue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VenueLimits {
    /// Largest notional of one order, in quote.
    pub max_order_notional: Decimal,
    /// Widest price distance from the mid, in bps.
    pub collar_bps: Ratio,
    /// Most orders open at once.
    pub max_open_orders: u32,
    /// Sustained messages per second.
    pub msgs_per_sec: u32,
    /// Burst size of the message bucket.
    pub burst: u32,
}

/// What is being sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// A new order.
    Order {
        /// Unique per order.
        client_id: u64,
        /// Order notional in quote.
        notional: Decimal,
        /// Limit (or protection) price in ticks.
        price_ticks: i64,
        /// Best bid + best ask in ticks at decision time, if both sides exist.
        mid_x2_ticks: Option<i64>,
        /// The caller's judgement that it only reduces an existing position.
        reducing: bool,
    },
    /// A cancel of an open order.
    Cancel,
}

/// Why a request was refused. Nothing changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RiskReject {
    /// The kill switch is halted; only cancels pass.
    #[error("kill switch halted")]
    Halted,
    /// The kill switch is reducing and the order would add risk.
    #[error("kill switch reducing: only risk-reducing orders")]
    ReducingOnly,
    /// No such venue in the risk state.
    #[error("unknown venue {0}")]
    UnknownVenue(VenueId),
    /// A command for a leg the group's plan does not have.
    #[error("unknown leg {0}")]
    UnknownLeg(LegIdx),
    /// The client order id was used recently.
    #[error("duplicate client order id {0}")]
    DuplicateId(u64),
    /// The order's notional is above the venue's cap.
    #[error("order notional {notional} above the cap {cap}")]
    OrderNotional {
        /// The order's notional.
        notional: Decimal,
        /// The cap.
        cap: Decimal,
    },
    /// The group's notional is above the cap.
    #[error("group notional {notional} above the cap {cap}")]
    GroupNotional {
        /// The group's total notional.
        notional: Decimal,
        /// The cap.
        cap: Decimal,
    },
    /// No mid to judge the price against: fail closed.
    #[error("no mid price to check the collar against")]
    NoMid,
    /// The price is outside the collar.
    #[error("price {price_ticks} ticks outside the {collar_bps} bps collar around the mid")]
    Collar {
        /// The order's price.
        price_ticks: i64,
        /// The collar.
        collar_bps: Ratio,
    },
    /// The venue already has its maximum of open orders.
    #[error("{0} orders already open on the venue")]
    OpenOrders(u32),
    /// The venue's message rate is exhausted; retry later.
    #[error("message rate limit reached")]
    RateLimited,
    /// The venue reports its own rate limit this full (thousandths): no new group.
    #[error("the venue's rate limit is {0}/1000 used: no new group until it eases")]
    VenueLoad(u16),
}

/// A token bucket in integer nano-tokens (1 token = 10^9): exact, no floats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Bucket {
    nano_tokens: u128,
    last_ns: u64,
}

const NANO: u128 = 1_000_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Venue {
    limits: VenueLimits,
    open_orders: u32,
    bucket: Bucket,
    load_permille: u16,
}

impl Venue {
    /// Tokens after refilling to `now_ns` (time never runs backwards here).
    fn refilled(&self, now_ns: u64) -> Bucket {
        let elapsed = u128::from(now_ns.saturating_sub(self.bucket.last_ns));
        let cap = u128::from(self.limits.burst) * NANO;
        let add = elapsed.saturating_mul(u128::from(self.limits.msgs_per_sec));
        Bucket {
            nano_tokens: self.bucket.nano_tokens.saturating_add(add).min(cap),
            last_ns: now_ns.max(self.bucket.last_ns),
        }
    }
}

/// The risk state of one core: venues, open orders, recent ids, the kill switch.
#[derive(Debug, Clone)]
pub struct RiskState {
    venues: ArrayVec<Venue, MAX_VENUES>,
    ids: [u64; ID_MEMORY],
    ids_len: usize,
    ids_next: usize,
    max_group_notional: Decimal,
    switch: KillSwitch,
}

impl RiskState {
    /// Risk state with a group notional cap; venues are added with [`add_venue`](Self::add_venue).
    pub fn new(max_group_notional: Decimal) -> RiskState {
        RiskState {
            venues: ArrayVec::new(),
            ids: [0; ID_MEMORY],
            ids_len: 0,
            ids_next: 0,
            max_group_notional,
            switch: KillSwitch::Active,
        }
    }

    /// Adds a venue (its bucket starts full at `now_ns`); returns its index, or `None`
    /// when [`MAX_VENUES`] are already tracked.
    pub fn add_venue(&mut self, limits: VenueLimits, now_ns: u64) -> Option<VenueId> {
        let bucket = Bucket {
            nano_tokens: u128::from(limits.burst) * NANO,
            last_ns: now_ns,
        };
        let v = Venue {
            limits,
            open_orders: 0,
            bucket,
            load_permille: 0,
        };
        self.venues.try_push(v).ok()?;
        Some(VenueId::new(self.venues.len() - 1))
    }

    /// The kill switch.
    pub fn switch(&self) -> KillSwitch {
        self.switch
    }

    /// Sets the kill switch (an `unhedged` group moves it to `Reducing`).
    pub fn set_switch(&mut self, switch: KillSwitch) {
        self.switch = switch;
    }

    /// Orders open on `venue`.
    pub fn open_orders(&self, venue: VenueId) -> Option<u32> {
        self.venues.get(venue.index()).map(|v| v.open_orders)
    }

    /// Checks a group's total notional before any leg is sent.
    pub fn check_group(&self, total_notional: Decimal) -> Result<(), RiskReject> {
        if total_notional > self.max_group_notional {
            return Err(RiskReject::GroupNotional {
                notional: total_notional,
                cap: self.max_group_notional,
            });
        }
        Ok(())
    }

    /// Checks `req` for `venue` at `now_ns`; on `Ok` it is counted (open order, token,
    /// id). On `Err` nothing changed.
    pub fn check(&mut self, venue: VenueId, req: Request, now_ns: u64) -> Result<(), RiskReject> {
        let reducing = match req {
            Request::Cancel => true,
            Request::Order { reducing, .. } => reducing,
        };
        match (self.switch, req) {
            (KillSwitch::Halted, Request::Order { .. }) => return Err(RiskReject::Halted),
            (KillSwitch::Reducing, _) if !reducing => return Err(RiskReject::ReducingOnly),
            _ => {}
        }
        let v = *self
            .venues
            .get(venue.index())
            .ok_or(RiskReject::UnknownVenue(venue))?;
        if let Request::Order {
            client_id,
            notional,
            price_ticks,
            mid_x2_ticks,
            ..
        } = req
        {
            if self.ids[..self.ids_len].contains(&client_id) {
                return Err(RiskReject::DuplicateId(client_id));
            }
            // A reducing order (an unwind) reduces a position the caps admitted at entry;
            // the size and open-order caps would only leave that position wrong. The
            // collar still holds: a reducing order at a wild price is still refused.
            let cap = v.limits.max_order_notional;
            if notional > cap && !reducing {
                return Err(RiskReject::OrderNotional { notional, cap });
            }
            collar(price_ticks, mid_x2_ticks, v.limits.collar_bps)?;
            if v.open_orders >= v.limits.max_open_orders && !reducing {
                return Err(RiskReject::OpenOrders(v.open_orders));
            }
        }
        let mut bucket = v.refilled(now_ns);
        if bucket.nano_tokens < NANO {
            return Err(RiskReject::RateLimited);
        }
        // All checks passed: commit.
        bucket.nano_tokens -= NANO;
        let slot = &mut self.venues[venue.index()];
        slot.bucket = bucket;
        if let Request::Order { client_id, .. } = req {
            slot.open_orders += 1;
            self.ids[self.ids_next] = client_id;
            self.ids_next = (self.ids_next + 1) % ID_MEMORY;
            self.ids_len = (self.ids_len + 1).min(ID_MEMORY);
        }
        Ok(())
    }

    /// Checks every request of a group as one: all pass and are counted, or the first
    /// refusal is returned with its index and nothing is counted ("one failure sends
    /// nothing"). Requests on the same venue see each other's open orders and tokens. A
    /// new (not reducing) order on a venue whose reported load is at the limit refuses
    /// the group (`VenueLoad`).
    pub fn check_all(
        &mut self,
        reqs: &[(VenueId, Request)],
        now_ns: u64,
    ) -> Result<(), (usize, RiskReject)> {
        for (i, &(venue, req)) in reqs.iter().enumerate() {
            let fresh = matches!(
                req,
                Request::Order {
                    reducing: false,
                    ..
                }
            );
            match self.venue_load(venue) {
                Some(l) if fresh && l >= VENUE_LOAD_LIMIT_PERMILLE => {
                    return Err((i, RiskReject::VenueLoad(l)));
                }
                _ => {}
            }
        }
        let mut trial = self.clone(); // fixed-size state: a copy, no allocation
        for (i, &(venue, req)) in reqs.iter().enumerate() {
            trial.check(venue, req, now_ns).map_err(|e| (i, e))?;
        }
        *self = trial;
        Ok(())
    }

    /// When `venue`'s message bucket holds a token again, from `now_ns` (`now_ns` if it
    /// does now); `None` for an unknown venue or a bucket that never refills (a rate or
    /// burst of 0): a wait for it would never end.
    pub fn token_at(&self, venue: VenueId, now_ns: u64) -> Option<u64> {
        let v = self.venues.get(venue.index())?;
        let rate = u128::from(v.limits.msgs_per_sec);
        if rate == 0 || v.limits.burst == 0 {
            return None;
        }
        let b = v.refilled(now_ns);
        // The bucket gains `rate` nano-tokens per ns.
        let wait = NANO.saturating_sub(b.nano_tokens).div_ceil(rate);
        Some(u64::try_from(wait).map_or(u64::MAX, |w| b.last_ns.saturating_add(w)))
    }

    /// An order on `venue` reached a terminal state: its open slot is free again.
    pub fn on_closed(&mut self, venue: VenueId) {
        if let Some(v) = self.venues.get_mut(venue.index()) {
            v.open_orders = v.open_orders.saturating_sub(1);
        }
    }

    /// `venue`'s own rate-limit use as its gateway last reported it, thousandths.
    pub fn set_venue_load(&mut self, venue: VenueId, permille: u16) {
        if let Some(v) = self.venues.get_mut(venue.index()) {
            v.load_permille = permille;
        }
    }

    /// `venue`'s last reported rate-limit use, thousandths (0 until reported).
    pub fn venue_load(&self, venue: VenueId) -> Option<u16> {
        self.venues.get(venue.index()).map(|v| v.load_permille)
    }
}

/// `|2p − m2| × 10⁴ ≤ collar × m2`, exactly (256-bit, collar as `I64F64` bits).
fn collar(price_ticks: i64, mid_x2: Option<i64>, collar_bps: Ratio) -> Result<(), RiskReject> {
    let m2 = mid_x2.filter(|m| *m > 0).ok_or(RiskReject::NoMid)?;
    let dist = I256::new((2 * i128::from(price_ticks) - i128::from(m2)).abs());
    let lhs = (dist * I256::new(10_000)) << 64u32;
    let rhs = I256::new(collar_bps.to_bits()) * I256::new(i128::from(m2));
    if lhs > rhs {
        return Err(RiskReject::Collar {
            price_ticks,
            collar_bps,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests;
