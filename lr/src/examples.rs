//! Reference programs: what a measurer would publish for common instruments. The
//! development chain approves these, and tests, the fuzzer and the documentation use
//! them.

use crate::{Op, Program};
use alloc::vec;

/// Active energy of a single-phase electricity meter, in milliwatt-hours.
///
/// Channel 0 is the voltage in millivolts, channel 1 the current in milliamperes, sampled
/// evenly over the interval. The current passes a 3-sample median filter (it removes
/// single-sample spikes), both channels are clamped to the meter's physical range
/// (±500 V, ±100 A), the product is the instantaneous power in milliwatts, its
/// trapezoidal integral is in microjoules (mW · ms), and 3,600,000 µJ make 1 mWh.
pub fn electricity_active_energy() -> Program {
	Program {
		inputs: 2,
		ops: vec![
			Op::Clamp { channel: 0, min: -500_000, max: 500_000 },
			Op::Clamp { channel: 1, min: -100_000, max: 100_000 },
			Op::Median { channel: 1, window: 3 },
			Op::Product { left: 0, right: 1, into: 0, denominator: 1000 },
			Op::Integrate { channel: 0 },
			Op::Scale { numerator: 1, denominator: 3_600_000 },
			Op::Quantize { step: 1 },
		],
	}
}

/// Volume from a pulse-output gas or water meter: the sum of the pulses counted in each
/// sample period, times `millilitres_per_pulse`, in millilitres.
pub fn pulse_volume(millilitres_per_pulse: i64) -> Program {
	Program {
		inputs: 1,
		ops: vec![
			Op::Clamp { channel: 0, min: 0, max: i32::MAX },
			Op::Sum { channel: 0 },
			Op::Scale { numerator: millilitres_per_pulse, denominator: 1 },
		],
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::Frame;
	use alloc::vec::Vec;

	#[test]
	fn the_electricity_program_measures_a_noisy_load() {
		// 230 V, 5 A with one 90 A spike on the current: the median removes the spike.
		let mut current = vec![5_000; 61];
		current[30] = 90_000;
		let frame = Frame {
			meter: 0,
			sequence: 1,
			start: 0,
			end: 60_000,
			channels: vec![vec![230_000; 61], current],
		};
		// 1150 W for 60 s = 19.1666 Wh.
		assert_eq!(electricity_active_energy().execute(&frame), Ok(19_167));
	}

	#[test]
	fn the_pulse_program_counts_volume() {
		let frame = Frame {
			meter: 0,
			sequence: 1,
			start: 0,
			end: 900_000,
			channels: vec![(0..15).map(|i| i % 3).collect::<Vec<_>>()],
		};
		assert_eq!(pulse_volume(10).execute(&frame), Ok(15 * 10));
	}
}
