//! What commands read from files or standard input, and the arguments several of them
//! take in the same form.

use crate::{client::unhex, Error, Result};
use std::{io::Read, path::PathBuf};

/// Reads a file, or standard input for `-` or no file: `(text, what it was)`.
pub fn read_input(path: Option<&PathBuf>) -> Result<(String, String)> {
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

/// A `--genesis` argument: a 32-byte hash, 0x + 64 hex digits.
pub fn genesis_from(text: &str) -> Result<[u8; 32]> {
	unhex(text).ok().and_then(|bytes| bytes.try_into().ok()).ok_or_else(|| {
		Error::usage(format!("--genesis {text}: expected a 32-byte hash, 0x + 64 hex digits"))
	})
}
