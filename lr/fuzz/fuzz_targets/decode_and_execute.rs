//! Arbitrary bytes → program and frame → execution. The first input byte says how many of
//! the following bytes are the program; the rest is the frame.
//!
//! Finds: any panic in decoding or execution, and any encoding that is not canonical
//! (bytes that decode but do not re-encode to themselves).

#![no_main]

use libfuzzer_sys::fuzz_target;
use mensura_lr::{Frame, FrameFormat, Program};

fuzz_target!(|data: &[u8]| {
	let Some((&split, rest)) = data.split_first() else { return };
	let (program_bytes, frame_bytes) = rest.split_at(usize::from(split).min(rest.len()));
	let program = Program::decode(program_bytes);
	let frame = Frame::decode(frame_bytes);
	if let Ok(program) = &program {
		assert_eq!(program.encode().as_deref(), Ok(program_bytes), "program not canonical");
	}
	if let Ok(frame) = &frame {
		let format = FrameFormat::of(frame_bytes).expect("a decoded frame has a known version");
		assert_eq!(frame.encode_as(format).as_deref(), Ok(frame_bytes), "frame not canonical");
	}
	if let (Ok(program), Ok(frame)) = (program, frame) {
		let _ = program.execute(&frame);
	}
});
