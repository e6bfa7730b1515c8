//! The frame: what a meter measured over one interval, as raw samples.
//!
//! # Byte format (version 1)
//!
//! All integers are little-endian; there are no variable-length integers, so firmware
//! can write a frame with a fixed layout:
//!
//! | offset | size | field |
//! |---:|---:|---|
//! | 0 | 1 | format version, `1` |
//! | 1 | 8 | meter id, `u64` |
//! | 9 | 8 | sequence number, `u64`, strictly increasing per meter |
//! | 17 | 8 | interval start, `u64` milliseconds since the Unix epoch |
//! | 25 | 8 | interval end, `u64` milliseconds since the Unix epoch |
//! | 33 | 1 | channel count `C`, 1 to [`MAX_CHANNELS`] |
//! | 34 | 2 | samples per channel `N`, `u16`, at least 1 |
//! | 36 | 4·C·N | samples, `i32`, channel by channel: all `N` of channel 0, then channel 1, … |
//!
//! A frame is exactly `36 + 4·C·N` bytes long. The samples of a channel are taken at
//! evenly spaced instants: the first at the interval's start, the last at its end.
//!
//! # What the meter signs
//!
//! The meter signs [`signing_message`]: the 16-byte tag [`SIGNING_TAG`], the 32-byte
//! genesis hash of the chain the frame is meant for (so a frame cannot be replayed on
//! another chain), and the 32-byte BLAKE2b-256 hash of the frame's bytes — 80 bytes in
//! all. Firmware can hash the frame while it writes it.

use crate::MAX_CHANNELS;
use alloc::vec::Vec;

/// The frame format version this crate reads and writes.
pub const FRAME_VERSION: u8 = 1;

/// The length of a frame's fixed header, before its samples.
pub const FRAME_HEADER_LEN: usize = 36;

/// The domain-separation tag at the start of every signed message.
pub const SIGNING_TAG: [u8; 16] = *b"mensura/frame/v1";

/// A frame, decoded.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Frame {
	/// The meter that measured.
	pub meter: u64,
	/// The meter's sequence number for this frame.
	pub sequence: u64,
	/// The start of the interval, in milliseconds since the Unix epoch.
	pub start: u64,
	/// The end of the interval, in milliseconds since the Unix epoch.
	pub end: u64,
	/// The samples, one vector per channel, all of the same length.
	pub channels: Vec<Vec<i32>>,
}

/// Why bytes are not a frame.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FrameError {
	/// Fewer bytes than the header, or than the header says the samples take.
	Truncated,
	/// More bytes than the header says the samples take.
	TrailingBytes,
	/// A format version this crate does not know.
	UnsupportedVersion(u8),
	/// No channels, or more than [`MAX_CHANNELS`].
	BadChannelCount(u8),
	/// A channel without samples.
	NoSamples,
	/// Channels of different lengths (when encoding).
	RaggedChannels,
}

impl FrameError {
	/// A short, stable name for logs and clients.
	pub fn name(&self) -> &'static str {
		match self {
			FrameError::Truncated => "Truncated",
			FrameError::TrailingBytes => "TrailingBytes",
			FrameError::UnsupportedVersion(_) => "UnsupportedVersion",
			FrameError::BadChannelCount(_) => "BadChannelCount",
			FrameError::NoSamples => "NoSamples",
			FrameError::RaggedChannels => "RaggedChannels",
		}
	}
}

/// The fixed header of a frame: everything but the samples.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct FrameHeader {
	pub meter: u64,
	pub sequence: u64,
	pub start: u64,
	pub end: u64,
	pub channels: u8,
	pub samples_per_channel: u16,
}

impl FrameHeader {
	/// Reads the header of `bytes` and checks that the length matches it, without
	/// reading the samples.
	pub fn read(bytes: &[u8]) -> Result<Self, FrameError> {
		let mut r = Reader(bytes);
		let version = r.u8()?;
		if version != FRAME_VERSION {
			return Err(FrameError::UnsupportedVersion(version));
		}
		let header = FrameHeader {
			meter: r.u64()?,
			sequence: r.u64()?,
			start: r.u64()?,
			end: r.u64()?,
			channels: r.u8()?,
			samples_per_channel: r.u16()?,
		};
		if header.channels == 0 || header.channels > MAX_CHANNELS {
			return Err(FrameError::BadChannelCount(header.channels));
		}
		if header.samples_per_channel == 0 {
			return Err(FrameError::NoSamples);
		}
		let expected = header.encoded_len();
		if bytes.len() < expected {
			return Err(FrameError::Truncated);
		}
		if bytes.len() > expected {
			return Err(FrameError::TrailingBytes);
		}
		Ok(header)
	}

	/// The number of samples over all channels.
	pub fn total_samples(&self) -> u32 {
		u32::from(self.channels).saturating_mul(u32::from(self.samples_per_channel))
	}

	/// The length of the whole frame this header describes.
	pub fn encoded_len(&self) -> usize {
		// At most 36 + 4 · 16 · 65535 bytes: no overflow even on 32-bit targets.
		FRAME_HEADER_LEN.saturating_add((self.total_samples() as usize).saturating_mul(4))
	}
}

impl Frame {
	/// Decodes a frame, checking every length.
	pub fn decode(bytes: &[u8]) -> Result<Self, FrameError> {
		let header = FrameHeader::read(bytes)?;
		let samples = bytes.get(FRAME_HEADER_LEN..).ok_or(FrameError::Truncated)?;
		let per_channel = usize::from(header.samples_per_channel);
		let (words, _) = samples.as_chunks::<4>();
		let channels = words
			.iter()
			.map(|word| i32::from_le_bytes(*word))
			.collect::<Vec<_>>()
			// `per_channel` is at least 1: the header was checked.
			.chunks(per_channel)
			.map(<[i32]>::to_vec)
			.collect::<Vec<_>>();
		if channels.len() != usize::from(header.channels) {
			return Err(FrameError::Truncated);
		}
		Ok(Frame {
			meter: header.meter,
			sequence: header.sequence,
			start: header.start,
			end: header.end,
			channels,
		})
	}

	/// Encodes the frame in the version-1 format.
	pub fn encode(&self) -> Result<Vec<u8>, FrameError> {
		let channels = u8::try_from(self.channels.len())
			.ok()
			.filter(|c| (1..=MAX_CHANNELS).contains(c))
			.ok_or(FrameError::BadChannelCount(u8::try_from(self.channels.len()).unwrap_or(0)))?;
		let per_channel = self.channels.first().map(Vec::len).unwrap_or(0);
		if self.channels.iter().any(|c| c.len() != per_channel) {
			return Err(FrameError::RaggedChannels);
		}
		let samples_per_channel =
			u16::try_from(per_channel).ok().filter(|n| *n > 0).ok_or(FrameError::NoSamples)?;
		let header = FrameHeader {
			meter: self.meter,
			sequence: self.sequence,
			start: self.start,
			end: self.end,
			channels,
			samples_per_channel,
		};
		let mut out = Vec::with_capacity(header.encoded_len());
		out.push(FRAME_VERSION);
		out.extend_from_slice(&self.meter.to_le_bytes());
		out.extend_from_slice(&self.sequence.to_le_bytes());
		out.extend_from_slice(&self.start.to_le_bytes());
		out.extend_from_slice(&self.end.to_le_bytes());
		out.push(channels);
		out.extend_from_slice(&samples_per_channel.to_le_bytes());
		for channel in &self.channels {
			for sample in channel {
				out.extend_from_slice(&sample.to_le_bytes());
			}
		}
		Ok(out)
	}
}

/// The message a meter signs for a frame: [`SIGNING_TAG`] ‖ `genesis_hash` ‖ `frame_hash`,
/// where `frame_hash` is the BLAKE2b-256 hash of the frame's bytes.
pub fn signing_message(genesis_hash: &[u8; 32], frame_hash: &[u8; 32]) -> [u8; 80] {
	let mut message = [0u8; 80];
	let (tag, rest) = message.split_at_mut(16);
	let (genesis, frame) = rest.split_at_mut(32);
	tag.copy_from_slice(&SIGNING_TAG);
	genesis.copy_from_slice(genesis_hash);
	frame.copy_from_slice(frame_hash);
	message
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
	fn take<const N: usize>(&mut self) -> Result<[u8; N], FrameError> {
		let (head, rest) = self.0.split_first_chunk::<N>().ok_or(FrameError::Truncated)?;
		self.0 = rest;
		Ok(*head)
	}
	fn u8(&mut self) -> Result<u8, FrameError> {
		self.take::<1>().map(|[b]| b)
	}
	fn u16(&mut self) -> Result<u16, FrameError> {
		self.take().map(u16::from_le_bytes)
	}
	fn u64(&mut self) -> Result<u64, FrameError> {
		self.take().map(u64::from_le_bytes)
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use alloc::vec;

	fn frame() -> Frame {
		Frame {
			meter: 7,
			sequence: 42,
			start: 1_000,
			end: 61_000,
			channels: vec![vec![230_000, 231_000, -1], vec![5_000, 5_100, i32::MIN]],
		}
	}

	#[test]
	fn encoding_round_trips_and_has_the_documented_layout() {
		let bytes = frame().encode().unwrap();
		assert_eq!(bytes.len(), FRAME_HEADER_LEN + 4 * 2 * 3);
		assert_eq!(bytes[0], 1);
		assert_eq!(&bytes[1..9], &7u64.to_le_bytes());
		assert_eq!(&bytes[9..17], &42u64.to_le_bytes());
		assert_eq!(bytes[33], 2);
		assert_eq!(&bytes[34..36], &3u16.to_le_bytes());
		assert_eq!(&bytes[36..40], &230_000i32.to_le_bytes());
		assert_eq!(&bytes[48..52], &5_000i32.to_le_bytes());
		assert_eq!(Frame::decode(&bytes), Ok(frame()));
		let header = FrameHeader::read(&bytes).unwrap();
		assert_eq!(header.total_samples(), 6);
	}

	#[test]
	fn every_malformed_frame_is_refused_by_name() {
		let bytes = frame().encode().unwrap();
		for cut in 0..bytes.len() {
			assert_eq!(Frame::decode(&bytes[..cut]), Err(FrameError::Truncated), "cut {cut}");
		}
		let mut longer = bytes.clone();
		longer.push(0);
		assert_eq!(Frame::decode(&longer), Err(FrameError::TrailingBytes));
		let mut version = bytes.clone();
		version[0] = 2;
		assert_eq!(Frame::decode(&version), Err(FrameError::UnsupportedVersion(2)));
		let mut channels = bytes.clone();
		channels[33] = 0;
		assert_eq!(Frame::decode(&channels), Err(FrameError::BadChannelCount(0)));
		channels[33] = MAX_CHANNELS + 1;
		assert_eq!(Frame::decode(&channels), Err(FrameError::BadChannelCount(17)));
		let mut samples = bytes;
		samples[34] = 0;
		assert_eq!(Frame::decode(&samples), Err(FrameError::NoSamples));
	}

	#[test]
	fn frames_that_cannot_be_encoded_are_refused() {
		let mut ragged = frame();
		ragged.channels[1].pop();
		assert_eq!(ragged.encode(), Err(FrameError::RaggedChannels));
		let mut empty = frame();
		empty.channels = vec![vec![], vec![]];
		assert_eq!(empty.encode(), Err(FrameError::NoSamples));
		empty.channels = vec![];
		assert_eq!(empty.encode(), Err(FrameError::BadChannelCount(0)));
	}

	#[test]
	fn signing_message_is_tag_genesis_and_frame_hash() {
		let message = signing_message(&[1; 32], &[2; 32]);
		assert_eq!(&message[..16], b"mensura/frame/v1");
		assert_eq!(&message[16..48], &[1; 32]);
		assert_eq!(&message[48..], &[2; 32]);
	}
}
