//! `mensura frame`: sign frames offline, as meter firmware does.

use super::key::KeyArgs;
use crate::{
	frames,
	input::{genesis_from, read_input},
	Result,
};
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum FrameCommand {
	/// Sign frames offline: frames in (JSON), signed frames out (one hex line each).
	///
	/// The input is a JSON frame, a JSON array of frames, or one JSON frame per line:
	/// {"meter": 0, "sequence": 1, "start": <ms>, "end": <ms>, "channels": [[...], [...]]}.
	/// Times are Unix milliseconds; samples are integers, channel by channel (see
	/// docs/frame-format.md). The signature binds the frame to one chain, named by its
	/// genesis hash (`mensura query chain` prints it). No node is contacted.
	Sign {
		#[command(flatten)]
		key: KeyArgs,
		/// The chain's genesis hash (0x…).
		#[arg(long)]
		genesis: String,
		/// The frame format: 1, fixed-width fields and samples; 2, compact (varints and
		/// sample differences, a third to a half of the bytes for typical signals).
		#[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=2))]
		format_version: u8,
		/// The frames; `-` or nothing for standard input.
		input: Option<PathBuf>,
	},
}

pub fn run(command: FrameCommand) -> Result<()> {
	match command {
		FrameCommand::Sign { key, genesis, format_version, input } => {
			let genesis = genesis_from(&genesis)?;
			let format = frames::format_of_version(format_version)?;
			let key = key.load()?;
			let (text, what) = read_input(input.as_ref())?;
			let mut out = String::new();
			for frame in frames::parse_frames(&text, &what)? {
				out.push_str(&frames::to_line(&frames::sign(&frame, format, &key, &genesis)?));
				out.push('\n');
			}
			print!("{out}");
			Ok(())
		}
	}
}
