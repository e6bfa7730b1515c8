//! The interpreter's reference load: the program and the samples its benchmark runs,
//! shared with the test that prints its native cost beside the benchmarked weight.

use alloc::vec::Vec;
use mensura_primitives::readings::lr;

/// The most samples benchmarked: a 16 KiB frame (the runtime's `MaxFrameBytes`).
pub(crate) const MAX_SAMPLES: u32 = (16_384 - lr::FRAME_HEADER_LEN as u32) / 4;

/// `ops` operators: `ops - 1` median filters of the widest window, then a sum.
pub(crate) fn worst_program(ops: u32) -> lr::Program {
	let mut program: Vec<lr::Op> =
		(1..ops).map(|_| lr::Op::Median { channel: 0, window: lr::MAX_MEDIAN_WINDOW }).collect();
	program.push(lr::Op::Sum { channel: 0 });
	lr::Program { inputs: 1, ops: program }
}

/// `count` samples of noise between 1 and 1,000 (xorshift32): no order a sort could
/// exploit, so median filters do their full work.
pub(crate) fn samples(count: u32) -> Vec<i32> {
	let mut state = 0x9e37_79b9u32;
	(0..count)
		.map(|_| {
			state ^= state << 13;
			state ^= state >> 17;
			state ^= state << 5;
			(state % 1_000) as i32 + 1
		})
		.collect()
}
