//! `mensura submit`: send signed frames to a node, alone or in gateway batches.

use crate::{chain, client::Client, frames, input::read_input, Error, Result};
use clap::Args;
use std::path::PathBuf;

#[derive(Args)]
pub struct SubmitArgs {
	/// Files of signed frames (one hex line each); `-` or nothing for standard input.
	files: Vec<PathBuf>,
	/// Send up to this many frames per transaction (a gateway's batch, all or nothing).
	#[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=256))]
	batch: u16,
	/// Wait until every accepted frame is a measurement in a block.
	#[arg(long)]
	wait: bool,
	/// Print JSON, one object per frame.
	#[arg(long)]
	json: bool,
}

pub fn run(url: &str, args: SubmitArgs) -> Result<()> {
	let mut signed = Vec::new();
	if args.files.is_empty() {
		let (text, what) = read_input(None)?;
		signed.extend(frames::parse_lines(&text, &what)?);
	}
	for file in &args.files {
		let (text, what) = read_input(Some(file))?;
		signed.extend(frames::parse_lines(&text, &what)?);
	}
	let mut client = Client::new(url)?;
	let mut refused = 0;
	let mut accepted: Vec<(u64, u64)> = Vec::new();
	for batch in signed.chunks(args.batch as usize) {
		let outcome = frames::submit(&mut client, batch)?;
		for signed in batch {
			let (meter, sequence) =
				match mensura_primitives::readings::lr::Frame::decode(&signed.frame) {
					Ok(frame) => (Some(frame.meter), Some(frame.sequence)),
					Err(_) => (None, None),
				};
			let name = match (meter, sequence) {
				(Some(meter), Some(sequence)) => format!("meter {meter} frame {sequence}"),
				_ => "an undecodable frame".to_string(),
			};
			match &outcome {
				Ok(hash) => {
					if let (Some(meter), Some(sequence)) = (meter, sequence) {
						accepted.push((meter, sequence));
					}
					if args.json {
						println!(
							"{}",
							serde_json::json!({"meter": meter, "sequence": sequence, "accepted": true, "transaction": hash})
						);
					} else {
						println!("accepted  {name}  (transaction {hash})");
					}
				}
				Err(error) => {
					refused += 1;
					let reason = frames::rejection(error);
					if args.json {
						println!(
							"{}",
							serde_json::json!({
								"meter": meter, "sequence": sequence, "accepted": false,
								"reason": reason.map(|r| r.name()), "code": reason.map(|r| r.code()),
								"error": error.to_string(),
							})
						);
					} else {
						println!("refused   {name}: {}", frames::describe_refusal(error));
					}
				}
			}
		}
	}
	if args.wait && !accepted.is_empty() {
		chain::wait_until_measured(&mut client, &accepted, std::time::Duration::from_secs(120))?;
		if !args.json {
			eprintln!("all {} accepted frames are measurements now", accepted.len());
		}
	}
	if refused > 0 {
		return Err(Error::failure(format!("{refused} of {} frames were refused", signed.len())));
	}
	Ok(())
}
