//! `mensura`: the command-line tool for meters, gateways and people who work with a
//! Mensura chain. Run `mensura --help`, or `mensura <command> --help`.

mod chain;
mod client;
mod commands;
mod error;
mod frames;
mod indexer;
mod input;
mod keys;
mod load_profile;
mod progress;
mod time;

use clap::{Parser, Subcommand};
use commands::{audit, bench, frame, key, query, simulate, submit};
pub use error::{Error, Exit, Result};
use std::process::ExitCode;

const EXIT_CODES: &str = "\
Exit codes:
  0  done, and everything succeeded
  1  done, but not everything succeeded (a frame was refused, a simulation lost frames)
  2  the command line is wrong
  3  the node is unreachable or answered with an error
  4  an input is wrong: a key file, a frame file, an unknown meter";

#[derive(Parser)]
#[command(
	name = "mensura",
	version,
	about = "Meter keys, offline frame signing, submission, a fleet simulator and queries for a Mensura chain",
	long_about = "Meter keys, offline frame signing, submission, a fleet simulator and queries \
		for a Mensura chain.\n\n\
		A meter signs frames of raw samples with its device key; the chain checks them, runs \
		the meter's approved LR program and stores the measurement. This tool does each step \
		from the command line: `key` makes and shows device keys, `frame sign` signs frames \
		offline as firmware does, `submit` sends signed frames, `simulate` runs a whole fleet \
		of simulated meters against a chain, and `query` reads meters, measurements, \
		registers, consumption, programs, audit trails, invoices and rewards.\n\n\
		Start a development chain with `scripts/dev-node`: its meters 0, 1 and 2 sign with the \
		sr25519 keys `//Meter1`, `//Meter2`, `//Meter3`.",
	after_help = EXIT_CODES
)]
struct Cli {
	/// The node's JSON-RPC endpoint (HTTP or WebSocket URL; both are served on one port).
	#[arg(long, global = true, env = "MENSURA_URL", default_value = "http://127.0.0.1:9944")]
	url: String,

	#[command(subcommand)]
	command: Command,
}

#[derive(Subcommand)]
enum Command {
	/// Make and inspect meter device keys.
	#[command(subcommand)]
	Key(key::KeyCommand),
	/// Sign frames offline, as meter firmware does.
	#[command(subcommand)]
	Frame(frame::FrameCommand),
	/// Submit signed frames (the lines `mensura frame sign` prints) to the node.
	#[command(after_help = EXIT_CODES)]
	Submit(submit::SubmitArgs),
	/// Simulate a fleet of meters: realistic load profiles, signed frames, live progress.
	#[command(after_help = EXIT_CODES)]
	Simulate(simulate::SimulateArgs),
	/// Read meters, measurements, registers, consumption, programs, audit trails, invoices and rewards.
	#[command(subcommand)]
	Query(query::QueryCommand),
	/// Measure ingestion throughput end to end on nodes it starts: frames/s into finalized
	/// blocks, latencies, memory, bad frames refused under load.
	#[command(after_help = EXIT_CODES)]
	Bench(bench::BenchArgs),
	/// Audit a range of blocks from any node: re-verify every frame's signature, re-run
	/// every measurement with its LR program, replay registers, hash chains and invoices,
	/// and look for fraud statistically; writes report.html and summary.json.
	///
	/// Exit code 1 when anything was found, 3 when the node was lost mid-run (the partial
	/// report says where it stopped).
	#[command(after_help = EXIT_CODES)]
	Audit(audit::AuditArgs),
}

fn run(cli: Cli) -> Result<()> {
	match cli.command {
		Command::Key(command) => key::run(&cli.url, command),
		Command::Frame(command) => frame::run(command),
		Command::Submit(args) => submit::run(&cli.url, args),
		Command::Simulate(args) => simulate::run(&cli.url, args),
		Command::Bench(args) => bench::run(args),
		Command::Audit(args) => audit::run(&cli.url, args),
		Command::Query(command) => query::run(&cli.url, command),
	}
}

/// A command-line error on one line, as every other error: clap's message (the lines up
/// to its usage block, which may list missing arguments one per line) and where to look.
fn usage_error_line(rendered: &str) -> String {
	let message: Vec<&str> = rendered
		.lines()
		.take_while(|line| !line.trim().is_empty())
		.map(|line| line.trim())
		.collect();
	let message = message.join(" ");
	let message = message.strip_prefix("error: ").unwrap_or(&message);
	let usage = rendered.lines().find_map(|line| line.strip_prefix("Usage: "));
	match usage {
		Some(usage) => format!("{message} (usage: {usage}; see --help)"),
		None => format!("{message} (see --help)"),
	}
}

fn main() -> ExitCode {
	// `mensura query measurements 3 | head`: when the reader closes the pipe, end as
	// other Unix tools do (killed by SIGPIPE) rather than panic on the failed write.
	#[cfg(unix)]
	// SAFETY: restores the default disposition of SIGPIPE before any thread starts.
	unsafe {
		libc::signal(libc::SIGPIPE, libc::SIG_DFL);
	}
	let cli = match Cli::try_parse() {
		Ok(cli) => cli,
		// --help and --version: what was asked for, on standard output.
		Err(error) if !error.use_stderr() => {
			let _ = error.print();
			return ExitCode::SUCCESS;
		}
		Err(error) => {
			eprintln!("mensura: {}", usage_error_line(&error.render().to_string()));
			return ExitCode::from(Exit::Usage as u8);
		}
	};
	match run(cli) {
		Ok(()) => ExitCode::SUCCESS,
		Err(error) => {
			eprintln!("mensura: {}", error.message);
			ExitCode::from(error.exit as u8)
		}
	}
}
