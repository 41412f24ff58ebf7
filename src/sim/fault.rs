//! [`FaultPlan`]: which faults a simulated venue injects, each with its own rate, and
//! [`FaultCounts`]: how often each one hit.
//!
//! Rates are parts per million per opportunity (a request, a report, a feed update). A
//! rate of 0 switches the fault off. [`FaultPlan::swarm`] switches each fault on or off
//! per run with a random rate (swarm testing: a run with few fault kinds explores their
//! interactions deeper than one with all of them at once).
//!
//! Each fault, the opportunity it is rolled on, and its effect:
//! - `reject` (new order): refused by the venue; the book is untouched.
//! - `partial_fill` (an IOC, or a resting order traded through): fills only part of
//!   what it could.
//! - `duplicate` (report): delivered twice.
//! - `reorder` (report): skips the connection's ordering and arrives late, after later
//!   reports.
//! - `lost_request` (request): never reaches the venue (a query finds nothing).
//! - `lost_reply` (request): the venue acts, but its answers (not its fills) are lost.
//! - `disconnect` (request): the connection drops for `disconnect_ns`; the venue cancels
//!   every resting order (cancel-on-disconnect), requests and answers in flight are lost,
//!   fills are delivered after the reconnect.
//! - `fill_after_cancel` (cancel of a resting order): the venue matched part of the
//!   order just before the cancel; the fill report arrives after the cancel's ack.
//! - `spike` (message): `spike_ns` more latency (later messages queue behind it).
//! - `stale_book` (feed update): the client's view of the book is not refreshed.
//! - `price_jump` (feed update): the venue's book jumps `jump_ticks` one way.

use core::fmt;

use super::Rng;

/// Fault rates for one simulated venue. See the module doc.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FaultPlan {
    /// New orders refused.
    pub reject_ppm: u32,
    /// Fills cut short.
    pub partial_fill_ppm: u32,
    /// Reports delivered twice.
    pub duplicate_ppm: u32,
    /// Reports delivered out of order.
    pub reorder_ppm: u32,
    /// Requests lost before the venue.
    pub lost_request_ppm: u32,
    /// Answers lost after the venue acted.
    pub lost_reply_ppm: u32,
    /// Disconnects (per request).
    pub disconnect_ppm: u32,
    /// How long a disconnect lasts.
    pub disconnect_ns: u64,
    /// Cancels that race a fill, acked first.
    pub fill_after_cancel_ppm: u32,
    /// Messages delayed by a spike.
    pub spike_ppm: u32,
    /// Extra latency of a spike.
    pub spike_ns: u64,
    /// Feed updates the client does not see.
    pub stale_book_ppm: u32,
    /// Feed updates that jump the price.
    pub price_jump_ppm: u32,
    /// Size of a jump, ticks.
    pub jump_ticks: i64,
}

/// One kind of fault (indexes [`FaultCounts`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// See [`FaultPlan::reject_ppm`].
    Reject,
    /// See [`FaultPlan::partial_fill_ppm`].
    PartialFill,
    /// See [`FaultPlan::duplicate_ppm`].
    Duplicate,
    /// See [`FaultPlan::reorder_ppm`].
    Reorder,
    /// See [`FaultPlan::lost_request_ppm`].
    LostRequest,
    /// See [`FaultPlan::lost_reply_ppm`].
    LostReply,
    /// See [`FaultPlan::disconnect_ppm`].
    Disconnect,
    /// See [`FaultPlan::fill_after_cancel_ppm`].
    FillAfterCancel,
    /// See [`FaultPlan::spike_ppm`].
    Spike,
    /// See [`FaultPlan::stale_book_ppm`].
    StaleBook,
    /// See [`FaultPlan::price_jump_ppm`].
    PriceJump,
}

impl Fault {
    /// Every fault, in [`FaultCounts`] order.
    pub const ALL: [Fault; 11] = [
        Fault::Reject,
        Fault::PartialFill,
        Fault::Duplicate,
        Fault::Reorder,
        Fault::LostRequest,
        Fault::LostReply,
        Fault::Disconnect,
        Fault::FillAfterCancel,
        Fault::Spike,
        Fault::StaleBook,
        Fault::PriceJump,
    ];

    /// A short name for tables.
    pub const fn name(self) -> &'static str {
        match self {
            Fault::Reject => "reject",
            Fault::PartialFill => "partial_fill",
            Fault::Duplicate => "duplicate",
            Fault::Reorder => "reorder",
            Fault::LostRequest => "lost_request",
            Fault::LostReply => "lost_reply",
            Fault::Disconnect => "disconnect",
            Fault::FillAfterCancel => "fill_after_cancel",
            Fault::Spike => "spike",
            Fault::StaleBook => "stale_book",
            Fault::PriceJump => "price_jump",
        }
    }
}

impl FaultPlan {
    /// No faults.
    pub const NONE: FaultPlan = FaultPlan {
        reject_ppm: 0,
        partial_fill_ppm: 0,
        duplicate_ppm: 0,
        reorder_ppm: 0,
        lost_request_ppm: 0,
        lost_reply_ppm: 0,
        disconnect_ppm: 0,
        disconnect_ns: 0,
        fill_after_cancel_ppm: 0,
        spike_ppm: 0,
        spike_ns: 0,
        stale_book_ppm: 0,
        price_jump_ppm: 0,
        jump_ticks: 0,
    };

    /// The rate of `fault`.
    pub const fn rate(&self, fault: Fault) -> u32 {
        match fault {
            Fault::Reject => self.reject_ppm,
            Fault::PartialFill => self.partial_fill_ppm,
            Fault::Duplicate => self.duplicate_ppm,
            Fault::Reorder => self.reorder_ppm,
            Fault::LostRequest => self.lost_request_ppm,
            Fault::LostReply => self.lost_reply_ppm,
            Fault::Disconnect => self.disconnect_ppm,
            Fault::FillAfterCancel => self.fill_after_cancel_ppm,
            Fault::Spike => self.spike_ppm,
            Fault::StaleBook => self.stale_book_ppm,
            Fault::PriceJump => self.price_jump_ppm,
        }
    }

    /// Each fault on with probability ½, at 2 %, 10 % or 30 % (disconnects at a tenth of
    /// that); `base_latency_ns` scales spikes and disconnects.
    pub fn swarm(rng: &mut Rng, base_latency_ns: u64) -> FaultPlan {
        let mut pick = |scale: u32| -> u32 {
            if rng.below(2) == 0 {
                0
            } else {
                [20_000, 100_000, 300_000][rng.below(3) as usize] / scale
            }
        };
        let mut p = FaultPlan {
            reject_ppm: pick(1),
            partial_fill_ppm: pick(1),
            duplicate_ppm: pick(1),
            reorder_ppm: pick(1),
            lost_request_ppm: pick(1),
            lost_reply_ppm: pick(1),
            disconnect_ppm: pick(10),
            fill_after_cancel_ppm: pick(1),
            spike_ppm: pick(1),
            stale_book_ppm: pick(1),
            price_jump_ppm: pick(10),
            ..FaultPlan::NONE
        };
        p.disconnect_ns = base_latency_ns.saturating_mul(20);
        p.spike_ns = base_latency_ns.saturating_mul(10);
        p.jump_ticks = 1 + rng.below(4) as i64;
        p
    }
}

/// How often each fault hit, in [`Fault::ALL`] order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FaultCounts(pub [u64; 11]);

impl FaultCounts {
    /// Counts one hit.
    pub fn hit(&mut self, fault: Fault) {
        self.0[fault as usize] += 1;
    }

    /// Hits of `fault`.
    pub fn get(&self, fault: Fault) -> u64 {
        self.0[fault as usize]
    }

    /// Adds `other`'s hits.
    pub fn add(&mut self, other: &FaultCounts) {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a += b;
        }
    }

    /// Hits of all faults.
    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }
}

impl fmt::Display for FaultCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, fault) in Fault::ALL.iter().enumerate() {
            let sep = if i == 0 { "" } else { ", " };
            write!(f, "{sep}{} {}", fault.name(), self.0[i])?;
        }
        Ok(())
    }
}
