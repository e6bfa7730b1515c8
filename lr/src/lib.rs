//! The legally relevant (LR) computation of Mensura.
//!
//! Three things live here, with no dependency on any blockchain framework, so that the
//! runtime, meter firmware, auditors and the fuzzer share one implementation:
//!
//! - [`frame`]: the byte format of a meter's **frame** of raw samples, and the message a
//!   meter signs for it;
//! - [`program`]: the byte format of an **LR program**, a bounded, typed pipeline of
//!   deterministic operators, and the checks a program must pass to be publishable;
//! - [`Program::execute`]: the interpreter, which turns a frame into a **quantity** using
//!   integer arithmetic only; [`CheckedProgram`] runs one program on many frames, checked
//!   once and on buffers it keeps.
//!
//! Nothing in this crate panics, whatever bytes it is given: decoding and execution
//! return errors instead. The crate denies indexing, unchecked arithmetic, `unwrap` and
//! `panic!` to keep it that way, and a `cargo fuzz` target (`lr/fuzz`) exercises it.

#![cfg_attr(not(feature = "std"), no_std)]
#![forbid(unsafe_code)]
#![deny(
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects,
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::panic,
	clippy::unreachable,
	clippy::cast_possible_truncation
)]
#![cfg_attr(
	test,
	allow(
		clippy::indexing_slicing,
		clippy::arithmetic_side_effects,
		clippy::unwrap_used,
		clippy::cast_possible_truncation
	)
)]

extern crate alloc;

pub mod examples;
mod exec;
pub mod frame;
pub mod program;

pub use exec::CheckedProgram;
pub use frame::{Frame, FrameError, FrameFormat, FRAME_HEADER_LEN, SIGNING_TAG};
pub use program::{Op, Program, ProgramError, PROGRAM_VERSION};

/// The most sample channels a frame or a program may have.
pub const MAX_CHANNELS: u8 = 16;

/// The most operators a program may have.
pub const MAX_OPS: u8 = 32;

/// The widest median filter window.
pub const MAX_MEDIAN_WINDOW: u8 = 15;

/// The widest moving-average window.
pub const MAX_AVERAGE_WINDOW: u8 = 64;

/// Why a program could not compute a quantity from a frame.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ExecError {
	/// The frame has a different number of channels from the program's inputs.
	ChannelCountMismatch { program: u8, frame: u8 },
	/// An intermediate value left the range of its type (a channel value beyond `i64`,
	/// the accumulator beyond `i128`). `op` is the index of the operator.
	Overflow { op: u8 },
	/// The final quantity is negative; registers only count up.
	NegativeQuantity,
	/// The program is not valid (only possible for a program built in memory; a decoded
	/// program has been checked).
	InvalidProgram(ProgramError),
	/// The frame's interval is empty or reversed.
	EmptyInterval,
}

impl ExecError {
	/// A short, stable name for logs and clients.
	pub fn name(&self) -> &'static str {
		match self {
			ExecError::ChannelCountMismatch { .. } => "ChannelCountMismatch",
			ExecError::Overflow { .. } => "Overflow",
			ExecError::NegativeQuantity => "NegativeQuantity",
			ExecError::EmptyInterval => "EmptyInterval",
			ExecError::InvalidProgram(_) => "InvalidProgram",
		}
	}
}

/// Rounds `numerator / denominator` to the nearest integer, ties away from zero.
/// `None` when `denominator` is zero or the result does not fit.
pub(crate) fn div_round(numerator: i128, denominator: i128) -> Option<i128> {
	if denominator == 0 {
		return None;
	}
	let quotient = numerator.checked_div(denominator)?;
	let remainder = numerator.checked_rem(denominator)?;
	// |2r| >= |d| means the fractional part is at least one half.
	let twice = remainder.checked_mul(2)?.checked_abs()?;
	if twice >= denominator.checked_abs()? {
		let away = if (numerator < 0) == (denominator < 0) { 1 } else { -1 };
		quotient.checked_add(away)
	} else {
		Some(quotient)
	}
}

#[cfg(test)]
mod tests {
	use super::div_round;

	#[test]
	fn division_rounds_half_away_from_zero() {
		assert_eq!(div_round(7, 2), Some(4));
		assert_eq!(div_round(-7, 2), Some(-4));
		assert_eq!(div_round(7, -2), Some(-4));
		assert_eq!(div_round(5, 3), Some(2));
		assert_eq!(div_round(4, 3), Some(1));
		assert_eq!(div_round(-4, 3), Some(-1));
		assert_eq!(div_round(1, 0), None);
		assert_eq!(div_round(i128::MIN, -1), None);
	}
}
