//! The fuzz target's properties on a fixed, seeded stream of inputs, so that every test
//! run checks them on stable Rust: valid programs and frames mutated byte by byte, and
//! random bytes, never make decoding or execution panic, and what decodes re-encodes to
//! the same bytes.

use mensura_lr::{Frame, FrameFormat, Op, Program};

/// xorshift64*: deterministic, good enough to drive mutations.
struct Rng(u64);

impl Rng {
	fn next(&mut self) -> u64 {
		self.0 ^= self.0 >> 12;
		self.0 ^= self.0 << 25;
		self.0 ^= self.0 >> 27;
		self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
	}
	fn below(&mut self, n: usize) -> usize {
		(self.next() % n as u64) as usize
	}
}

fn seeds() -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
	let programs = [
		mensura_lr::examples::electricity_active_energy(),
		mensura_lr::examples::pulse_volume(10),
		Program { inputs: 1, ops: vec![Op::Sum { channel: 0 }] },
		Program { inputs: 3, ops: vec![Op::Delta { channel: 2 }, Op::Quantize { step: 7 }] },
	];
	let frames = [
		Frame {
			meter: 1,
			sequence: 9,
			start: 1_700_000_000_000,
			end: 1_700_000_060_000,
			channels: vec![(0..64).map(|i| 230_000 + i).collect(), vec![5_000; 64]],
		},
		Frame { meter: 2, sequence: 1, start: 0, end: 1, channels: vec![vec![i32::MAX; 3]] },
		Frame { meter: 3, sequence: 1, start: 5, end: 4, channels: vec![vec![i32::MIN]; 3] },
	];
	(
		programs.iter().map(|p| p.encode().unwrap()).collect(),
		frames
			.iter()
			// A reversed interval has no version-2 encoding (its length would be negative).
			.flat_map(|f| [Some(f.encode().unwrap()), f.encode_as(FrameFormat::Compact).ok()])
			.flatten()
			.collect(),
	)
}

fn exercise(program_bytes: &[u8], frame_bytes: &[u8]) -> bool {
	let program = Program::decode(program_bytes);
	let frame = Frame::decode(frame_bytes);
	if let Ok(program) = &program {
		assert_eq!(program.encode().as_deref(), Ok(program_bytes));
	}
	if let Ok(frame) = &frame {
		let format = FrameFormat::of(frame_bytes).expect("a decoded frame has a known version");
		assert_eq!(frame.encode_as(format).as_deref(), Ok(frame_bytes));
	}
	match (program, frame) {
		(Ok(program), Ok(frame)) => {
			let _ = program.execute(&frame);
			true
		}
		_ => false,
	}
}

#[test]
fn mutated_and_random_inputs_never_panic_and_decode_canonically() {
	let (programs, frames) = seeds();
	let mut rng = Rng(0x006d_656e_7375_7261);
	let mut computed = 0;
	for _ in 0..200_000 {
		let mut program = programs[rng.below(programs.len())].clone();
		let mut frame = frames[rng.below(frames.len())].clone();
		for _ in 0..=rng.below(4) {
			let target = if rng.below(2) == 0 { &mut program } else { &mut frame };
			match rng.below(4) {
				0 if !target.is_empty() => {
					let at = rng.below(target.len());
					target[at] = rng.next() as u8;
				}
				1 if !target.is_empty() => {
					let at = rng.below(target.len());
					target[at] ^= 1 << rng.below(8);
				}
				2 => target.truncate(rng.below(target.len() + 1)),
				_ => target.push(rng.next() as u8),
			}
		}
		if exercise(&program, &frame) {
			computed += 1;
		}
		let random: Vec<u8> = (0..rng.below(64)).map(|_| rng.next() as u8).collect();
		let (a, b) = random.split_at(rng.below(random.len() + 1));
		exercise(a, b);
	}
	// The mutations must not all be rejected at decoding, or this test checks nothing
	// of the interpreter.
	assert!(computed > 20_000, "only {computed} mutated inputs reached execution");
}
