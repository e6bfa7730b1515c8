//! The interpreter.

use crate::{
	div_round, frame::Frame, program::Op, ExecError, Program, ProgramError, MAX_MEDIAN_WINDOW,
};
use alloc::vec::Vec;

impl Program {
	/// Runs the program on `frame` and returns the quantity it measured, in the
	/// program's output unit.
	///
	/// The cost is linear in samples × operators (the median filter sorts at most
	/// [`MAX_MEDIAN_WINDOW`] values per sample). Never panics. Checks the program first
	/// and allocates the interpreter's buffers for this one frame: to run many frames,
	/// [`CheckedProgram`] does both once.
	pub fn execute(&self, frame: &Frame) -> Result<u128, ExecError> {
		self.execute_samples(&frame.channels, interval(frame)?)
	}

	/// Runs the program on raw channels spanning `duration_ms` milliseconds.
	pub fn execute_samples(
		&self,
		channels: &[Vec<i32>],
		duration_ms: u64,
	) -> Result<u128, ExecError> {
		self.check().map_err(ExecError::InvalidProgram)?;
		run(self, channels, duration_ms, &mut Buffers::default())
	}
}

/// A program that passed [`Program::check`], ready to run many frames: the check is
/// not repeated, and the interpreter's buffers are kept from one frame to the next, so
/// a frame no larger than those before it runs without allocating.
#[derive(Clone, Debug)]
pub struct CheckedProgram {
	program: Program,
	buffers: Buffers,
}

impl CheckedProgram {
	/// Checks `program` once.
	pub fn new(program: Program) -> Result<Self, ProgramError> {
		program.check()?;
		Ok(Self { program, buffers: Buffers::default() })
	}

	/// The program.
	pub fn program(&self) -> &Program {
		&self.program
	}

	/// Runs the program on `frame`, as [`Program::execute`] does.
	pub fn execute(&mut self, frame: &Frame) -> Result<u128, ExecError> {
		self.execute_samples(&frame.channels, interval(frame)?)
	}

	/// Runs the program on raw channels spanning `duration_ms` milliseconds, as
	/// [`Program::execute_samples`] does.
	pub fn execute_samples(
		&mut self,
		channels: &[Vec<i32>],
		duration_ms: u64,
	) -> Result<u128, ExecError> {
		run(&self.program, channels, duration_ms, &mut self.buffers)
	}
}

/// The interpreter's working memory: one channel of values per input, and one spare
/// channel that a filter writes into before it takes the place of its input.
#[derive(Clone, Debug, Default)]
struct Buffers {
	work: Vec<Vec<i64>>,
	spare: Vec<i64>,
}

/// The length of `frame`'s interval; an error if it is empty or reversed.
fn interval(frame: &Frame) -> Result<u64, ExecError> {
	frame.end.checked_sub(frame.start).filter(|d| *d > 0).ok_or(ExecError::EmptyInterval)
}

/// Runs `program`, which passed [`Program::check`], on `channels`.
fn run(
	program: &Program,
	channels: &[Vec<i32>],
	duration_ms: u64,
	buffers: &mut Buffers,
) -> Result<u128, ExecError> {
	let frame_channels = u8::try_from(channels.len()).unwrap_or(u8::MAX);
	if frame_channels != program.inputs {
		return Err(ExecError::ChannelCountMismatch {
			program: program.inputs,
			frame: frame_channels,
		});
	}
	if duration_ms == 0 {
		return Err(ExecError::EmptyInterval);
	}
	let Buffers { work, spare } = buffers;
	work.truncate(channels.len());
	work.resize_with(channels.len(), Vec::new);
	for (values, samples) in work.iter_mut().zip(channels) {
		values.clear();
		values.extend(samples.iter().map(|s| i64::from(*s)));
	}
	let mut accumulator: i128 = 0;
	for (index, op) in (0u8..).zip(program.ops.iter()) {
		let overflow = ExecError::Overflow { op: index };
		match *op {
			Op::Gain { channel, numerator, denominator } => map(work, channel, |x| {
				let scaled = i128::from(x).checked_mul(i128::from(numerator))?;
				narrow(div_round(scaled, i128::from(denominator)))
			}),
			Op::Offset { channel, value } => {
				map(work, channel, |x| x.checked_add(i64::from(value)))
			}
			Op::Clamp { channel, min, max } => map(work, channel, |x| {
				let (min, max) = (i64::from(min), i64::from(max));
				Some(if x < min {
					min
				} else if x > max {
					max
				} else {
					x
				})
			}),
			Op::Median { channel, window } => {
				replace(work, spare, channel, |xs, out| median(xs, window, out))
			}
			Op::MovingAverage { channel, window } => {
				replace(work, spare, channel, |xs, out| moving_average(xs, window, out))
			}
			Op::Product { left, right, into, denominator } => {
				spare.clear();
				let filled = match (channel(work, left), channel(work, right)) {
					(Some(a), Some(b)) => a.iter().zip(b.iter()).try_for_each(|(x, y)| {
						let xy = i128::from(*x).checked_mul(i128::from(*y))?;
						spare.push(narrow(div_round(xy, i128::from(denominator)))?);
						Some(())
					}),
					_ => None,
				};
				filled
					.and_then(|()| work.get_mut(usize::from(into)))
					.map(|target| core::mem::swap(target, spare))
			}
			Op::Integrate { channel: c } => channel(work, c)
				.and_then(|xs| integrate(xs, duration_ms))
				.map(|value| accumulator = value),
			Op::Sum { channel: c } => channel(work, c)
				.and_then(|xs| xs.iter().try_fold(0i128, |sum, x| sum.checked_add(i128::from(*x))))
				.map(|value| accumulator = value),
			Op::Delta { channel: c } => channel(work, c)
				.and_then(|xs| {
					let (first, last) = (xs.first()?, xs.last()?);
					i128::from(*last).checked_sub(i128::from(*first))
				})
				.map(|value| accumulator = value),
			Op::Scale { numerator, denominator } => accumulator
				.checked_mul(i128::from(numerator))
				.and_then(|a| div_round(a, i128::from(denominator)))
				.map(|value| accumulator = value),
			Op::Quantize { step } => div_round(accumulator, i128::from(step))
				.and_then(|steps| steps.checked_mul(i128::from(step)))
				.map(|value| accumulator = value),
		}
		.ok_or(overflow)?;
	}
	u128::try_from(accumulator).map_err(|_| ExecError::NegativeQuantity)
}

fn narrow(value: Option<i128>) -> Option<i64> {
	value.and_then(|v| i64::try_from(v).ok())
}

fn channel(work: &[Vec<i64>], index: u8) -> Option<&[i64]> {
	work.get(usize::from(index)).map(Vec::as_slice)
}

/// Applies `f` to every sample of `channel`; `None` if any application fails.
fn map(work: &mut [Vec<i64>], channel: u8, f: impl Fn(i64) -> Option<i64>) -> Option<()> {
	let samples = work.get_mut(usize::from(channel))?;
	for x in samples.iter_mut() {
		*x = f(*x)?;
	}
	Some(())
}

/// Replaces `channel` by what `f` writes of it into `spare` (cleared first); the old
/// values become the spare.
fn replace(
	work: &mut [Vec<i64>],
	spare: &mut Vec<i64>,
	channel: u8,
	f: impl Fn(&[i64], &mut Vec<i64>) -> Option<()>,
) -> Option<()> {
	let samples = work.get_mut(usize::from(channel))?;
	spare.clear();
	f(samples, spare)?;
	core::mem::swap(samples, spare);
	Some(())
}

fn median(xs: &[i64], window: u8, out: &mut Vec<i64>) -> Option<()> {
	let half = usize::from(window / 2);
	let mut buffer = [0i64; MAX_MEDIAN_WINDOW as usize];
	out.reserve(xs.len());
	for i in 0..xs.len() {
		let low = i.saturating_sub(half);
		let high = i.saturating_add(half).saturating_add(1).min(xs.len());
		let around = xs.get(low..high)?;
		let sorted = buffer.get_mut(..around.len())?;
		sorted.copy_from_slice(around);
		sorted.sort_unstable();
		out.push(*sorted.get(around.len().saturating_sub(1) / 2)?);
	}
	Some(())
}

fn moving_average(xs: &[i64], window: u8, out: &mut Vec<i64>) -> Option<()> {
	let window = usize::from(window);
	let mut sum: i128 = 0;
	out.reserve(xs.len());
	for (i, x) in xs.iter().enumerate() {
		sum = sum.checked_add(i128::from(*x))?;
		if i >= window {
			sum = sum.checked_sub(i128::from(*xs.get(i.checked_sub(window)?)?))?;
		}
		let count = i.saturating_add(1).min(window);
		out.push(narrow(div_round(sum, i128::try_from(count).ok()?))?);
	}
	Some(())
}

fn integrate(xs: &[i64], duration_ms: u64) -> Option<i128> {
	let duration = i128::from(duration_ms);
	match xs {
		[] => None,
		[only] => i128::from(*only).checked_mul(duration),
		_ => {
			// Σ (xᵢ + xᵢ₊₁) · (duration / (n − 1)) / 2, divided once at the end.
			let pairs = xs.windows(2).try_fold(0i128, |sum, pair| match pair {
				[a, b] => sum.checked_add(i128::from(*a))?.checked_add(i128::from(*b)),
				_ => None,
			})?;
			let intervals = i128::try_from(xs.len().checked_sub(1)?).ok()?;
			div_round(pairs.checked_mul(duration)?, intervals.checked_mul(2)?)
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::program::ProgramError;
	use alloc::vec;

	/// Runs `ops` on `channels` as a program on its own, and as a checked program twice
	/// (the second run on the first one's buffers): all three must agree.
	fn run(ops: Vec<Op>, channels: Vec<Vec<i32>>, duration: u64) -> Result<u128, ExecError> {
		let inputs = channels.len() as u8;
		let program = Program { inputs, ops };
		let alone = program.execute_samples(&channels, duration);
		if let Ok(mut checked) = CheckedProgram::new(program) {
			assert_eq!(checked.execute_samples(&channels, duration), alone);
			assert_eq!(checked.execute_samples(&channels, duration), alone);
		}
		alone
	}

	#[test]
	fn a_checked_program_gives_each_frame_its_own_result_whatever_ran_before() {
		let program = Program {
			inputs: 2,
			ops: vec![
				Op::Median { channel: 0, window: 3 },
				Op::MovingAverage { channel: 1, window: 2 },
				Op::Product { left: 0, right: 1, into: 0, denominator: 1 },
				Op::Sum { channel: 0 },
			],
		};
		let mut checked = CheckedProgram::new(program.clone()).unwrap();
		// Frames that grow, shrink and fail, in turn, on the same buffers.
		let frames: Vec<Vec<Vec<i32>>> = vec![
			vec![vec![1, 5, 2, 8, 3], vec![10, 20, 30, 40, 50]],
			vec![vec![7, 7], vec![1, 3]],
			vec![vec![1], vec![2], vec![3]],
			vec![vec![i32::MAX; 4], vec![i32::MAX; 4]],
			vec![(0..40).collect(), (0..40).rev().collect()],
			vec![vec![-4, 2, 9], vec![5, 5, 5]],
		];
		for channels in &frames {
			assert_eq!(
				checked.execute_samples(channels, 1_000),
				program.execute_samples(channels, 1_000),
				"{channels:?}"
			);
		}
		assert_eq!(checked.program(), &program);
	}

	#[test]
	fn a_program_that_fails_its_check_cannot_become_a_checked_program() {
		let program = Program { inputs: 1, ops: vec![Op::Median { channel: 0, window: 4 }] };
		let error = program.check().unwrap_err();
		assert_eq!(CheckedProgram::new(program.clone()).unwrap_err(), error);
		assert_eq!(program.execute_samples(&[vec![1]], 1), Err(ExecError::InvalidProgram(error)));
	}

	#[test]
	fn active_energy_of_a_constant_load() {
		// 230 V (in mV) × 5 A (in mA) for 60 s: 1150 W · 60 s = 19.1666 Wh.
		let program = Program {
			inputs: 2,
			ops: vec![
				Op::Product { left: 0, right: 1, into: 0, denominator: 1000 }, // mW
				Op::Integrate { channel: 0 },                                  // mW·ms = µJ
				Op::Scale { numerator: 1, denominator: 3_600_000 },            // mWh
				Op::Quantize { step: 1 },
			],
		};
		let frame = Frame {
			meter: 0,
			sequence: 1,
			start: 0,
			end: 60_000,
			channels: vec![vec![230_000; 61], vec![5_000; 61]],
		};
		assert_eq!(program.execute(&frame), Ok(19_167));
	}

	#[test]
	fn calibration_and_clamping_act_on_each_sample() {
		let sum = Op::Sum { channel: 0 };
		assert_eq!(
			run(
				vec![Op::Gain { channel: 0, numerator: 3, denominator: 2 }, sum],
				vec![vec![1, 2, 3]],
				1
			),
			Ok(2 + 3 + 5) // 1.5 → 2, 3, 4.5 → 5
		);
		assert_eq!(
			run(vec![Op::Offset { channel: 0, value: 10 }, sum], vec![vec![1, 2]], 1),
			Ok(23)
		);
		assert_eq!(
			run(vec![Op::Clamp { channel: 0, min: 0, max: 5 }, sum], vec![vec![-3, 2, 99]], 1),
			Ok(7)
		);
	}

	#[test]
	fn filters_remove_spikes_and_smooth() {
		let sum = Op::Sum { channel: 0 };
		// The spike of 1000 is replaced by the median of its neighbourhood.
		assert_eq!(
			run(
				vec![Op::Median { channel: 0, window: 3 }, sum],
				vec![vec![10, 10, 1000, 10, 10]],
				1
			),
			Ok(50)
		);
		// Trailing average of 2: [0, 5, 15, 25] from [0, 10, 20, 30].
		assert_eq!(
			run(
				vec![Op::MovingAverage { channel: 0, window: 2 }, sum],
				vec![vec![0, 10, 20, 30]],
				1
			),
			Ok(45)
		);
	}

	#[test]
	fn trapezoidal_integration_over_the_interval() {
		let integrate = vec![Op::Integrate { channel: 0 }];
		// A ramp from 0 to 100 over 10 ms: area 500.
		assert_eq!(run(integrate.clone(), vec![vec![0, 50, 100]], 10), Ok(500));
		// A single sample holds for the whole interval.
		assert_eq!(run(integrate, vec![vec![7]], 10), Ok(70));
		// Delta reads a meter's own index.
		assert_eq!(run(vec![Op::Delta { channel: 0 }], vec![vec![100, 150, 180]], 10), Ok(80));
	}

	#[test]
	fn errors_are_named_and_nothing_panics_at_the_limits() {
		let sum = Op::Sum { channel: 0 };
		let program = Program { inputs: 1, ops: vec![sum] };
		assert_eq!(
			program.execute_samples(&[vec![1], vec![2]], 1),
			Err(ExecError::ChannelCountMismatch { program: 1, frame: 2 })
		);
		assert_eq!(program.execute_samples(&[vec![1]], 0), Err(ExecError::EmptyInterval));
		assert_eq!(run(vec![sum], vec![vec![-1]], 1), Err(ExecError::NegativeQuantity));
		assert_eq!(
			run(
				vec![Op::Gain { channel: 0, numerator: i32::MAX, denominator: 1 }; 3]
					.into_iter()
					.chain([sum])
					.collect(),
				vec![vec![i32::MAX]],
				1
			),
			Err(ExecError::Overflow { op: 1 }) // i32::MAX³ does not fit i64
		);
		assert_eq!(
			run(
				vec![
					Op::Integrate { channel: 0 },
					Op::Scale { numerator: i64::MAX, denominator: 1 },
					Op::Scale { numerator: i64::MAX, denominator: 1 },
				],
				vec![vec![i32::MAX; 3]],
				u64::MAX
			),
			Err(ExecError::Overflow { op: 1 }) // 2⁹⁵ · 2⁶³ does not fit i128
		);
		assert_eq!(
			run(vec![Op::Quantize { step: 1 }], vec![vec![1]], 1),
			Err(ExecError::InvalidProgram(ProgramError::AccumulatorOpBeforeReducer { op: 0 }))
		);
	}
}
