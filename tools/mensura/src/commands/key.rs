//! `mensura key`: make and inspect meter device keys.

use crate::{
	client::{hex, Client},
	keys::{MeterKey, Scheme},
	Error, Result,
};
use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum KeyCommand {
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
pub struct KeyArgs {
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
	pub fn load(&self) -> Result<MeterKey> {
		match (&self.source.key, &self.source.uri) {
			(Some(path), _) => MeterKey::load(path),
			(None, Some(uri)) => MeterKey::from_uri(self.scheme.unwrap_or(Scheme::Sr25519), uri),
			(None, None) => Err(Error::usage("give --key FILE or --uri URI")),
		}
	}
}

pub fn run(url: &str, command: KeyCommand) -> Result<()> {
	match command {
		KeyCommand::Generate { scheme, out } => {
			let (key, seed) = MeterKey::generate(scheme);
			key.save(&seed, &out)?;
			println!("{}", hex(&key.public()));
			eprintln!(
				"wrote a new {} key to {}; register its public key (above) with the meter",
				scheme.name(),
				out.display()
			);
			Ok(())
		}
		KeyCommand::Inspect { key, on_chain, json } => {
			let key = key.load()?;
			let meter = if on_chain {
				let mut client = Client::new(url)?;
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
					"publicKey": hex(&key.public()),
				});
				if on_chain {
					value["meter"] = serde_json::json!(meter);
				}
				println!("{value}");
			} else {
				println!("scheme      {}", key.scheme().name());
				println!("public key  {}", hex(&key.public()));
				if on_chain {
					match meter {
						Some(id) => println!("meter       {id}"),
						None => println!("meter       none on {url}"),
					}
				}
			}
			Ok(())
		}
	}
}
