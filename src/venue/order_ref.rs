//! [`OrderRef`]: the client order id, as bit fields with their bounds checked.
//!
//! Every order the engine sends is named by the job (group) it belongs to, the leg of
//! that group, the part of the leg (entry, completion, unwinds) and the leg's order
//! slot, so a report finds its group without a lookup table. On the wire it is one
//! `u64`, laid out (bit 0 the least significant):
//!
//! ```text
//!  63        53 52                               12 11   8 7    4 3    0
//! +------------+-----------------------------------+------+------+------+
//! |  zero (11) |             job (41)              | leg  | part | slot |
//! +------------+-----------------------------------+------+------+------+
//! ```
//!
//! - `slot < MAX_LEG_ORDERS`, `part < MAX_PARTS`, `leg < MAX_GROUP_LEGS`: the limits of
//!   the leg and group state machines, each in its own hex digit (`{:x}` of the wire
//!   value reads as the job, then leg, part and slot);
//! - `job <= MAX_JOB` (2⁴¹ − 1), so the wire value stays below 2⁵³: exact in a double,
//!   which is how JSON readers (JavaScript, pandas, DuckDB's auto-detection) may hold the
//!   journal's `client_id`, and positive as an `i64`.
//!
//! Both directions are checked: [`OrderRef::new`] refuses a field out of range, and
//! [`OrderRef::from_wire`] refuses any `u64` that `new` could not have made (a field out
//! of range or a high bit set), so a decoded id is always one the engine could send.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::group::{MAX_GROUP_LEGS, MAX_PARTS};
use crate::index::LegIdx;
use crate::leg::MAX_LEG_ORDERS;

/// The largest job number an [`OrderRef`] holds.
pub const MAX_JOB: u64 = (1 << JOB_BITS) - 1;

const FIELD_BITS: u32 = 4;
const JOB_BITS: u32 = 41;
const SLOT_SHIFT: u32 = 0;
const PART_SHIFT: u32 = FIELD_BITS;
const LEG_SHIFT: u32 = 2 * FIELD_BITS;
const JOB_SHIFT: u32 = 3 * FIELD_BITS;
const FIELD_MASK: u64 = (1 << FIELD_BITS) - 1;

// Each limit fits its field, and the whole id stays below 2^53.
const _: () = assert!(MAX_LEG_ORDERS as u64 <= FIELD_MASK + 1);
const _: () = assert!(MAX_PARTS as u64 <= FIELD_MASK + 1);
const _: () = assert!(MAX_GROUP_LEGS as u64 <= FIELD_MASK + 1);
const _: () = assert!(JOB_SHIFT + JOB_BITS == 53);
// A job number is also an index (`job_index`).
const _: () = assert!(usize::BITS > JOB_BITS);

/// One field of an [`OrderRef`] (for errors).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefField {
    /// The job (group) number.
    Job,
    /// The leg of the group.
    Leg,
    /// The part of the leg.
    Part,
    /// The leg's order slot.
    Slot,
}

impl RefField {
    /// The largest value the field may hold.
    pub const fn max(self) -> u64 {
        match self {
            RefField::Job => MAX_JOB,
            RefField::Leg => MAX_GROUP_LEGS as u64 - 1,
            RefField::Part => MAX_PARTS as u64 - 1,
            RefField::Slot => MAX_LEG_ORDERS as u64 - 1,
        }
    }
}

impl fmt::Display for RefField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RefField::Job => "job",
            RefField::Leg => "leg",
            RefField::Part => "part",
            RefField::Slot => "slot",
        })
    }
}

/// Why a client order id could not be made or read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OrderRefError {
    /// A field given to [`OrderRef::new`] is out of range.
    #[error("order ref {field} {value} is out of range 0..={max}", max = field.max())]
    OutOfRange {
        /// The field.
        field: RefField,
        /// The value given.
        value: u64,
    },
    /// A wire id holds a field out of range (or a bit above the job's).
    #[error("client order id {wire}: {field} {value} is out of range 0..={max}", max = field.max())]
    Wire {
        /// The id on the wire.
        wire: u64,
        /// The first field out of range.
        field: RefField,
        /// Its value.
        value: u64,
    },
}

/// A client order id: job, leg, part and slot, each checked. See the module doc.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u64", into = "u64")]
pub struct OrderRef(u64);

fn checked(field: RefField, value: u64) -> Result<u64, OrderRefError> {
    if value > field.max() {
        return Err(OrderRefError::OutOfRange { field, value });
    }
    Ok(value)
}

impl OrderRef {
    /// The id of order `slot` of `part` of `leg` in job `job`.
    pub fn new(job: u64, leg: LegIdx, part: usize, slot: usize) -> Result<OrderRef, OrderRefError> {
        let wide = |v: usize| u64::try_from(v).unwrap_or(u64::MAX);
        let job = checked(RefField::Job, job)?;
        let leg = checked(RefField::Leg, wide(leg.index()))?;
        let part = checked(RefField::Part, wide(part))?;
        let slot = checked(RefField::Slot, wide(slot))?;
        Ok(OrderRef(
            job << JOB_SHIFT | leg << LEG_SHIFT | part << PART_SHIFT | slot << SLOT_SHIFT,
        ))
    }

    /// Reads an id from the wire, refusing any value [`new`](Self::new) cannot make.
    pub fn from_wire(wire: u64) -> Result<OrderRef, OrderRefError> {
        let field = |shift: u32| (wire >> shift) & FIELD_MASK;
        let fields = [
            (RefField::Job, wire >> JOB_SHIFT),
            (RefField::Leg, field(LEG_SHIFT)),
            (RefField::Part, field(PART_SHIFT)),
            (RefField::Slot, field(SLOT_SHIFT)),
        ];
        for (f, value) in fields {
            if value > f.max() {
                return Err(OrderRefError::Wire {
                    wire,
                    field: f,
                    value,
                });
            }
        }
        Ok(OrderRef(wire))
    }

    /// The id on the wire.
    pub const fn wire(self) -> u64 {
        self.0
    }

    /// The job (group) number.
    pub const fn job(self) -> u64 {
        self.0 >> JOB_SHIFT
    }

    /// The job number as an index (it always fits: checked at compile time).
    pub const fn job_index(self) -> usize {
        self.job() as usize
    }

    /// The leg of the group.
    pub const fn leg(self) -> LegIdx {
        LegIdx::new(((self.0 >> LEG_SHIFT) & FIELD_MASK) as usize)
    }

    /// The part of the leg (0 the entry, then completion and unwind attempts).
    pub const fn part(self) -> usize {
        ((self.0 >> PART_SHIFT) & FIELD_MASK) as usize
    }

    /// The leg's order slot.
    pub const fn slot(self) -> usize {
        ((self.0 >> SLOT_SHIFT) & FIELD_MASK) as usize
    }
}

impl TryFrom<u64> for OrderRef {
    type Error = OrderRefError;

    fn try_from(wire: u64) -> Result<OrderRef, OrderRefError> {
        OrderRef::from_wire(wire)
    }
}

impl From<OrderRef> for u64 {
    fn from(r: OrderRef) -> u64 {
        r.wire()
    }
}

/// `job/leg/part/slot`, e.g. `42/1/2/3`.
impl fmt::Display for OrderRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (j, l, p, s) = (self.job(), self.leg(), self.part(), self.slot());
        write!(f, "{j}/{l}/{p}/{s}")
    }
}

impl fmt::Debug for OrderRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OrderRef({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const LEGS: usize = MAX_GROUP_LEGS;
    const PARTS: usize = MAX_PARTS;
    const SLOTS: usize = MAX_LEG_ORDERS;

    #[test]
    fn layout_is_job_then_one_hex_digit_each() {
        let r = OrderRef::new(0x2a, LegIdx::new(1), 2, 3).unwrap();
        assert_eq!(r.wire(), 0x2a123);
        assert_eq!(format!("{:x}", r.wire()), "2a123");
        assert_eq!(r.to_string(), "42/1/2/3");
        let top = OrderRef::new(MAX_JOB, LegIdx::new(LEGS - 1), PARTS - 1, SLOTS - 1).unwrap();
        assert!(top.wire() < 1 << 53);
        assert_eq!(top.job(), MAX_JOB);
    }

    #[test]
    fn out_of_range_fields_are_typed_errors() {
        let e = |field, value| Err(OrderRefError::OutOfRange { field, value });
        assert_eq!(
            OrderRef::new(MAX_JOB + 1, LegIdx::new(0), 0, 0),
            e(RefField::Job, MAX_JOB + 1)
        );
        assert_eq!(
            OrderRef::new(0, LegIdx::new(LEGS), 0, 0),
            e(RefField::Leg, LEGS as u64)
        );
        assert_eq!(
            OrderRef::new(0, LegIdx::new(0), PARTS, 0),
            e(RefField::Part, PARTS as u64)
        );
        assert_eq!(
            OrderRef::new(0, LegIdx::new(0), 0, SLOTS),
            e(RefField::Slot, SLOTS as u64)
        );
        let msg = OrderRef::new(0, LegIdx::new(0), 0, 99)
            .unwrap_err()
            .to_string();
        assert_eq!(
            msg,
            format!("order ref slot 99 is out of range 0..={}", SLOTS - 1)
        );
    }

    #[test]
    fn wire_values_new_cannot_make_are_refused() {
        let slot = OrderRef::from_wire(0xf).unwrap_err();
        assert!(matches!(
            slot,
            OrderRefError::Wire {
                field: RefField::Slot,
                value: 15,
                ..
            }
        ));
        let high = OrderRef::from_wire(1 << 53).unwrap_err();
        assert!(matches!(
            high,
            OrderRefError::Wire {
                field: RefField::Job,
                ..
            }
        ));
        assert!(OrderRef::from_wire(u64::MAX).is_err());
        // The decimal-packed ids of before (42_123: job 42, leg 1, part 2, slot 3) do not
        // decode as the same order.
        assert_ne!(
            OrderRef::from_wire(42_123).ok(),
            OrderRef::new(42, LegIdx::new(1), 2, 3).ok()
        );
    }

    #[test]
    fn serde_is_the_wire_number_and_checks_it() {
        let r = OrderRef::new(7, LegIdx::new(1), 0, 2).unwrap();
        assert_eq!(serde_json::to_string(&r).unwrap(), r.wire().to_string());
        assert_eq!(
            serde_json::from_str::<OrderRef>(&r.wire().to_string()).unwrap(),
            r
        );
        let bad = serde_json::from_str::<OrderRef>("15")
            .unwrap_err()
            .to_string();
        assert!(bad.contains("client order id 15: slot 15"), "{bad}");
    }

    proptest! {
        #[test]
        fn fields_round_trip(
            job in 0..=MAX_JOB,
            leg in 0..LEGS,
            part in 0..PARTS,
            slot in 0..SLOTS,
        ) {
            let r = OrderRef::new(job, LegIdx::new(leg), part, slot).unwrap();
            prop_assert_eq!((r.job(), r.leg().index(), r.part(), r.slot()), (job, leg, part, slot));
            prop_assert_eq!(r.job_index() as u64, job);
            prop_assert_eq!(OrderRef::from_wire(r.wire()), Ok(r));
            prop_assert_eq!(OrderRef::try_from(u64::from(r)), Ok(r));
        }

        #[test]
        fn any_wire_value_decodes_to_itself_or_an_error(wire in any::<u64>()) {
            match OrderRef::from_wire(wire) {
                Ok(r) => {
                    prop_assert_eq!(r.wire(), wire);
                    let again = OrderRef::new(r.job(), r.leg(), r.part(), r.slot());
                    prop_assert_eq!(again, Ok(r));
                }
                Err(OrderRefError::Wire { wire: w, field, value }) => {
                    prop_assert_eq!(w, wire);
                    prop_assert!(value > field.max());
                }
                Err(e) => prop_assert!(false, "unexpected {}", e),
            }
        }

        #[test]
        fn ids_order_by_job_then_leg_part_slot(
            a in (0..=MAX_JOB, 0..LEGS, 0..PARTS, 0..SLOTS),
            b in (0..=MAX_JOB, 0..LEGS, 0..PARTS, 0..SLOTS),
        ) {
            let ra = OrderRef::new(a.0, LegIdx::new(a.1), a.2, a.3).unwrap();
            let rb = OrderRef::new(b.0, LegIdx::new(b.1), b.2, b.3).unwrap();
            prop_assert_eq!(ra.cmp(&rb), a.cmp(&b));
        }
    }
}
