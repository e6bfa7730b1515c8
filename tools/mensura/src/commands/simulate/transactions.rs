//! Signed transactions from the development accounts that provision and bind meters.

use super::*;

pub(super) fn account_pair(uri: &str, role: &str) -> Result<sr25519::Pair> {
	sr25519::Pair::from_string(uri, None)
		.map_err(|e| Error::usage(format!("--{role} {uri}: not a usable secret URI ({e:?})")))
}

pub(super) fn address(pair: &sr25519::Pair) -> String {
	use sp_core::crypto::Ss58Codec;
	pair.public().to_ss58check_with_version(mensura_primitives::SS58_PREFIX.into())
}

/// Signs and submits `calls` from `signer` with consecutive nonces.
pub(super) fn send_signed(
	client: &mut Client,
	chain: &ChainContext,
	signer: &sr25519::Pair,
	calls: Vec<RuntimeCall>,
	role: &str,
) -> Result<()> {
	let mut nonce = client.next_nonce(&address(signer))?;
	for call in calls {
		let extrinsic = frames::signed_transaction(call, signer, nonce, chain);
		client.submit(&extrinsic)?.map_err(|error| {
			Error::node(format!(
				"the pool refused a transaction from the {role} ({}): {error}",
				address(signer)
			))
		})?;
		nonce += 1;
	}
	Ok(())
}
