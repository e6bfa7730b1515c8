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
//! # Byte format (version 2, compact)
//!
//! The same fields in variable-length integers, and each sample as its difference from
//! the one before, so that slowly changing signals take one or two bytes a sample:
//!
//! | field | encoding |
//! |---|---|
//! | format version | 1 byte, `2` |
//! | meter id | varint |
//! | sequence number | varint |
//! | interval start | varint, milliseconds since the Unix epoch |
//! | interval length | varint, milliseconds; the end is the start plus the length |
//! | channel count `C` | 1 byte, 1 to [`MAX_CHANNELS`] |
//! | samples per channel `N` | varint, 1 to 65,535 |
//! | samples | channel by channel, `N` zig-zag varints each: the first sample, then each sample minus the one before |
//!
//! A *varint* is unsigned LEB128: seven bits a byte, the least significant group first,
//! the high bit set on every byte but the last; it must be the shortest encoding of its
//! value and fit its field (`u64`, or `u16` for `N`). *Zig-zag* maps a signed difference
//! `d` (an `i64`) to `(d << 1) ^ (d >> 63)`: 0, −1, 1, −2 … become 0, 1, 2, 3 …. Every
//! decoded sample must be an `i32`; the end must not pass `u64::MAX`; a frame has no
//! bytes beyond its last sample. Each encoding of a frame is the only one: what decodes
//! re-encodes to the same bytes.
//!
//! # What the meter signs
//!
//! The meter signs [`signing_message`]: the 16-byte tag [`SIGNING_TAG`], the 32-byte
//! genesis hash of the chain the frame is meant for (so a frame cannot be replayed on
//! another chain), and the 32-byte BLAKE2b-256 hash of the frame's bytes — 80 bytes in
//! all. Firmware can hash the frame while it writes it.

use crate::MAX_CHANNELS;
use alloc::vec::Vec;

/// The frame formats this crate reads and writes, by their version byte.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FrameFormat {
	/// Version 1: fixed-width little-endian fields and `i32` samples.
	Fixed = 1,
	/// Version 2: varint fields and zig-zag varint sample differences.
	Compact = 2,
}

impl FrameFormat {
	/// The format `bytes` say they are in (their first byte), if this crate knows it.
	pub fn of(bytes: &[u8]) -> Option<Self> {
		match bytes.first() {
			Some(1) => Some(FrameFormat::Fixed),
			Some(2) => Some(FrameFormat::Compact),
			_ => None,
		}
	}

	/// The version byte a frame in this format starts with.
	pub fn version(self) -> u8 {
		self as u8
	}
}

/// The length of a version-1 frame's fixed header, before its samples.
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
	/// A varint longer than its shortest encoding, or too large for its field (version 2).
	BadVarint,
	/// A sample that is not an `i32`, or an interval end past `u64::MAX` (version 2).
	OutOfRange,
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
			FrameError::BadVarint => "BadVarint",
			FrameError::OutOfRange => "OutOfRange",
		}
	}
}

/// The header of a frame: everything but the samples.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct FrameHeader {
	pub format: FrameFormat,
	pub meter: u64,
	pub sequence: u64,
	pub start: u64,
	pub end: u64,
	pub channels: u8,
	pub samples_per_channel: u16,
}

impl FrameHeader {
	/// Reads the header of `bytes` without decoding the samples, and checks that the
	/// length can hold them: exactly (version 1), or at least a byte a sample (version
	/// 2, whose samples' length is known only by decoding them).
	pub fn read(bytes: &[u8]) -> Result<Self, FrameError> {
		Self::read_with_samples(bytes).map(|(header, _)| header)
	}

	/// The header and the bytes of the samples after it.
	fn read_with_samples(bytes: &[u8]) -> Result<(Self, &[u8]), FrameError> {
		let mut r = Reader(bytes);
		let version = r.u8()?;
		let format = FrameFormat::of(bytes).ok_or(FrameError::UnsupportedVersion(version))?;
		let header = match format {
			FrameFormat::Fixed => FrameHeader {
				format,
				meter: r.u64()?,
				sequence: r.u64()?,
				start: r.u64()?,
				end: r.u64()?,
				channels: r.u8()?,
				samples_per_channel: r.u16()?,
			},
			FrameFormat::Compact => {
				let meter = r.varint()?;
				let sequence = r.varint()?;
				let start = r.varint()?;
				let end = start.checked_add(r.varint()?).ok_or(FrameError::OutOfRange)?;
				let channels = r.u8()?;
				let samples_per_channel =
					u16::try_from(r.varint()?).map_err(|_| FrameError::BadVarint)?;
				FrameHeader { format, meter, sequence, start, end, channels, samples_per_channel }
			}
		};
		if header.channels == 0 || header.channels > MAX_CHANNELS {
			return Err(FrameError::BadChannelCount(header.channels));
		}
		if header.samples_per_channel == 0 {
			return Err(FrameError::NoSamples);
		}
		let samples = r.0;
		let least = match format {
			FrameFormat::Fixed => header.samples_len(),
			FrameFormat::Compact => header.total_samples() as usize,
		};
		if samples.len() < least {
			return Err(FrameError::Truncated);
		}
		if format == FrameFormat::Fixed && samples.len() > least {
			return Err(FrameError::TrailingBytes);
		}
		Ok((header, samples))
	}

	/// The length of a version-1 frame's samples.
	fn samples_len(&self) -> usize {
		// At most 4 · 16 · 65535 bytes: no overflow even on 32-bit targets.
		(self.total_samples() as usize).saturating_mul(4)
	}

	/// The number of samples over all channels.
	pub fn total_samples(&self) -> u32 {
		u32::from(self.channels).saturating_mul(u32::from(self.samples_per_channel))
	}

	/// The length of the whole frame this header describes, in version 1.
	pub fn encoded_len(&self) -> usize {
		FRAME_HEADER_LEN.saturating_add(self.samples_len())
	}
}

impl Frame {
	/// Decodes a frame in either format, checking every length.
	pub fn decode(bytes: &[u8]) -> Result<Self, FrameError> {
		let (header, samples) = FrameHeader::read_with_samples(bytes)?;
		let per_channel = usize::from(header.samples_per_channel);
		let channels = match header.format {
			FrameFormat::Fixed => {
				let (words, _) = samples.as_chunks::<4>();
				words
					.chunks(per_channel)
					.map(|channel| channel.iter().map(|word| i32::from_le_bytes(*word)).collect())
					.collect::<Vec<Vec<i32>>>()
			}
			FrameFormat::Compact => {
				let mut r = Reader(samples);
				let mut channels = Vec::with_capacity(usize::from(header.channels));
				for _ in 0..header.channels {
					let mut channel = Vec::with_capacity(per_channel);
					let mut previous = 0i64;
					for _ in 0..per_channel {
						let sample = previous
							.checked_add(unzigzag(r.varint()?))
							.and_then(|s| i32::try_from(s).ok())
							.ok_or(FrameError::OutOfRange)?;
						channel.push(sample);
						previous = i64::from(sample);
					}
					channels.push(channel);
				}
				if !r.0.is_empty() {
					return Err(FrameError::TrailingBytes);
				}
				channels
			}
		};
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
		self.encode_as(FrameFormat::Fixed)
	}

	/// Encodes the frame in `format`. A version-2 frame's end must not be before its
	/// start (its length would be negative).
	pub fn encode_as(&self, format: FrameFormat) -> Result<Vec<u8>, FrameError> {
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
			format,
			meter: self.meter,
			sequence: self.sequence,
			start: self.start,
			end: self.end,
			channels,
			samples_per_channel,
		};
		match format {
			FrameFormat::Fixed => {
				let mut out = Vec::with_capacity(header.encoded_len());
				out.push(format.version());
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
			FrameFormat::Compact => {
				let length = self.end.checked_sub(self.start).ok_or(FrameError::OutOfRange)?;
				let mut out = Vec::with_capacity(
					24usize.saturating_add(header.total_samples() as usize).saturating_mul(2),
				);
				out.push(format.version());
				put_varint(&mut out, self.meter);
				put_varint(&mut out, self.sequence);
				put_varint(&mut out, self.start);
				put_varint(&mut out, length);
				out.push(channels);
				put_varint(&mut out, u64::from(samples_per_channel));
				for channel in &self.channels {
					let mut previous = 0i64;
					for sample in channel {
						let sample = i64::from(*sample);
						// Two `i32`s differ by less than 2^32: no overflow.
						put_varint(&mut out, zigzag(sample.wrapping_sub(previous)));
						previous = sample;
					}
				}
				Ok(out)
			}
		}
	}
}

/// Zig-zag: 0, −1, 1, −2 … to 0, 1, 2, 3 ….
fn zigzag(value: i64) -> u64 {
	(value.wrapping_shl(1) ^ value.wrapping_shr(63)).cast_unsigned()
}

/// The inverse of [`zigzag`].
fn unzigzag(value: u64) -> i64 {
	value.wrapping_shr(1).cast_signed() ^ (value & 1).wrapping_neg().cast_signed()
}

/// Appends `value` as an unsigned LEB128 varint.
fn put_varint(out: &mut Vec<u8>, mut value: u64) {
	loop {
		let [low, ..] = value.to_le_bytes();
		value = value.wrapping_shr(7);
		if value == 0 {
			out.push(low & 0x7f);
			return;
		}
		out.push(low | 0x80);
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
	/// An unsigned LEB128 varint of at most 64 bits, in its shortest encoding.
	fn varint(&mut self) -> Result<u64, FrameError> {
		let mut value = 0u64;
		for shift in (0..64u32).step_by(7) {
			let byte = self.u8()?;
			let bits = u64::from(byte & 0x7f);
			// The tenth byte holds bit 63 alone.
			if shift == 63 && bits > 1 {
				return Err(FrameError::BadVarint);
			}
			value |= bits.wrapping_shl(shift);
			if byte & 0x80 == 0 {
				// A last byte of zero after the first is a longer encoding than needed.
				if byte == 0 && shift > 0 {
					return Err(FrameError::BadVarint);
				}
				return Ok(value);
			}
		}
		Err(FrameError::BadVarint)
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
		version[0] = 3;
		assert_eq!(Frame::decode(&version), Err(FrameError::UnsupportedVersion(3)));
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
	fn compact_encoding_round_trips_and_has_the_documented_layout() {
		let frame = Frame {
			meter: 300,
			sequence: 1,
			start: 1_000,
			end: 61_000,
			channels: vec![vec![230_000, 230_063, 229_998], vec![-1, i32::MIN, i32::MAX]],
		};
		let bytes = frame.encode_as(FrameFormat::Compact).unwrap();
		#[rustfmt::skip]
		let expected = [
			2,                      // version
			0xac, 0x02,             // meter 300
			1,                      // sequence 1
			0xe8, 0x07,             // start 1,000
			0xe0, 0xd4, 0x03,       // length 60,000
			2, 3,                   // two channels of three samples
			0xe0, 0x89, 0x1c,       // 230,000 (zig-zag 460,000)
			0x7e,                   // +63 (126)
			0x81, 0x01,             // −65 (129)
			0x01,                   // −1
			0xfd, 0xff, 0xff, 0xff, 0x0f, // i32::MIN − (−1) = −2^31 + 1 (2^32 − 3)
			0xfe, 0xff, 0xff, 0xff, 0x1f, // i32::MAX − i32::MIN = 2^32 − 1 (2^33 − 2)
		];
		assert_eq!(bytes, expected);
		assert_eq!(Frame::decode(&bytes), Ok(frame.clone()));
		assert_eq!(FrameFormat::of(&bytes), Some(FrameFormat::Compact));
		let header = FrameHeader::read(&bytes).unwrap();
		assert_eq!(
			(header.format, header.end, header.total_samples()),
			(FrameFormat::Compact, 61_000, 6)
		);
		// The same frame in version 1, for comparison: 36 + 24 bytes.
		assert_eq!(frame.encode().unwrap().len(), 60);
	}

	#[test]
	fn zigzag_and_varints_cover_their_whole_range() {
		for value in [0i64, -1, 1, -64, 63, -65, 64, i64::from(i32::MIN), i64::MAX, i64::MIN] {
			assert_eq!(unzigzag(zigzag(value)), value);
		}
		assert_eq!((zigzag(0), zigzag(-1), zigzag(1), zigzag(-2)), (0, 1, 2, 3));
		for value in [0u64, 1, 127, 128, 16_383, 16_384, u64::from(u32::MAX), u64::MAX] {
			let mut bytes = Vec::new();
			put_varint(&mut bytes, value);
			let mut reader = Reader(&bytes);
			assert_eq!(reader.varint(), Ok(value));
			assert!(reader.0.is_empty());
		}
		let mut max = Vec::new();
		put_varint(&mut max, u64::MAX);
		assert_eq!(max.len(), 10);
	}

	#[test]
	fn every_malformed_compact_frame_is_refused_by_name() {
		let frame = Frame {
			meter: 7,
			sequence: 42,
			start: 1_000,
			end: 61_000,
			channels: vec![vec![230_000, 231_000, -1], vec![5_000, 5_100, i32::MIN]],
		};
		let bytes = frame.encode_as(FrameFormat::Compact).unwrap();
		for cut in 0..bytes.len() {
			assert_eq!(Frame::decode(&bytes[..cut]), Err(FrameError::Truncated), "cut {cut}");
		}
		let mut longer = bytes.clone();
		longer.push(0);
		assert_eq!(Frame::decode(&longer), Err(FrameError::TrailingBytes));
		// Meter 7 as two bytes, 0x87 0x00: not the shortest encoding.
		let mut overlong = vec![2, 0x87, 0x00];
		overlong.extend_from_slice(&bytes[2..]);
		assert_eq!(Frame::decode(&overlong), Err(FrameError::BadVarint));
		// A meter id of eleven bytes, and one of ten whose last byte holds more than bit 63.
		let mut too_long = vec![2];
		too_long.extend_from_slice(&[0xff; 10]);
		too_long.push(0x01);
		assert_eq!(Frame::decode(&too_long), Err(FrameError::BadVarint));
		let mut too_big = vec![2];
		too_big.extend_from_slice(&[0xff; 9]);
		too_big.push(0x02);
		assert_eq!(Frame::decode(&too_big), Err(FrameError::BadVarint));
		// Start u64::MAX and a length of 1: the end passes u64::MAX.
		let mut late = vec![2, 7, 42];
		put_varint(&mut late, u64::MAX);
		late.extend_from_slice(&[1, 1, 1, 0]);
		assert_eq!(Frame::decode(&late), Err(FrameError::OutOfRange));
		// N = 65,536 does not fit its u16.
		let mut many = vec![2, 7, 42, 0, 1, 1];
		put_varint(&mut many, 65_536);
		assert_eq!(Frame::decode(&many), Err(FrameError::BadVarint));
		// A difference that leaves i32: i32::MAX then +1.
		let mut out = vec![2, 7, 42, 0, 1, 1, 2];
		put_varint(&mut out, zigzag(i64::from(i32::MAX)));
		put_varint(&mut out, zigzag(1));
		assert_eq!(Frame::decode(&out), Err(FrameError::OutOfRange));
		// More samples declared than bytes left: refused before any is decoded.
		let mut short = vec![2, 7, 42, 0, 1, 16];
		put_varint(&mut short, 1_000);
		short.extend_from_slice(&[0; 100]);
		assert_eq!(FrameHeader::read(&short), Err(FrameError::Truncated));
		let mut none = vec![2, 7, 42, 0, 1, 0, 1, 0];
		assert_eq!(Frame::decode(&none), Err(FrameError::BadChannelCount(0)));
		none[5] = 1;
		none[6] = 0;
		assert_eq!(Frame::decode(&none), Err(FrameError::NoSamples));
		let reversed = Frame { end: 999, ..frame };
		assert_eq!(reversed.encode_as(FrameFormat::Compact), Err(FrameError::OutOfRange));
	}

	#[test]
	fn signing_message_is_tag_genesis_and_frame_hash() {
		let message = signing_message(&[1; 32], &[2; 32]);
		assert_eq!(&message[..16], b"mensura/frame/v1");
		assert_eq!(&message[16..48], &[1; 32]);
		assert_eq!(&message[48..], &[2; 32]);
	}
}
