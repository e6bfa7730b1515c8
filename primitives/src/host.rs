//! Host functions that `mensura-node` provides beside polkadot-sdk's
//! (`sp_io::SubstrateHostFunctions`), and that the runtime calls.
//!
//! - [`mensura_crypto::sr25519_verify_batch`]: the signatures of a batch of frames
//!   checked together. One sr25519 check costs about 31 µs on one core of this project's
//!   reference machine; a batch of 64 checked together about 16 µs a signature (a
//!   multiscalar multiplication over the whole batch instead of one per signature).
//!   polkadot-sdk's own batch-verification host functions only register a signature
//!   and check it at once.
//!
//! **What it costs**: a runtime that calls it runs only on a node that provides it.
//! `mensura-node` does (`node/src/service.rs`, `HostFunctions`); a stock polkadot-sdk
//! node or omni-node refuses to instantiate the runtime, and a light client (smoldot)
//! instantiates it but fails a call that reaches the function (validating a batch of
//! frames; a single frame never calls it). A later parachain build needs the plain path
//! ([`crate::metering::DeviceKey::verify`], one host call a signature).

use alloc::vec::Vec;
use sp_core::sr25519;
use sp_runtime_interface::{pass_by::PassFatPointerAndDecodeSlice, runtime_interface};

/// One signature of a batch: the signature, the key, the signed message.
pub type Sr25519Item = (sr25519::Signature, sr25519::Public, Vec<u8>);

/// Mensura's host functions. In the runtime each is an import of the node
/// (`ext_mensura_crypto_<name>_version_<n>`); everywhere else, a plain call.
#[runtime_interface]
pub trait MensuraCrypto {
	/// Whether every item is a valid sr25519 signature of its message by its key, in
	/// the signing context of `sp_core::sr25519` (so exactly the signatures
	/// `sp_io::crypto::sr25519_verify` accepts, with overwhelming probability). The
	/// batch is checked at once (schnorrkel's batch verification, its random weights
	/// derived from the whole batch, so every node reaches the same answer): `false`
	/// says that at least one item is bad, not which. An empty batch is valid.
	fn sr25519_verify_batch(
		items: PassFatPointerAndDecodeSlice<&[(sr25519::Signature, sr25519::Public, Vec<u8>)]>,
	) -> bool {
		verify_batch_natively(items)
	}
}

/// The host's side of [`mensura_crypto::sr25519_verify_batch`].
#[cfg(not(substrate_runtime))]
fn verify_batch_natively(items: &[Sr25519Item]) -> bool {
	use schnorrkel::{signing_context, verify_batch_deterministic, PublicKey, Signature};
	let mut signatures = Vec::with_capacity(items.len());
	let mut keys = Vec::with_capacity(items.len());
	for (signature, key, _) in items {
		let (Ok(signature), Ok(key)) =
			(Signature::from_bytes(signature.as_ref()), PublicKey::from_bytes(key.as_ref()))
		else {
			return false;
		};
		signatures.push(signature);
		keys.push(key);
	}
	// `sp_core::sr25519`'s signing context.
	let context = signing_context(b"substrate");
	let transcripts = items.iter().map(|(_, _, message)| context.bytes(message));
	verify_batch_deterministic(transcripts, &signatures, &keys, false).is_ok()
}

#[cfg(test)]
mod tests {
	use super::*;
	use sp_core::{sr25519::Pair, Pair as _};

	fn signed(count: u8) -> Vec<Sr25519Item> {
		(0..count)
			.map(|i| {
				let pair = Pair::from_seed(&[i; 32]);
				let message = alloc::vec![i; 80];
				(pair.sign(&message), pair.public(), message)
			})
			.collect()
	}

	#[test]
	fn a_batch_of_valid_signatures_is_valid_and_agrees_with_one_by_one_checks() {
		for count in [0, 1, 2, 64] {
			let items = signed(count);
			assert!(items.iter().all(|(s, k, m)| sp_io::crypto::sr25519_verify(s, m, k)));
			assert!(mensura_crypto::sr25519_verify_batch(&items), "{count} signatures");
		}
	}

	#[test]
	fn one_forged_signature_makes_the_batch_invalid_wherever_it_is() {
		for at in [0, 31, 63] {
			let mut items = signed(64);
			let mut bytes = items[at].0 .0;
			bytes[5] ^= 1;
			items[at].0 = sr25519::Signature::from_raw(bytes);
			assert!(!mensura_crypto::sr25519_verify_batch(&items), "forged at {at}");
		}
	}

	#[test]
	fn signatures_swapped_between_two_messages_make_the_batch_invalid() {
		let mut items = signed(8);
		let first = items[1].0;
		items[1].0 = items[2].0;
		items[2].0 = first;
		assert!(!mensura_crypto::sr25519_verify_batch(&items));
	}

	#[test]
	fn a_signature_of_another_key_or_message_makes_the_batch_invalid() {
		let mut items = signed(4);
		items[3].1 = items[0].1;
		assert!(!mensura_crypto::sr25519_verify_batch(&items));
		let mut items = signed(4);
		items[2].2[0] ^= 1;
		assert!(!mensura_crypto::sr25519_verify_batch(&items));
	}

	#[test]
	fn undecodable_signatures_and_keys_make_the_batch_invalid() {
		let mut items = signed(3);
		// A signature without schnorrkel's marker bit is no sr25519 signature.
		let mut bytes = items[1].0 .0;
		bytes[63] &= 0x7f;
		items[1].0 = sr25519::Signature::from_raw(bytes);
		assert!(!mensura_crypto::sr25519_verify_batch(&items));
		let mut items = signed(3);
		// Not a Ristretto point's encoding.
		items[0].1 = sr25519::Public::from_raw([0xff; 32]);
		assert!(!mensura_crypto::sr25519_verify_batch(&items));
	}
}
