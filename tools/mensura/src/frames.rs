//! Frames as people and firmware write them, signed frames as the tool stores them, and
//! the transactions that carry them (and the registry calls) to the chain.

use crate::{
	client::{hex, unhex, Client, RpcError},
	keys::MeterKey,
	Error, Result,
};
use codec::{Decode, Encode};
use mensura_primitives::readings::{lr, FrameRejection, SignedFrame};
use mensura_runtime::{Runtime, RuntimeCall, TxExtension, UncheckedExtrinsic};
use serde::Deserialize;
use sp_core::Pair as _;
use sp_runtime::{generic::SignedPayload, MultiAddress, MultiSignature};

/// A frame in JSON, as `mensura frame sign` reads it:
/// `{"meter": 0, "sequence": 1, "start": 1795996740000, "end": 1795996800000,
///   "channels": [[230000, …], [5000, …]]}` (times in Unix milliseconds).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrameJson {
	pub meter: u64,
	pub sequence: u64,
	pub start: u64,
	pub end: u64,
	pub channels: Vec<Vec<i32>>,
}

impl From<FrameJson> for lr::Frame {
	fn from(f: FrameJson) -> Self {
		lr::Frame {
			meter: f.meter,
			sequence: f.sequence,
			start: f.start,
			end: f.end,
			channels: f.channels,
		}
	}
}

/// Reads frames: a JSON object, a JSON array of them, or one JSON object per line.
pub fn parse_frames(text: &str, what: &str) -> Result<Vec<lr::Frame>> {
	let bad = |e: serde_json::Error| {
		Error::input(format!(
			"{what}: not a frame ({e}); expected JSON like {{\"meter\": 0, \"sequence\": 1, \
			 \"start\": <ms>, \"end\": <ms>, \"channels\": [[…], […]]}}"
		))
	};
	let trimmed = text.trim_start();
	let frames: Vec<FrameJson> = if trimmed.starts_with('[') {
		serde_json::from_str(text).map_err(bad)?
	} else {
		serde_json::Deserializer::from_str(text)
			.into_iter::<FrameJson>()
			.collect::<std::result::Result<_, _>>()
			.map_err(bad)?
	};
	if frames.is_empty() {
		return Err(Error::input(format!("{what}: no frames")));
	}
	Ok(frames.into_iter().map(Into::into).collect())
}

/// The frame format of a version number given on the command line (1 or 2).
pub fn format_of_version(version: u8) -> Result<lr::FrameFormat> {
	match version {
		1 => Ok(lr::FrameFormat::Fixed),
		2 => Ok(lr::FrameFormat::Compact),
		other => Err(Error::usage(format!(
			"frame format version {other}: 1 (fixed) or 2 (compact), see docs/frame-format.md"
		))),
	}
}

/// The frame's bytes in `format` and the meter's signature over them for the chain
/// `genesis`.
pub fn sign(
	frame: &lr::Frame,
	format: lr::FrameFormat,
	key: &MeterKey,
	genesis: &[u8; 32],
) -> Result<SignedFrame<Vec<u8>>> {
	let bytes = frame.encode_as(format).map_err(|e| {
		Error::input(format!(
			"frame {} of meter {} cannot be encoded: {e:?} (see docs/frame-format.md)",
			frame.sequence, frame.meter
		))
	})?;
	let message = lr::frame::signing_message(genesis, &sp_io::hashing::blake2_256(&bytes));
	Ok(SignedFrame { frame: bytes, signature: key.sign(&message) })
}

/// A signed frame as one line of text: `0x` hex of its SCALE encoding (the frame's bytes
/// with a length prefix, then the `MultiSignature`), the argument of `submit_frame`.
pub fn to_line(signed: &SignedFrame<Vec<u8>>) -> String {
	hex(&signed.encode())
}

/// Reads signed frames, one hex line each; blank lines and `#` comments are skipped.
pub fn parse_lines(text: &str, what: &str) -> Result<Vec<SignedFrame<Vec<u8>>>> {
	let mut frames = Vec::new();
	for (number, line) in text.lines().enumerate() {
		let line = line.trim();
		if line.is_empty() || line.starts_with('#') {
			continue;
		}
		let at = || format!("{what}, line {}", number + 1);
		let bytes =
			unhex(line).map_err(|e| Error::input(format!("{}: not a signed frame ({e})", at())))?;
		let signed = SignedFrame::<Vec<u8>>::decode(&mut &bytes[..]).map_err(|_| {
			Error::input(format!(
				"{}: not a signed frame (expected the hex that `mensura frame sign` prints)",
				at()
			))
		})?;
		frames.push(signed);
	}
	if frames.is_empty() {
		return Err(Error::input(format!("{what}: no signed frames")));
	}
	Ok(frames)
}

/// `Readings::submit_frame` or, for several, `Readings::submit_frames`.
pub fn submission(frames: &[SignedFrame<Vec<u8>>]) -> Result<RuntimeCall> {
	let bounded = |f: &SignedFrame<Vec<u8>>| -> Result<pallet_readings::SignedFrameOf<Runtime>> {
		Ok(SignedFrame {
			frame: f.frame.clone().try_into().map_err(|_| {
				Error::input(format!(
					"a frame of {} bytes exceeds the chain's limit of 16384",
					f.frame.len()
				))
			})?,
			signature: f.signature.clone(),
		})
	};
	Ok(match frames {
		[one] => {
			RuntimeCall::Readings(pallet_readings::Call::submit_frame { frame: bounded(one)? })
		}
		many => RuntimeCall::Readings(pallet_readings::Call::submit_frames {
			frames: many
				.iter()
				.map(bounded)
				.collect::<Result<Vec<_>>>()?
				.try_into()
				.map_err(|_| Error::usage("a batch holds at most 256 frames"))?,
		}),
	})
}

fn extensions(nonce: u32) -> TxExtension {
	mensura_runtime::transaction_extensions(nonce)
}

/// A general transaction (extrinsic v5) for `call`: no signer and no fee, authorised by
/// the call itself (frames carry their meter's signature).
pub fn general_transaction(call: RuntimeCall) -> Vec<u8> {
	UncheckedExtrinsic::new_transaction(call, extensions(0)).encode()
}

/// What a signed transaction commits to beyond the call and its explicit extensions.
pub struct ChainContext {
	pub genesis: [u8; 32],
	pub spec_version: u32,
	pub transaction_version: u32,
}

/// A signed transaction (immortal, no tip) of `call` by the sr25519 account `signer`.
pub fn signed_transaction(
	call: RuntimeCall,
	signer: &sp_core::sr25519::Pair,
	nonce: u32,
	chain: &ChainContext,
) -> Vec<u8> {
	signed_transaction_with_tip(call, signer, nonce, 0, chain)
}

/// A signed, immortal transaction of `call` by the sr25519 account `signer`, tipping
/// `tip` (a tip raises its priority in the transaction pool).
pub fn signed_transaction_with_tip(
	call: RuntimeCall,
	signer: &sp_core::sr25519::Pair,
	nonce: u32,
	tip: u128,
	chain: &ChainContext,
) -> Vec<u8> {
	let mut explicit = extensions(nonce);
	explicit.8 = pallet_transaction_payment::ChargeTransactionPayment::from(tip);
	let genesis = sp_core::H256(chain.genesis);
	let implicit = (
		(),
		(),
		chain.spec_version,
		chain.transaction_version,
		genesis,
		genesis,
		(),
		(),
		(),
		None,
		(),
	);
	let payload = SignedPayload::<RuntimeCall, TxExtension>::from_raw(
		call.clone(),
		explicit.clone(),
		implicit,
	);
	let signature = payload.using_encoded(|bytes| signer.sign(bytes));
	let account: mensura_runtime::AccountId = signer.public().into();
	UncheckedExtrinsic::new_signed(
		call,
		MultiAddress::Id(account),
		MultiSignature::Sr25519(signature),
		explicit,
	)
	.encode()
}

/// The JSON-RPC error code of a transaction the pool found invalid (sc-rpc-api's
/// `POOL_INVALID_TX`).
pub const POOL_INVALID_TX: i64 = 1010;

/// The JSON-RPC error code of a transaction the pool refuses because it is in a recent
/// block (`POOL_TEMPORARILY_BANNED`).
pub const POOL_TEMPORARILY_BANNED: i64 = 1012;

/// The JSON-RPC error code of a transaction the pool already holds
/// (`POOL_ALREADY_IMPORTED`).
pub const POOL_ALREADY_IMPORTED: i64 = 1013;

/// The JSON-RPC error code of a transaction whose validity the pool cannot tell yet
/// (`POOL_UNKNOWN_VALIDITY`).
pub const POOL_UNKNOWN_VALIDITY: i64 = 1011;

/// The JSON-RPC error code of a transaction the full pool refuses for ranking below all
/// it holds (`POOL_TOO_LOW_PRIORITY`).
pub const POOL_TOO_LOW_PRIORITY: i64 = 1014;

/// The JSON-RPC error code of a transaction the full pool has no room for
/// (`POOL_IMMEDIATELY_DROPPED`).
pub const POOL_IMMEDIATELY_DROPPED: i64 = 1016;

/// Whether the pool refused a transaction only for being full: nothing is wrong with it,
/// and the same bytes may be sent again once a block has taken from the pool.
pub fn pool_full(error: &RpcError) -> bool {
	error.code == POOL_TOO_LOW_PRIORITY || error.code == POOL_IMMEDIATELY_DROPPED
}

/// The frame rejection in a pool refusal, if it is one: the node answers
/// `{"code": 1010, "message": "Invalid Transaction", "data": "Custom error: <code>"}` for
/// `InvalidTransaction::Custom(code)`, and
/// `{"code": 1011, "message": "Unknown Transaction Validity", "data": "Custom(<code>)"}`
/// for `UnknownTransaction::Custom(code)`: a frame not valid yet, `FutureInterval`
/// (docs/frame-format.md). The code is a [`FrameRejection`]'s.
pub fn rejection(error: &RpcError) -> Option<FrameRejection> {
	let data = error.data.as_ref()?.as_str()?;
	let code = match error.code {
		POOL_INVALID_TX => data.strip_prefix("Custom error: ")?,
		POOL_UNKNOWN_VALIDITY => data.strip_prefix("Custom(")?.strip_suffix(')')?,
		_ => return None,
	};
	FrameRejection::from_code(code.parse().ok()?)
}

/// Why the pool refused a frame transaction, for people.
pub fn describe_refusal(error: &RpcError) -> String {
	match rejection(error) {
		Some(reason) => {
			format!("{} (code {}): {}", reason.name(), reason.code(), reason.description())
		}
		None if error.code == POOL_ALREADY_IMPORTED => {
			"already in the pool (an identical transaction)".into()
		}
		None => error.to_string(),
	}
}

/// Submits the frames as one transaction: `Ok(hash)` or the refusal.
pub fn submit(
	client: &mut Client,
	frames: &[SignedFrame<Vec<u8>>],
) -> Result<std::result::Result<String, RpcError>> {
	client.submit(&general_transaction(submission(frames)?))
}

#[cfg(test)]
mod tests {
	use super::*;
	use serde_json::{json, Value};

	fn refusal(code: i64, data: Option<Value>) -> RpcError {
		RpcError { code, message: "Invalid Transaction".into(), data }
	}

	#[test]
	fn a_frame_rejection_is_read_from_the_pool_refusal_and_nothing_else() {
		assert_eq!(
			rejection(&refusal(1010, Some(json!("Custom error: 5")))),
			Some(FrameRejection::Replayed)
		);
		// Other refusals of the pool, and other errors, are not frame rejections.
		assert_eq!(rejection(&refusal(1010, Some(json!("Transaction has a bad signature")))), None);
		assert_eq!(rejection(&refusal(1010, None)), None);
		assert_eq!(rejection(&refusal(1012, Some(json!("Custom error: 5")))), None);
		assert_eq!(
			rejection(&refusal(1011, Some(json!("Custom(8)")))),
			Some(FrameRejection::FutureInterval)
		);
		assert_eq!(rejection(&refusal(1011, Some(json!("Custom error: 8")))), None);
		assert_eq!(rejection(&refusal(1011, Some(json!("CannotLookup")))), None);
		// A code no frame rejection has.
		assert_eq!(rejection(&refusal(1010, Some(json!("Custom error: 250")))), None);
		assert_eq!(rejection(&refusal(1010, Some(json!("Custom error: 5 and more")))), None);
	}
}
