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

/// The host's side of [`mensura_crypto::sr25519_verify_batch`]: the answer remembered
/// for these very items, if this node remembers valid batches
/// ([`valid_batches::remember`]) and verified them before; else verified now.
#[cfg(not(substrate_runtime))]
fn verify_batch_natively(items: &[Sr25519Item]) -> bool {
	#[cfg(feature = "std")]
	return valid_batches::verify(items, verify_batch_now);
	#[cfg(not(feature = "std"))]
	verify_batch_now(items)
}

/// Batches of sr25519 signatures this node found valid, remembered by the hash of
/// everything they are (each signature, key and message), so that the same batch is
/// verified once: without memory a batch of frames is verified when the transaction pool
/// validates it, again each time the pool revalidates it, and again when a block that
/// includes it is built or imported. Only valid batches are remembered: a batch differing
/// from one in a single bit of a signature, key or message hashes apart and is verified in
/// full, and a batch found invalid is verified again whenever it comes back. The answer is the same
/// function of the items with or without memory, so every node reaches the same block
/// state whatever it remembers; what memory changes is only the CPU.
///
/// Off unless the node turns it on ([`remember`], `mensura-node`'s service):
/// the weight benchmarks, which run the same batch again and again, measure the check
/// itself, as a node that never saw the batch (one syncing, say) pays it. (Only with
/// `std`: firmware and tools built without it verify every batch.)
#[cfg(all(not(substrate_runtime), feature = "std"))]
pub mod valid_batches {
	use super::Sr25519Item;
	use codec::Encode;
	use schnellru::{ByLength, LruMap};
	use std::sync::{
		atomic::{AtomicU64, Ordering},
		Mutex, OnceLock,
	};

	/// The hashes of the most recently found or used valid batches, least recent first out.
	pub struct ValidBatches {
		hashes: LruMap<[u8; 32], (), ByLength>,
	}

	impl ValidBatches {
		/// Remembers at most `capacity` batches (48 bytes of memory each, about).
		pub fn new(capacity: u32) -> Self {
			Self { hashes: LruMap::new(ByLength::new(capacity)) }
		}

		/// Whether the batch of hash `hash` was remembered valid (it becomes the most
		/// recently used).
		pub fn contains(&mut self, hash: &[u8; 32]) -> bool {
			self.hashes.get(hash).is_some()
		}

		/// Remembers the batch of hash `hash` as valid.
		pub fn insert(&mut self, hash: [u8; 32]) {
			self.hashes.insert(hash, ());
		}

		/// How many batches are remembered.
		pub fn len(&self) -> usize {
			self.hashes.len()
		}

		/// Whether none is.
		pub fn is_empty(&self) -> bool {
			self.hashes.is_empty()
		}
	}

	/// The hash a batch is remembered by: BLAKE2b-256 of its SCALE encoding, which
	/// holds every signature, key and message with its length, so two batches hash
	/// alike only if they are the same items in the same order.
	pub fn batch_hash(items: &[Sr25519Item]) -> [u8; 32] {
		items.using_encoded(sp_io::hashing::blake2_256)
	}

	/// What the node's batches came to since it started.
	#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
	pub struct Counts {
		/// Batches whose signatures were verified (found valid or not).
		pub verified: u64,
		/// Batches answered valid from memory, not verified again.
		pub remembered: u64,
	}

	static MEMORY: OnceLock<Mutex<ValidBatches>> = OnceLock::new();
	static VERIFIED: AtomicU64 = AtomicU64::new(0);
	static REMEMBERED: AtomicU64 = AtomicU64::new(0);

	/// Turns on remembering the valid batches of sr25519 signatures this process verifies
	/// through [`super::mensura_crypto::sr25519_verify_batch`], at most `capacity` of them;
	/// `false` if it was already on (the first capacity stays).
	pub fn remember(capacity: u32) -> bool {
		MEMORY.set(Mutex::new(ValidBatches::new(capacity))).is_ok()
	}

	/// What this process's batches came to so far.
	pub fn counts() -> Counts {
		Counts {
			verified: VERIFIED.load(Ordering::Relaxed),
			remembered: REMEMBERED.load(Ordering::Relaxed),
		}
	}

	/// Whether `items` are valid: remembered valid in `memory`, or found so by
	/// `verify_now`, and then remembered. `counts` follows what happened.
	pub fn verify_with(
		memory: &Mutex<ValidBatches>,
		items: &[Sr25519Item],
		verify_now: impl FnOnce(&[Sr25519Item]) -> bool,
		counts: (&AtomicU64, &AtomicU64),
	) -> bool {
		let hash = batch_hash(items);
		// The lock is not held while the signatures are verified: the pool's
		// validations and the block builder verify batches at the same time.
		let lock = || memory.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
		if lock().contains(&hash) {
			counts.1.fetch_add(1, Ordering::Relaxed);
			return true;
		}
		let valid = verify_now(items);
		counts.0.fetch_add(1, Ordering::Relaxed);
		if valid {
			lock().insert(hash);
		}
		valid
	}

	/// [`verify_with`] this process's memory, if it remembers; else `verify_now`.
	pub(super) fn verify(
		items: &[Sr25519Item],
		verify_now: impl FnOnce(&[Sr25519Item]) -> bool,
	) -> bool {
		match MEMORY.get() {
			Some(memory) => verify_with(memory, items, verify_now, (&VERIFIED, &REMEMBERED)),
			None => {
				VERIFIED.fetch_add(1, Ordering::Relaxed);
				verify_now(items)
			}
		}
	}
}

/// The signatures of `items` verified together, now.
#[cfg(not(substrate_runtime))]
fn verify_batch_now(items: &[Sr25519Item]) -> bool {
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

	pub(super) fn signed(count: u8) -> Vec<Sr25519Item> {
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

	#[cfg(feature = "std")]
	mod remembered {
		use super::*;
		use crate::host::valid_batches::{batch_hash, counts, verify_with, ValidBatches};
		use std::sync::{atomic::AtomicU64, Mutex};

		/// `verify_with` a fresh memory of `capacity`, counting how often the signatures
		/// were really verified.
		struct Checker {
			memory: Mutex<ValidBatches>,
			verified: AtomicU64,
			remembered: AtomicU64,
			verifications: core::cell::Cell<u32>,
		}

		impl Checker {
			fn new(capacity: u32) -> Self {
				Self {
					memory: Mutex::new(ValidBatches::new(capacity)),
					verified: AtomicU64::new(0),
					remembered: AtomicU64::new(0),
					verifications: Default::default(),
				}
			}

			fn check(&self, items: &[Sr25519Item]) -> bool {
				let now = |items: &[Sr25519Item]| {
					self.verifications.set(self.verifications.get() + 1);
					verify_batch_now(items)
				};
				verify_with(&self.memory, items, now, (&self.verified, &self.remembered))
			}
		}

		#[test]
		fn a_valid_batch_is_verified_once_then_answered_from_memory() {
			let checker = Checker::new(4);
			let items = signed(64);
			for _ in 0..3 {
				assert!(checker.check(&items));
			}
			assert_eq!(checker.verifications.get(), 1);
			assert_eq!(checker.verified.load(core::sync::atomic::Ordering::Relaxed), 1);
			assert_eq!(checker.remembered.load(core::sync::atomic::Ordering::Relaxed), 2);
		}

		#[test]
		fn an_invalid_batch_is_never_remembered() {
			let checker = Checker::new(4);
			let mut items = signed(8);
			items[7].2[0] ^= 1;
			assert!(!checker.check(&items));
			assert!(!checker.check(&items));
			assert_eq!(checker.verifications.get(), 2);
			assert!(checker.memory.lock().unwrap().is_empty());
		}

		#[test]
		fn attack_a_remembered_batchs_signatures_with_another_message_key_or_order_is_refused() {
			let checker = Checker::new(4);
			let items = signed(8);
			assert!(checker.check(&items));
			// The same signatures over another message, under another key, or swapped:
			// each hashes apart from the remembered batch and is verified in full.
			let mut message = items.clone();
			message[3].2[79] ^= 1;
			let mut key = items.clone();
			key[3].1 = items[4].1;
			let mut swapped = items.clone();
			swapped.swap(2, 5);
			swapped[2].0 = items[2].0;
			swapped[5].0 = items[5].0;
			let mut shorter = items.clone();
			shorter[0].2.pop();
			for forged in [&message, &key, &swapped, &shorter] {
				assert_ne!(batch_hash(forged), batch_hash(&items));
				assert!(!checker.check(forged));
			}
			assert_eq!(checker.verifications.get(), 5);
			// A valid batch made of the remembered batch's first items is verified too:
			// a batch is remembered whole, not item by item.
			assert!(checker.check(&items[..4]));
			assert_eq!(checker.verifications.get(), 6);
		}

		#[test]
		fn the_memory_keeps_the_most_recently_used_batches_within_its_capacity() {
			let checker = Checker::new(2);
			let batches: Vec<_> = (1..=3).map(signed).collect();
			assert!(checker.check(&batches[0]));
			assert!(checker.check(&batches[1]));
			// The first is used again, so the second is the least recently used.
			assert!(checker.check(&batches[0]));
			assert!(checker.check(&batches[2]));
			assert_eq!(checker.memory.lock().unwrap().len(), 2);
			assert_eq!(checker.verifications.get(), 3);
			assert!(checker.check(&batches[0]));
			assert_eq!(checker.verifications.get(), 3);
			assert!(checker.check(&batches[1]));
			assert_eq!(checker.verifications.get(), 4);
		}

		#[test]
		fn the_host_function_remembers_once_the_process_turns_memory_on() {
			crate::host::valid_batches::remember(64);
			let items = signed(5);
			let before = counts();
			assert!(mensura_crypto::sr25519_verify_batch(&items));
			assert!(mensura_crypto::sr25519_verify_batch(&items));
			let after = counts();
			// Other tests of this process verify batches at the same time: the counts
			// only grow.
			assert!(after.verified > before.verified);
			assert!(after.remembered > before.remembered);
			let mut forged = items.clone();
			forged[4].0 = items[3].0;
			assert!(!mensura_crypto::sr25519_verify_batch(&forged));
		}
	}
}
