//! `mensura`: the command-line tool for meters, gateways and people who work with a
//! Mensura chain. Run `mensura --help`, or `mensura <command> --help`.

mod audit;
mod bench;
mod client;
mod frames;
mod history;
mod keys;
mod query;
mod simulate;
mod time;

use clap::{Args, Parser, Subcommand};
use client::Client;
use keys::{MeterKey, Scheme};
use std::{io::Read, path::PathBuf, process::ExitCode};

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
	Key(KeyCommand),
	/// Sign frames offline, as meter firmware does.
	#[command(subcommand)]
	Frame(FrameCommand),
	/// Submit signed frames (the lines `mensura frame sign` prints) to the node.
	#[command(after_help = EXIT_CODES)]
	Submit(SubmitArgs),
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

#[derive(Subcommand)]
enum KeyCommand {
	/// Generate a new device key into a key file (readable by you only).
	///
	/// The manufacturer registers the printed public key on chain (Meters::provision_meter);
	/// the meter keeps the file's secret seed and signs its frames with it.
	Generate {
		/// The signature scheme.
		#[arg(long, value_enum, default_value = "sr25519")]
		scheme: Scheme,
		/// Where to write the key file; an existing file is never overwritten.
		#[arg(long, short)]
		out: PathBuf,
	},
	/// Show a key's scheme and public key, and with --on-chain the meter that uses it.
	Inspect {
		#[command(flatten)]
		key: KeyArgs,
		/// Also ask the node which meter has this key.
		#[arg(long)]
		on_chain: bool,
		/// Print JSON.
		#[arg(long)]
		json: bool,
	},
}

/// Where a meter's key comes from.
#[derive(Args)]
struct KeyArgs {
	#[command(flatten)]
	source: KeySource,
	/// The scheme of --uri (default sr25519; a key file names its own).
	#[arg(long, value_enum, requires = "uri", conflicts_with = "key")]
	scheme: Option<Scheme>,
}

/// A key file or a secret URI: exactly one.
#[derive(Args)]
#[group(required = true, multiple = false)]
struct KeySource {
	/// A key file made by `mensura key generate`.
	#[arg(long)]
	key: Option<PathBuf>,
	/// A secret URI instead of a key file: `//Meter1` (the dev chain's meter 0), a
	/// mnemonic, or a 0x seed.
	#[arg(long)]
	uri: Option<String>,
}

impl KeyArgs {
	fn load(&self) -> Result<MeterKey> {
		match (&self.source.key, &self.source.uri) {
			(Some(path), _) => MeterKey::load(path),
			(None, Some(uri)) => MeterKey::from_uri(self.scheme.unwrap_or(Scheme::Sr25519), uri),
			(None, None) => Err(Error::usage("give --key FILE or --uri URI")),
		}
	}
}

#[derive(Subcommand)]
enum FrameCommand {
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
		/// The frames; `-` or nothing for standard input.
		input: Option<PathBuf>,
	},
}

#[derive(Args)]
struct SubmitArgs {
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

/// The kinds of failure, each with its exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
	Failure = 1,
	Usage = 2,
	Node = 3,
	Input = 4,
}

/// A failure, with a message that says what to do.
#[derive(Debug)]
pub struct Error {
	pub exit: Exit,
	pub message: String,
}

impl Error {
	pub fn failure(message: impl Into<String>) -> Error {
		Error { exit: Exit::Failure, message: message.into() }
	}
	pub fn usage(message: impl Into<String>) -> Error {
		Error { exit: Exit::Usage, message: message.into() }
	}
	pub fn node(message: impl Into<String>) -> Error {
		Error { exit: Exit::Node, message: message.into() }
	}
	pub fn input(message: impl Into<String>) -> Error {
		Error { exit: Exit::Input, message: message.into() }
	}
}

pub type Result<T> = std::result::Result<T, Error>;

/// Reads a file, or standard input for `-` or no file.
fn read_input(path: Option<&PathBuf>) -> Result<(String, String)> {
	match path.filter(|p| p.as_os_str() != "-") {
		Some(path) => std::fs::read_to_string(path)
			.map(|text| (text, path.display().to_string()))
			.map_err(|e| Error::input(format!("cannot read {}: {e}", path.display()))),
		None => {
			let mut text = String::new();
			std::io::stdin()
				.read_to_string(&mut text)
				.map_err(|e| Error::input(format!("cannot read standard input: {e}")))?;
			Ok((text, "standard input".into()))
		}
	}
}

fn genesis_from(text: &str) -> Result<[u8; 32]> {
	client::unhex(text).ok().and_then(|bytes| bytes.try_into().ok()).ok_or_else(|| {
		Error::usage(format!("--genesis {text}: expected a 32-byte hash, 0x + 64 hex digits"))
	})
}

fn run(cli: Cli) -> Result<()> {
	match cli.command {
		Command::Key(KeyCommand::Generate { scheme, out }) => {
			let (key, seed) = MeterKey::generate(scheme);
			key.save(&seed, &out)?;
			println!("{}", client::hex(&key.public()));
			eprintln!(
				"wrote a new {} key to {}; register its public key (above) with the meter",
				scheme.name(),
				out.display()
			);
			Ok(())
		}
		Command::Key(KeyCommand::Inspect { key, on_chain, json }) => {
			let key = key.load()?;
			let meter = if on_chain {
				let mut client = Client::new(&cli.url)?;
				client.runtime_call::<Option<u64>>(
					"MetersApi_meter_by_device_key",
					key.device_key(),
				)?
			} else {
				None
			};
			if json {
				let mut value = serde_json::json!({
					"scheme": key.scheme().name(),
					"publicKey": client::hex(&key.public()),
				});
				if on_chain {
					value["meter"] = serde_json::json!(meter);
				}
				println!("{value}");
			} else {
				println!("scheme      {}", key.scheme().name());
				println!("public key  {}", client::hex(&key.public()));
				if on_chain {
					match meter {
						Some(id) => println!("meter       {id}"),
						None => println!("meter       none on {}", cli.url),
					}
				}
			}
			Ok(())
		}
		Command::Frame(FrameCommand::Sign { key, genesis, input }) => {
			let genesis = genesis_from(&genesis)?;
			let key = key.load()?;
			let (text, what) = read_input(input.as_ref())?;
			let mut out = String::new();
			for frame in frames::parse_frames(&text, &what)? {
				out.push_str(&frames::to_line(&frames::sign(&frame, &key, &genesis)?));
				out.push('\n');
			}
			print!("{out}");
			Ok(())
		}
		Command::Submit(args) => submit(&cli.url, args),
		Command::Simulate(args) => simulate::run(&cli.url, args),
		Command::Bench(args) => bench::run(args),
		Command::Audit(args) => audit::run(&cli.url, args),
		Command::Query(command) => query::run(&cli.url, command),
	}
}

fn submit(url: &str, args: SubmitArgs) -> Result<()> {
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
		simulate::wait_until_measured(&mut client, &accepted, std::time::Duration::from_secs(120))?;
		if !args.json {
			eprintln!("all {} accepted frames are measurements now", accepted.len());
		}
	}
	if refused > 0 {
		return Err(Error::failure(format!("{refused} of {} frames were refused", signed.len())));
	}
	Ok(())
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
