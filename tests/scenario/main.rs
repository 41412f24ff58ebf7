//! Targeted scenarios, one file per behaviour (str0m's style): each scripts the market
//! and the faults around one group on simulated venues, and checks what the group sent,
//! how it ended, and the venues' own ledgers.

mod harness;

mod cancel_fill_race;
mod duplicate_fills;
mod fill_after_cancel_ack;
mod lost_reply;
mod many_fills;
mod money;
mod partial_at_timeout;
mod reject_after_fill;
mod silent_venue;
mod unwind_past_caps;
mod unwind_rejected;
