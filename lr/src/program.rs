//! The LR program: a bounded, typed pipeline of deterministic operators.
//!
//! A program declares how many sample channels it expects, then runs in two phases:
//!
//! 1. **channel operators** transform whole channels, sample by sample (calibration,
//!    filtering, clamping, the product of two channels);
//! 2. exactly one **reducer** turns one channel into the accumulator (trapezoidal
//!    integration over the interval, a sum, a delta);
//! 3. **accumulator operators** scale and quantise the result.
//!
//! Channel values are `i64`, the accumulator is `i128`; every operation is checked and
//! every division rounds to the nearest integer, ties away from zero. The result must be
//! a non-negative quantity.
//!
//! # Byte format (version 1)
//!
//! Little-endian throughout: `version: u8 = 1`, `inputs: u8` (1 to [`MAX_CHANNELS`]),
//! `op_count: u8` (1 to [`MAX_OPS`]), then each operator as a one-byte code and its
//! operands:
//!
//! | code | operator | operands |
//! |---:|---|---|
//! | `0x01` | [`Op::Gain`] | `channel: u8, numerator: i32, denominator: i32` |
//! | `0x02` | [`Op::Offset`] | `channel: u8, value: i32` |
//! | `0x03` | [`Op::Clamp`] | `channel: u8, min: i32, max: i32` |
//! | `0x04` | [`Op::Median`] | `channel: u8, window: u8` |
//! | `0x05` | [`Op::MovingAverage`] | `channel: u8, window: u8` |
//! | `0x06` | [`Op::Product`] | `left: u8, right: u8, into: u8, denominator: i32` |
//! | `0x10` | [`Op::Integrate`] | `channel: u8` |
//! | `0x11` | [`Op::Sum`] | `channel: u8` |
//! | `0x12` | [`Op::Delta`] | `channel: u8` |
//! | `0x20` | [`Op::Scale`] | `numerator: i64, denominator: i64` |
//! | `0x21` | [`Op::Quantize`] | `step: u64` |
//!
//! Decoding checks everything [`Program::check`] checks, so a decoded program is valid.

use crate::{MAX_AVERAGE_WINDOW, MAX_CHANNELS, MAX_MEDIAN_WINDOW, MAX_OPS};
use alloc::vec::Vec;

/// The program format version this crate reads and writes.
pub const PROGRAM_VERSION: u8 = 1;

/// One operator of a program.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Op {
	/// Calibration gain: `x ← x · numerator / denominator`; `denominator > 0`.
	Gain { channel: u8, numerator: i32, denominator: i32 },
	/// Calibration offset: `x ← x + value`.
	Offset { channel: u8, value: i32 },
	/// Outlier clamping: `x ← min(max(x, min), max)`; `min ≤ max`.
	Clamp { channel: u8, min: i32, max: i32 },
	/// Median filter over a centred window of odd width 3 to [`MAX_MEDIAN_WINDOW`];
	/// at the ends the window is cut to the samples that exist (the lower middle of an
	/// even count is taken).
	Median { channel: u8, window: u8 },
	/// Trailing moving average over 2 to [`MAX_AVERAGE_WINDOW`] samples; the first
	/// samples average over those that exist.
	MovingAverage { channel: u8, window: u8 },
	/// Channel product: `into ← left · right / denominator`; `denominator > 0`.
	Product { left: u8, right: u8, into: u8, denominator: i32 },
	/// Reducer: the trapezoidal integral of the channel over the interval, in
	/// channel units × milliseconds. The samples are evenly spaced from the interval's
	/// start to its end; a single sample counts for the whole interval.
	Integrate { channel: u8 },
	/// Reducer: the sum of the channel's samples (pulse counting).
	Sum { channel: u8 },
	/// Reducer: the last sample minus the first (a meter's own index register).
	Delta { channel: u8 },
	/// Accumulator scaling: `a ← a · numerator / denominator`; `denominator > 0`.
	Scale { numerator: i64, denominator: i64 },
	/// Quantisation to the register's resolution: `a ← round(a / step) · step`;
	/// `step > 0`.
	Quantize { step: u64 },
}

/// Where an operator belongs in the pipeline.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Phase {
	Channel,
	Reducer,
	Accumulator,
}

impl Op {
	pub(crate) fn phase(&self) -> Phase {
		match self {
			Op::Gain { .. }
			| Op::Offset { .. }
			| Op::Clamp { .. }
			| Op::Median { .. }
			| Op::MovingAverage { .. }
			| Op::Product { .. } => Phase::Channel,
			Op::Integrate { .. } | Op::Sum { .. } | Op::Delta { .. } => Phase::Reducer,
			Op::Scale { .. } | Op::Quantize { .. } => Phase::Accumulator,
		}
	}

	fn code(&self) -> u8 {
		match self {
			Op::Gain { .. } => 0x01,
			Op::Offset { .. } => 0x02,
			Op::Clamp { .. } => 0x03,
			Op::Median { .. } => 0x04,
			Op::MovingAverage { .. } => 0x05,
			Op::Product { .. } => 0x06,
			Op::Integrate { .. } => 0x10,
			Op::Sum { .. } => 0x11,
			Op::Delta { .. } => 0x12,
			Op::Scale { .. } => 0x20,
			Op::Quantize { .. } => 0x21,
		}
	}

	/// The channels the operator reads or writes.
	fn channels(&self) -> [Option<u8>; 3] {
		match *self {
			Op::Gain { channel, .. }
			| Op::Offset { channel, .. }
			| Op::Clamp { channel, .. }
			| Op::Median { channel, .. }
			| Op::MovingAverage { channel, .. }
			| Op::Integrate { channel }
			| Op::Sum { channel }
			| Op::Delta { channel } => [Some(channel), None, None],
			Op::Product { left, right, into, .. } => [Some(left), Some(right), Some(into)],
			Op::Scale { .. } | Op::Quantize { .. } => [None, None, None],
		}
	}
}

/// A program: how many channels it reads, and its operators in order.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Program {
	/// The number of sample channels a frame must have.
	pub inputs: u8,
	/// The pipeline.
	pub ops: Vec<Op>,
}

/// Why bytes are not a valid program. `op` is the index of the offending operator.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ProgramError {
	/// The bytes end inside the program.
	Truncated,
	/// Bytes follow the last operator.
	TrailingBytes,
	/// A format version this crate does not know.
	UnsupportedVersion(u8),
	/// No inputs, or more than [`MAX_CHANNELS`].
	BadInputCount(u8),
	/// No operators, or more than [`MAX_OPS`].
	BadOpCount(u8),
	/// An operator code this crate does not know.
	UnknownOperator { op: u8, code: u8 },
	/// An operator names a channel the program does not have.
	ChannelOutOfRange { op: u8 },
	/// A filter window outside its allowed widths.
	BadWindow { op: u8 },
	/// A denominator that is zero or negative.
	BadDenominator { op: u8 },
	/// A clamp whose minimum exceeds its maximum.
	EmptyClampRange { op: u8 },
	/// A quantisation step of zero.
	ZeroStep { op: u8 },
	/// No reducer: the program never produces a quantity.
	MissingReducer,
	/// A second reducer.
	SecondReducer { op: u8 },
	/// A channel operator after the reducer.
	ChannelOpAfterReducer { op: u8 },
	/// An accumulator operator before the reducer.
	AccumulatorOpBeforeReducer { op: u8 },
}

impl ProgramError {
	/// A short, stable name for logs and clients.
	pub fn name(&self) -> &'static str {
		match self {
			ProgramError::Truncated => "Truncated",
			ProgramError::TrailingBytes => "TrailingBytes",
			ProgramError::UnsupportedVersion(_) => "UnsupportedVersion",
			ProgramError::BadInputCount(_) => "BadInputCount",
			ProgramError::BadOpCount(_) => "BadOpCount",
			ProgramError::UnknownOperator { .. } => "UnknownOperator",
			ProgramError::ChannelOutOfRange { .. } => "ChannelOutOfRange",
			ProgramError::BadWindow { .. } => "BadWindow",
			ProgramError::BadDenominator { .. } => "BadDenominator",
			ProgramError::EmptyClampRange { .. } => "EmptyClampRange",
			ProgramError::ZeroStep { .. } => "ZeroStep",
			ProgramError::MissingReducer => "MissingReducer",
			ProgramError::SecondReducer { .. } => "SecondReducer",
			ProgramError::ChannelOpAfterReducer { .. } => "ChannelOpAfterReducer",
			ProgramError::AccumulatorOpBeforeReducer { .. } => "AccumulatorOpBeforeReducer",
		}
	}
}

impl Program {
	/// Checks the program's shape and operands: inputs and operator counts in range,
	/// channels that exist, valid windows, denominators and steps, and the phases in
	/// order with exactly one reducer.
	pub fn check(&self) -> Result<(), ProgramError> {
		if self.inputs == 0 || self.inputs > MAX_CHANNELS {
			return Err(ProgramError::BadInputCount(self.inputs));
		}
		let count = u8::try_from(self.ops.len()).unwrap_or(u8::MAX);
		if count == 0 || count > MAX_OPS {
			return Err(ProgramError::BadOpCount(count));
		}
		let mut reduced = false;
		for (op, operator) in (0u8..).zip(self.ops.iter()) {
			if operator.channels().iter().flatten().any(|c| *c >= self.inputs) {
				return Err(ProgramError::ChannelOutOfRange { op });
			}
			match operator.phase() {
				Phase::Channel if reduced => {
					return Err(ProgramError::ChannelOpAfterReducer { op })
				}
				Phase::Reducer if reduced => return Err(ProgramError::SecondReducer { op }),
				Phase::Reducer => reduced = true,
				Phase::Accumulator if !reduced => {
					return Err(ProgramError::AccumulatorOpBeforeReducer { op })
				}
				_ => {}
			}
			match *operator {
				Op::Gain { denominator, .. } | Op::Product { denominator, .. }
					if denominator <= 0 =>
				{
					return Err(ProgramError::BadDenominator { op })
				}
				Op::Scale { denominator, .. } if denominator <= 0 => {
					return Err(ProgramError::BadDenominator { op })
				}
				Op::Clamp { min, max, .. } if min > max => {
					return Err(ProgramError::EmptyClampRange { op })
				}
				Op::Median { window, .. }
					if !(3..=MAX_MEDIAN_WINDOW).contains(&window) || window % 2 == 0 =>
				{
					return Err(ProgramError::BadWindow { op })
				}
				Op::MovingAverage { window, .. } if !(2..=MAX_AVERAGE_WINDOW).contains(&window) => {
					return Err(ProgramError::BadWindow { op })
				}
				Op::Quantize { step: 0 } => return Err(ProgramError::ZeroStep { op }),
				_ => {}
			}
		}
		if !reduced {
			return Err(ProgramError::MissingReducer);
		}
		Ok(())
	}

	/// Encodes the program in the version-1 format. The program is checked first, so
	/// only a valid program has bytes.
	pub fn encode(&self) -> Result<Vec<u8>, ProgramError> {
		self.check()?;
		let mut out = Vec::with_capacity(self.ops.len().saturating_mul(17).saturating_add(3));
		out.push(PROGRAM_VERSION);
		out.push(self.inputs);
		out.push(u8::try_from(self.ops.len()).unwrap_or(u8::MAX));
		for op in &self.ops {
			out.push(op.code());
			match *op {
				Op::Gain { channel, numerator, denominator } => {
					out.push(channel);
					out.extend_from_slice(&numerator.to_le_bytes());
					out.extend_from_slice(&denominator.to_le_bytes());
				}
				Op::Offset { channel, value } => {
					out.push(channel);
					out.extend_from_slice(&value.to_le_bytes());
				}
				Op::Clamp { channel, min, max } => {
					out.push(channel);
					out.extend_from_slice(&min.to_le_bytes());
					out.extend_from_slice(&max.to_le_bytes());
				}
				Op::Median { channel, window } | Op::MovingAverage { channel, window } => {
					out.push(channel);
					out.push(window);
				}
				Op::Product { left, right, into, denominator } => {
					out.extend_from_slice(&[left, right, into]);
					out.extend_from_slice(&denominator.to_le_bytes());
				}
				Op::Integrate { channel } | Op::Sum { channel } | Op::Delta { channel } => {
					out.push(channel)
				}
				Op::Scale { numerator, denominator } => {
					out.extend_from_slice(&numerator.to_le_bytes());
					out.extend_from_slice(&denominator.to_le_bytes());
				}
				Op::Quantize { step } => out.extend_from_slice(&step.to_le_bytes()),
			}
		}
		Ok(out)
	}

	/// Decodes and checks a program.
	pub fn decode(bytes: &[u8]) -> Result<Self, ProgramError> {
		let mut r = Reader(bytes);
		let version = r.u8()?;
		if version != PROGRAM_VERSION {
			return Err(ProgramError::UnsupportedVersion(version));
		}
		let inputs = r.u8()?;
		if inputs == 0 || inputs > MAX_CHANNELS {
			return Err(ProgramError::BadInputCount(inputs));
		}
		let count = r.u8()?;
		if count == 0 || count > MAX_OPS {
			return Err(ProgramError::BadOpCount(count));
		}
		let mut ops = Vec::with_capacity(usize::from(count));
		for op in 0..count {
			let code = r.u8()?;
			ops.push(match code {
				0x01 => Op::Gain { channel: r.u8()?, numerator: r.i32()?, denominator: r.i32()? },
				0x02 => Op::Offset { channel: r.u8()?, value: r.i32()? },
				0x03 => Op::Clamp { channel: r.u8()?, min: r.i32()?, max: r.i32()? },
				0x04 => Op::Median { channel: r.u8()?, window: r.u8()? },
				0x05 => Op::MovingAverage { channel: r.u8()?, window: r.u8()? },
				0x06 => Op::Product {
					left: r.u8()?,
					right: r.u8()?,
					into: r.u8()?,
					denominator: r.i32()?,
				},
				0x10 => Op::Integrate { channel: r.u8()? },
				0x11 => Op::Sum { channel: r.u8()? },
				0x12 => Op::Delta { channel: r.u8()? },
				0x20 => Op::Scale { numerator: r.i64()?, denominator: r.i64()? },
				0x21 => Op::Quantize { step: r.u64()? },
				code => return Err(ProgramError::UnknownOperator { op, code }),
			});
		}
		if !r.0.is_empty() {
			return Err(ProgramError::TrailingBytes);
		}
		let program = Program { inputs, ops };
		program.check()?;
		Ok(program)
	}
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
	fn take<const N: usize>(&mut self) -> Result<[u8; N], ProgramError> {
		let (head, rest) = self.0.split_first_chunk::<N>().ok_or(ProgramError::Truncated)?;
		self.0 = rest;
		Ok(*head)
	}
	fn u8(&mut self) -> Result<u8, ProgramError> {
		self.take::<1>().map(|[b]| b)
	}
	fn i32(&mut self) -> Result<i32, ProgramError> {
		self.take().map(i32::from_le_bytes)
	}
	fn i64(&mut self) -> Result<i64, ProgramError> {
		self.take().map(i64::from_le_bytes)
	}
	fn u64(&mut self) -> Result<u64, ProgramError> {
		self.take().map(u64::from_le_bytes)
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use alloc::vec;

	pub(crate) fn every_operator() -> Program {
		Program {
			inputs: 2,
			ops: vec![
				Op::Gain { channel: 0, numerator: 3, denominator: 2 },
				Op::Offset { channel: 1, value: -4 },
				Op::Clamp { channel: 1, min: -10, max: 10 },
				Op::Median { channel: 0, window: 5 },
				Op::MovingAverage { channel: 1, window: 4 },
				Op::Product { left: 0, right: 1, into: 0, denominator: 1000 },
				Op::Integrate { channel: 0 },
				Op::Scale { numerator: 1, denominator: 3_600_000 },
				Op::Quantize { step: 1000 },
			],
		}
	}

	#[test]
	fn programs_round_trip_through_their_bytes() {
		let program = every_operator();
		let bytes = program.encode().unwrap();
		assert_eq!(&bytes[..3], &[1, 2, 9]);
		assert_eq!(Program::decode(&bytes), Ok(program));
		for reducer in [Op::Sum { channel: 1 }, Op::Delta { channel: 0 }] {
			let program = Program { inputs: 2, ops: vec![reducer] };
			assert_eq!(Program::decode(&program.encode().unwrap()), Ok(program));
		}
	}

	#[test]
	fn every_cut_or_extended_encoding_is_refused() {
		let bytes = every_operator().encode().unwrap();
		for cut in 0..bytes.len() {
			assert_eq!(Program::decode(&bytes[..cut]), Err(ProgramError::Truncated), "cut {cut}");
		}
		let mut longer = bytes.clone();
		longer.push(0);
		assert_eq!(Program::decode(&longer), Err(ProgramError::TrailingBytes));
		let mut unknown = bytes;
		unknown[3] = 0x7f;
		assert_eq!(
			Program::decode(&unknown),
			Err(ProgramError::UnknownOperator { op: 0, code: 0x7f })
		);
	}

	#[test]
	fn malformed_programs_are_refused_by_name() {
		let with = |inputs: u8, ops: Vec<Op>| Program { inputs, ops }.check();
		let sum = Op::Sum { channel: 0 };
		assert_eq!(with(0, vec![sum]), Err(ProgramError::BadInputCount(0)));
		assert_eq!(with(17, vec![sum]), Err(ProgramError::BadInputCount(17)));
		assert_eq!(with(1, vec![]), Err(ProgramError::BadOpCount(0)));
		assert_eq!(with(1, vec![sum; 33]), Err(ProgramError::BadOpCount(33)));
		assert_eq!(
			with(1, vec![Op::Sum { channel: 1 }]),
			Err(ProgramError::ChannelOutOfRange { op: 0 })
		);
		assert_eq!(
			with(2, vec![Op::Product { left: 0, right: 1, into: 2, denominator: 1 }, sum]),
			Err(ProgramError::ChannelOutOfRange { op: 0 })
		);
		for window in [0, 1, 2, 4, 17] {
			assert_eq!(
				with(1, vec![Op::Median { channel: 0, window }, sum]),
				Err(ProgramError::BadWindow { op: 0 })
			);
		}
		for window in [0, 1, 65] {
			assert_eq!(
				with(1, vec![Op::MovingAverage { channel: 0, window }, sum]),
				Err(ProgramError::BadWindow { op: 0 })
			);
		}
		for denominator in [0, -1] {
			assert_eq!(
				with(1, vec![Op::Gain { channel: 0, numerator: 1, denominator }, sum]),
				Err(ProgramError::BadDenominator { op: 0 })
			);
			assert_eq!(
				with(1, vec![sum, Op::Scale { numerator: 1, denominator: denominator.into() }]),
				Err(ProgramError::BadDenominator { op: 1 })
			);
		}
		assert_eq!(
			with(1, vec![Op::Clamp { channel: 0, min: 1, max: 0 }, sum]),
			Err(ProgramError::EmptyClampRange { op: 0 })
		);
		assert_eq!(
			with(1, vec![sum, Op::Quantize { step: 0 }]),
			Err(ProgramError::ZeroStep { op: 1 })
		);
		assert_eq!(
			with(1, vec![Op::Offset { channel: 0, value: 1 }]),
			Err(ProgramError::MissingReducer)
		);
		assert_eq!(with(1, vec![sum, sum]), Err(ProgramError::SecondReducer { op: 1 }));
		assert_eq!(
			with(1, vec![sum, Op::Offset { channel: 0, value: 1 }]),
			Err(ProgramError::ChannelOpAfterReducer { op: 1 })
		);
		assert_eq!(
			with(1, vec![Op::Quantize { step: 1 }, sum]),
			Err(ProgramError::AccumulatorOpBeforeReducer { op: 0 })
		);
		// Invalid programs have no bytes.
		assert_eq!(
			Program { inputs: 1, ops: vec![sum, sum] }.encode(),
			Err(ProgramError::SecondReducer { op: 1 })
		);
	}
}
