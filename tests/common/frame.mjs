// The frame formats of docs/frame-format.md (version 1, and version 2, compact) as firmware or a gateway writes them,
// for every JavaScript client here (Polkadot.js, polkadot-api). No dependencies: the
// caller brings its library's BLAKE2b-256.

/** A version-1 frame: `channels` is an array of sample arrays, one per channel, all as long. */
export function frameBytes({ meter, sequence, start, end, channels }) {
  const samples = channels[0].length;
  if (channels.some((channel) => channel.length !== samples)) throw new Error('channels differ in length');
  const bytes = new Uint8Array(36 + channels.length * samples * 4);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, 1);
  view.setBigUint64(1, BigInt(meter), true);
  view.setBigUint64(9, BigInt(sequence), true);
  view.setBigUint64(17, BigInt(start), true);
  view.setBigUint64(25, BigInt(end), true);
  view.setUint8(33, channels.length);
  view.setUint16(34, samples, true);
  channels.forEach((channel, c) => channel.forEach((sample, i) => {
    view.setInt32(36 + 4 * (c * samples + i), sample, true);
  }));
  return bytes;
}

/**
 * A version-2 (compact) frame of the same fields: integers as unsigned LEB128 varints, the
 * interval as start and length, each channel's samples as zig-zag varints of their
 * differences (the first from 0).
 */
export function compactFrameBytes({ meter, sequence, start, end, channels }) {
  const samples = channels[0].length;
  if (channels.some((channel) => channel.length !== samples)) throw new Error('channels differ in length');
  if (BigInt(end) < BigInt(start)) throw new Error('a version-2 frame cannot end before it starts');
  const out = [2];
  const varint = (value) => {
    let v = BigInt(value);
    while (v >= 0x80n) {
      out.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    out.push(Number(v));
  };
  varint(meter);
  varint(sequence);
  varint(start);
  varint(BigInt(end) - BigInt(start));
  out.push(channels.length);
  varint(samples);
  for (const channel of channels) {
    let previous = 0;
    for (const sample of channel) {
      const difference = sample - previous; // two i32s: exact in a double
      varint(difference >= 0 ? 2 * difference : -2 * difference - 1);
      previous = sample;
    }
  }
  return Uint8Array.from(out);
}

const domain = new TextEncoder().encode('mensura/frame/v1');

/**
 * What a meter signs: "mensura/frame/v1" ‖ genesis hash (32 bytes) ‖ BLAKE2b-256(frame),
 * with `blake2b256` (bytes → 32 bytes) from the caller's library.
 */
export function signingMessage(genesisHash, bytes, blake2b256) {
  if (genesisHash.length !== 32) throw new Error(`a genesis hash has 32 bytes, not ${genesisHash.length}`);
  const message = new Uint8Array(domain.length + 64);
  message.set(domain, 0);
  message.set(genesisHash, domain.length);
  message.set(blake2b256(bytes), domain.length + 32);
  return message;
}

/** Household load for a frame: `samples` voltages (~230 V, in mV) and currents (~4.2 A, in mA). */
export function householdLoad(samples = 60) {
  return [
    Array.from({ length: samples }, (_, i) => 230_000 + Math.round(1500 * Math.sin(i / 5))),
    Array.from({ length: samples }, (_, i) => 4_000 + (i % 10) * 50),
  ];
}
