//! The bench meters' keys, and the signature-verification rate of one core.

use super::*;

/// The bench meter key `i`: a seed derived from its index, so runs repeat exactly.
pub(super) fn meter_key(scheme: Scheme, i: usize) -> MeterKey {
	let seed = sp_io::hashing::blake2_256(&(b"mensura-bench-meter", i as u64).encode());
	match scheme {
		Scheme::Sr25519 => MeterKey::Sr25519(sr25519::Pair::from_seed(&seed)),
		Scheme::Ed25519 => MeterKey::Ed25519(ed25519::Pair::from_seed(&seed)),
		Scheme::Ecdsa => MeterKey::Ecdsa(sp_core::ecdsa::Pair::from_seed(&seed)),
	}
}

/// Signature verifications per second on one core, with the library the node's host
/// functions use, over 80-byte frame signing messages; at least `time` of work.
pub(super) fn verification_rate(scheme: Scheme, time: Duration) -> f64 {
	let key = meter_key(scheme, 0);
	let messages: Vec<[u8; 80]> = (0..64u8).map(|i| [i; 80]).collect();
	let signed: Vec<_> = messages.iter().map(|m| key.sign(m)).collect();
	let device = key.device_key();
	let started = Instant::now();
	let mut done = 0u64;
	while started.elapsed() < time {
		for (message, signature) in messages.iter().zip(&signed) {
			assert!(device.verify(message, signature), "a valid signature verifies");
		}
		done += messages.len() as u64;
	}
	done as f64 / started.elapsed().as_secs_f64()
}
