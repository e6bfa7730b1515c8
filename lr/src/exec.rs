//! The interpreter.

use crate::{div_round, frame::Frame, program::Op, ExecError, Program, MAX_MEDIAN_WINDOW};
use alloc::vec::Vec;

impl Program {
	/// Runs the program on `frame` and returns the quantity it measured, in the
	/// program's output unit.
	///
	/// The cost is linear in samples × operators (the median filter sorts at most
	/// [`MAX_MEDIAN_WINDOW`] values per sample). Never panics.
	pub fn execute(&self, frame: &Frame) -> Result<u128, ExecError> {
		let duration = frame.end.checked_sub(frame.start).filter(|d| *d > 0);
		let duration = duration.ok_or(ExecError::EmptyInterval)?;
		self.execute_samples(&frame.channels, duration)
	}

	/// Runs the program on raw channels spanning `duration_ms` milliseconds.
	pub fn execute_samples(
		&self,
		channels: &[Vec<i32>],
		duration_ms: u64,
	) -> Result<u128, ExecError> {
		if let Err(error) = self.check() {
			return Err(ExecError::InvalidProgram(error));
		}
		let frame_channels = u8::try_from(channels.len()).unwrap_or(u8::MAX);
		if frame_channels != self.inputs {
			return Err(ExecError::ChannelCountMismatch {
				program: self.inputs,
				frame: frame_channels,
			});
		}
		if duration_ms == 0 {
			return Err(ExecError::EmptyInterval);
		}
		let mut work: Vec<Vec<i64>> =
			channels.iter().map(|c| c.iter().map(|s| i64::from(*s)).collect()).collect();
		let mut accumulator: i128 = 0;
		for (index, op) in (0u8..).zip(self.ops.iter()) {
			let overflow = ExecError::Overflow { op: index };
			match *op {
				Op::Gain { channel, numerator, denominator } => map(&mut work, channel, |x| {
					let scaled = i128::from(x).checked_mul(i128::from(numerator))?;
					narrow(div_round(scaled, i128::from(denominator)))
				}),
				Op::Offset { channel, value } => {
					map(&mut work, channel, |x| x.checked_add(i64::from(value)))
				}
				Op::Clamp { channel, min, max } => map(&mut work, channel, |x| {
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
					replace(&mut work, channel, |xs| median(xs, window))
				}
				Op::MovingAverage { channel, window } => {
					replace(&mut work, channel, |xs| moving_average(xs, window))
				}
				Op::Product { left, right, into, denominator } => {
					let product = {
						let (a, b) = (channel(&work, left), channel(&work, right));
						match (a, b) {
							(Some(a), Some(b)) => a
								.iter()
								.zip(b.iter())
								.map(|(x, y)| {
									let xy = i128::from(*x).checked_mul(i128::from(*y))?;
									narrow(div_round(xy, i128::from(denominator)))
								})
								.collect::<Option<Vec<i64>>>(),
							_ => None,
						}
					};
					match (product, work.get_mut(usize::from(into))) {
						(Some(product), Some(target)) => {
							*target = product;
							Some(())
						}
						_ => None,
					}
				}
				Op::Integrate { channel: c } => channel(&work, c)
					.and_then(|xs| integrate(xs, duration_ms))
					.map(|value| accumulator = value),
				Op::Sum { channel: c } => channel(&work, c)
					.and_then(|xs| {
						xs.iter().try_fold(0i128, |sum, x| sum.checked_add(i128::from(*x)))
					})
					.map(|value| accumulator = value),
				Op::Delta { channel: c } => channel(&work, c)
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

/// Replaces `channel` by `f` of it.
fn replace(
	work: &mut [Vec<i64>],
	channel: u8,
	f: impl Fn(&[i64]) -> Option<Vec<i64>>,
) -> Option<()> {
	let samples = work.get_mut(usize::from(channel))?;
	*samples = f(samples)?;
	Some(())
}

fn median(xs: &[i64], window: u8) -> Option<Vec<i64>> {
	let half = usize::from(window / 2);
	let mut buffer = [0i64; MAX_MEDIAN_WINDOW as usize];
	let mut out = Vec::with_capacity(xs.len());
	for i in 0..xs.len() {
		let low = i.saturating_sub(half);
		let high = i.saturating_add(half).saturating_add(1).min(xs.len());
		let around = xs.get(low..high)?;
		let sorted = buffer.get_mut(..around.len())?;
		sorted.copy_from_slice(around);
		sorted.sort_unstable();
		out.push(*sorted.get(around.len().saturating_sub(1) / 2)?);
	}
	Some(out)
}

fn moving_average(xs: &[i64], window: u8) -> Option<Vec<i64>> {
	let window = usize::from(window);
	let mut sum: i128 = 0;
	let mut out = Vec::with_capacity(xs.len());
	for (i, x) in xs.iter().enumerate() {
		sum = sum.checked_add(i128::from(*x))?;
		if i >= window {
			sum = sum.checked_sub(i128::from(*xs.get(i.checked_sub(window)?)?))?;
		}
		let count = i.saturating_add(1).min(window);
		out.push(narrow(div_round(sum, i128::try_from(count).ok()?))?);
	}
	Some(out)
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

	fn run(ops: Vec<Op>, channels: Vec<Vec<i32>>, duration: u64) -> Result<u128, ExecError> {
		let inputs = channels.len() as u8;
		Program { inputs, ops }.execute_samples(&channels, duration)
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
