// A meter's signed frame, submitted as a gateway would (a general, authorised
// transaction, extrinsic format v5), seen through Polkadot.js: the block that carries it
// decodes, its events decode, and the measurement is visible through api.call.readingsApi
// and api.call.lrProgramsApi. A forged frame is refused by the pool with its code.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { blake2AsU8a, cryptoWaitReady } from '@polkadot/util-crypto';
import { compactToU8a, u8aConcat, u8aToHex } from '@polkadot/util';
import { startDevNode } from '../lib/node.mjs';

let node;
let api;
let provider;
let keyring;

before(async () => {
  await cryptoWaitReady();
  keyring = new Keyring({ type: 'sr25519' });
  node = await startDevNode();
  provider = new WsProvider(node.url);
  api = await ApiPromise.create({ provider, noInitWarn: true, throwOnConnect: true });
});

after(async () => {
  await api?.disconnect();
  if (node) assert.equal((await node.stop()).code, 0);
});

/** The version-1 frame bytes (docs/frame-format.md): 2 channels of `samples` each. */
function frameBytes({ meter, sequence, start, end, volts, amps, samples = 60 }) {
  const bytes = new Uint8Array(36 + 2 * samples * 4);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, 1);
  view.setBigUint64(1, BigInt(meter), true);
  view.setBigUint64(9, BigInt(sequence), true);
  view.setBigUint64(17, BigInt(start), true);
  view.setBigUint64(25, BigInt(end), true);
  view.setUint8(33, 2);
  view.setUint16(34, samples, true);
  for (let i = 0; i < samples; i++) {
    view.setInt32(36 + 4 * i, volts * 1000, true);
    view.setInt32(36 + 4 * (samples + i), amps * 1000, true);
  }
  return bytes;
}

/** The meter's signature over tag ‖ genesis hash ‖ BLAKE2b-256(frame). */
function sign(bytes, seed) {
  const message = u8aConcat(
    new TextEncoder().encode('mensura/frame/v1'),
    api.genesisHash.toU8a(),
    blake2AsU8a(bytes, 256),
  );
  return keyring.addFromUri(seed).sign(message);
}

/**
 * A general transaction: version byte 0x45 (general, v5), extension version 0, the
 * explicit parts of the transaction extensions (immortal era, nonce 0, tip 0, metadata
 * hash off), then `Readings.submit_frame { frame: { frame, signature } }`.
 */
function generalTransaction(bytes, signature) {
  const call = u8aConcat(
    api.tx.readings.submitFrame.callIndex, // [pallet index, call index]
    compactToU8a(bytes.length), bytes,
    new Uint8Array([1]), signature, // MultiSignature::Sr25519
  );
  const extensions = new Uint8Array([0x00 /* era */, 0x00 /* nonce */, 0x00 /* tip */, 0x00 /* mode */]);
  const body = u8aConcat(new Uint8Array([0x45, 0x00]), extensions, call);
  return u8aConcat(compactToU8a(body.length), body);
}

/**
 * `author_submitExtrinsic` with the bytes exactly as built: a gateway's view. (Polkadot.js'
 * `api.rpc.author.submitExtrinsic` re-encodes its argument through its own extrinsic
 * type, which reads v5 general transactions but does not write them back identically.)
 */
function submitRaw(extrinsic) {
  return provider.send('author_submitExtrinsic', [u8aToHex(extrinsic)]);
}

function nextBlockWith(predicate) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no block with the frame in 60 s')), 60_000);
    const unsub = api.rpc.chain.subscribeNewHeads(async (header) => {
      const block = await api.rpc.chain.getBlock(header.hash);
      if (predicate(block)) {
        clearTimeout(timer);
        (await unsub)();
        resolve({ hash: header.hash, block });
      }
    });
  });
}

test('a device-signed frame lands as a general transaction that Polkadot.js decodes', { timeout: 120_000 }, async () => {
  // Frames are judged against the chain's time, which the first block sets.
  while ((await api.rpc.chain.getHeader()).number.toNumber() < 1) await new Promise((r) => setTimeout(r, 500));

  const end = Date.now() - 1_000;
  const bytes = frameBytes({ meter: 0, sequence: 1, start: end - 60_000, end, volts: 230, amps: 5 });
  const signature = sign(bytes, '//Meter1');

  // The runtime's dry run agrees: 230 V × 5 A for a minute is 19,167 mWh.
  const check = await api.call.readingsApi.checkFrame(u8aToHex(bytes), { Sr25519: u8aToHex(signature) });
  assert.ok(check.isOk, `dry run refused: ${check}`);
  assert.equal(check.asOk.toString(), '19167');

  const included = nextBlockWith((b) => b.block.extrinsics.some((x) => x.method.section === 'readings'));
  await submitRaw(generalTransaction(bytes, signature));
  const { hash, block } = await included;

  // The block decodes as Polkadot.js apps' explorer would show it.
  const xt = block.block.extrinsics.find((x) => x.method.section === 'readings');
  assert.equal(xt.method.method, 'submitFrame');
  assert.equal(xt.isSigned, false);
  assert.equal(u8aToHex(xt.method.args[0].frame), u8aToHex(bytes));

  // Its events decode: the measurement, and a successful extrinsic.
  const events = await (await api.at(hash)).query.system.events();
  const measured = events.find(({ event }) => api.events.readings.Measured.is(event));
  assert.ok(measured, 'a Measured event');
  const { meter, index, measurement, register } = measured.event.data;
  assert.equal(meter.toNumber(), 0);
  assert.equal(index.toNumber(), 0);
  assert.equal(measurement.quantity.toString(), '19167');
  assert.equal(register.toString(), '19167');
  assert.ok(events.some(({ event }) => api.events.system.ExtrinsicSuccess.is(event)));

  // Runtime APIs: the reading state, the measurement and the program that computed it.
  const reading = await api.call.readingsApi.reading(0);
  assert.equal(reading.register.toString(), '19167');
  assert.equal(reading.lastSequence.unwrap().toNumber(), 1);
  const page = await api.call.readingsApi.measurements(0, 0, 100);
  assert.equal(page.length, 1);
  const identified = (await api.call.lrProgramsApi.programOfMeasurement(0, 0)).unwrap();
  assert.equal(identified[0].toHex(), measurement.program.toHex());
  assert.equal(identified[1].version.toUtf8(), 'electricity-active-energy 1.0.0');
  assert.equal(identified[1].status.toString(), 'Approved');

  // The same transaction again: the pool knows its hash and refuses it unvalidated.
  await assert.rejects(submitRaw(generalTransaction(bytes, signature)), /Already Imported/);
  // The same frame signed again (sr25519 signatures differ each time) is validated and
  // is a replay: code 5 (`Replayed`).
  await assert.rejects(submitRaw(generalTransaction(bytes, sign(bytes, '//Meter1'))), /Custom error: 5/);
  // A frame signed by another meter's key: code 4 (`BadSignature`).
  const next = frameBytes({ meter: 0, sequence: 2, start: end, end: end + 1_000, volts: 230, amps: 5 });
  await assert.rejects(
    submitRaw(generalTransaction(next, sign(next, '//Meter2'))),
    /Custom error: 4/,
  );
});
