//! Meter device keys: generated into key files, or derived from a secret URI (`//Meter1`,
//! a mnemonic, `0x` seed), and the signatures they make.

use crate::{client::hex, Error, Result};
use mensura_primitives::metering::DeviceKey;
use serde::{Deserialize, Serialize};
use sp_core::{ecdsa, ed25519, sr25519, Pair as _};
use sp_runtime::MultiSignature;
use std::path::Path;

/// A signature scheme meters may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
	Sr25519,
	Ed25519,
	Ecdsa,
}

impl Scheme {
	pub fn name(self) -> &'static str {
		match self {
			Scheme::Sr25519 => "sr25519",
			Scheme::Ed25519 => "ed25519",
			Scheme::Ecdsa => "ecdsa",
		}
	}
}

/// A meter's secret key.
#[derive(Clone)]
pub enum MeterKey {
	Sr25519(sr25519::Pair),
	Ed25519(ed25519::Pair),
	Ecdsa(ecdsa::Pair),
}

/// A key file: what `mensura key generate` writes.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeyFile {
	pub scheme: Scheme,
	/// The 32-byte secret seed, hex. Whoever has it can sign as the meter.
	pub secret_seed: String,
	/// The public key, hex: what the manufacturer registers on chain.
	pub public_key: String,
}

impl MeterKey {
	/// A fresh random key.
	pub fn generate(scheme: Scheme) -> (MeterKey, [u8; 32]) {
		match scheme {
			Scheme::Sr25519 => {
				let (pair, seed) = sr25519::Pair::generate();
				(MeterKey::Sr25519(pair), seed)
			}
			Scheme::Ed25519 => {
				let (pair, seed) = ed25519::Pair::generate();
				(MeterKey::Ed25519(pair), seed)
			}
			Scheme::Ecdsa => {
				let (pair, seed) = ecdsa::Pair::generate();
				(MeterKey::Ecdsa(pair), seed)
			}
		}
	}

	/// The key a secret URI derives: `//Meter1`, a BIP-39 mnemonic with optional
	/// `//hard/soft` derivation, or a `0x` seed.
	pub fn from_uri(scheme: Scheme, uri: &str) -> Result<MeterKey> {
		let bad = |e: sp_core::crypto::SecretStringError| {
			Error::input(format!("`{uri}` is not a usable secret URI ({e:?})"))
		};
		Ok(match scheme {
			Scheme::Sr25519 => {
				MeterKey::Sr25519(sr25519::Pair::from_string(uri, None).map_err(bad)?)
			}
			Scheme::Ed25519 => {
				MeterKey::Ed25519(ed25519::Pair::from_string(uri, None).map_err(bad)?)
			}
			Scheme::Ecdsa => MeterKey::Ecdsa(ecdsa::Pair::from_string(uri, None).map_err(bad)?),
		})
	}

	fn from_seed(scheme: Scheme, seed: &[u8]) -> Option<MeterKey> {
		Some(match scheme {
			Scheme::Sr25519 => MeterKey::Sr25519(sr25519::Pair::from_seed_slice(seed).ok()?),
			Scheme::Ed25519 => MeterKey::Ed25519(ed25519::Pair::from_seed_slice(seed).ok()?),
			Scheme::Ecdsa => MeterKey::Ecdsa(ecdsa::Pair::from_seed_slice(seed).ok()?),
		})
	}

	/// Reads a key file, checking that its public key matches its seed.
	pub fn load(path: &Path) -> Result<MeterKey> {
		let what = path.display();
		let text = std::fs::read_to_string(path)
			.map_err(|e| Error::input(format!("cannot read the key file {what}: {e}")))?;
		let file: KeyFile = serde_json::from_str(&text).map_err(|e| {
			Error::input(format!(
				"{what} is not a Mensura key file ({e}); create one with `mensura key generate`"
			))
		})?;
		let seed = crate::client::unhex(&file.secret_seed)
			.map_err(|e| Error::input(format!("{what}: secretSeed is not hex ({e})")))?;
		let key = MeterKey::from_seed(file.scheme, &seed).ok_or_else(|| {
			Error::input(format!("{what}: secretSeed is not a 32-byte {} seed", file.scheme.name()))
		})?;
		if !hex(&key.public()).eq_ignore_ascii_case(file.public_key.trim()) {
			return Err(Error::input(format!(
				"{what}: publicKey does not belong to secretSeed (the file is damaged)"
			)));
		}
		Ok(key)
	}

	/// Writes a key file readable by its owner only, refusing to overwrite one.
	pub fn save(&self, seed: &[u8; 32], path: &Path) -> Result<()> {
		use std::{fs::OpenOptions, io::Write, os::unix::fs::OpenOptionsExt};
		let file = KeyFile {
			scheme: self.scheme(),
			secret_seed: hex(seed),
			public_key: hex(&self.public()),
		};
		let mut out = OpenOptions::new()
			.write(true)
			.create_new(true)
			.mode(0o600)
			.open(path)
			.map_err(|e| Error::input(format!("cannot create {}: {e}", path.display())))?;
		let text = serde_json::to_string_pretty(&file).expect("a key file serialises");
		writeln!(out, "{text}")
			.map_err(|e| Error::input(format!("cannot write {}: {e}", path.display())))
	}

	pub fn scheme(&self) -> Scheme {
		match self {
			MeterKey::Sr25519(_) => Scheme::Sr25519,
			MeterKey::Ed25519(_) => Scheme::Ed25519,
			MeterKey::Ecdsa(_) => Scheme::Ecdsa,
		}
	}

	/// The public key's bytes (33 for ECDSA, 32 otherwise).
	pub fn public(&self) -> Vec<u8> {
		match self {
			MeterKey::Sr25519(pair) => pair.public().0.to_vec(),
			MeterKey::Ed25519(pair) => pair.public().0.to_vec(),
			MeterKey::Ecdsa(pair) => pair.public().0.to_vec(),
		}
	}

	/// The key as the meter registry stores it.
	pub fn device_key(&self) -> DeviceKey {
		match self {
			MeterKey::Sr25519(pair) => DeviceKey::Sr25519(pair.public()),
			MeterKey::Ed25519(pair) => DeviceKey::Ed25519(pair.public()),
			MeterKey::Ecdsa(pair) => DeviceKey::Ecdsa(pair.public()),
		}
	}

	/// Signs `message` (ECDSA signs its BLAKE2b-256 hash, as the chain verifies it).
	pub fn sign(&self, message: &[u8]) -> MultiSignature {
		match self {
			MeterKey::Sr25519(pair) => MultiSignature::Sr25519(pair.sign(message)),
			MeterKey::Ed25519(pair) => MultiSignature::Ed25519(pair.sign(message)),
			MeterKey::Ecdsa(pair) => MultiSignature::Ecdsa(pair.sign(message)),
		}
	}
}
