// A meter's signed frame, submitted as a gateway would (a general, authorised
// transaction, extrinsic format v5), seen through Polkadot.js: the block that carries it
// decodes, its events decode, and the measurement is visible through api.call.readingsApi
// and api.call.lrProgramsApi. A forged frame is refused by the pool with its code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { u8aToHex } from '@polkadot/util';
import { useDevNode } from '../lib/node.mjs';
import { compactFrameBytes, frameBytes, generalTransaction, signFrame, submitGeneral } from '../lib/mensura.mjs';

let api;
let provider;
let keyring;
useDevNode({}, (f) => ({ api, provider, keyring } = f));

const volts230amps5 = (samples = 60) => [Array(samples).fill(230_000), Array(samples).fill(5_000)];
const frame = (fields) => frameBytes({ channels: volts230amps5(), ...fields });
const sign = (bytes, seed) => signFrame(api, keyring.addFromUri(seed), bytes);
const transaction = (signed) => generalTransaction(api.tx.readings.submitFrame(signed));
const submitRaw = (bytes) => submitGeneral(api, bytes);

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
  const bytes = frame({ meter: 0, sequence: 1, start: end - 60_000, end });
  const signed = sign(bytes, "//Meter1");

  // The runtime's dry run agrees: 230 V × 5 A for a minute is 19,167 mWh.
  const check = await api.call.readingsApi.checkFrame(signed.frame, signed.signature);
  assert.ok(check.isOk, `dry run refused: ${check}`);
  assert.equal(check.asOk.toString(), '19167');

  const included = nextBlockWith((b) => b.block.extrinsics.some((x) => x.method.section === 'readings'));
  await submitRaw(transaction(signed));
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

  // Runtime APIs: the reading state, and the program the event names (state keeps the
  // meter's record, not its measurements).
  const reading = await api.call.readingsApi.reading(0);
  assert.equal(reading.register.toString(), '19167');
  assert.equal(reading.lastSequence.unwrap().toNumber(), 1);
  assert.equal(reading.measurements.toNumber(), 1);
  assert.equal(typeof api.call.readingsApi.measurements, 'undefined');
  const identified = (await api.call.lrProgramsApi.program(measurement.program)).unwrap();
  assert.equal(identified.version.toUtf8(), 'electricity-active-energy 1.0.0');
  assert.equal(identified.status.toString(), 'Approved');

  // The same transaction again: the pool knows its hash and refuses it unvalidated.
  await assert.rejects(submitRaw(transaction(signed)), /Already Imported/);
  // The same frame signed again (sr25519 signatures differ each time) is validated and
  // is a replay: code 5 (`Replayed`).
  await assert.rejects(submitRaw(transaction(sign(bytes, '//Meter1'))), /Custom error: 5/);
  // A frame signed by another meter's key: code 4 (`BadSignature`).
  const next = frame({ meter: 0, sequence: 2, start: end, end: end + 1_000 });
  await assert.rejects(
    submitRaw(transaction(sign(next, '//Meter2'))),
    /Custom error: 4/,
  );
});

test('a version-2 (compact) frame measures what its version-1 twin does, in fewer bytes', { timeout: 120_000 }, async () => {
  while ((await api.rpc.chain.getHeader()).number.toNumber() < 1) await new Promise((r) => setTimeout(r, 500));
  const end = Date.now() - 1_000;
  // Meter 2 (//Meter3): the test above uses meter 0.
  const fields = { meter: 2, sequence: 1, start: end - 60_000, end, channels: volts230amps5() };
  const compact = compactFrameBytes(fields);
  const fixed = frameBytes(fields);
  assert.equal(fixed.length, 516);
  assert.ok(compact.length < fixed.length / 3, `a compact frame of 120 constant samples is ${compact.length} bytes`);
  const signedCompact = sign(compact, '//Meter3');
  const signedFixed = sign(fixed, '//Meter3');
  const [checkCompact, checkFixed] = await Promise.all([
    api.call.readingsApi.checkFrame(signedCompact.frame, signedCompact.signature),
    api.call.readingsApi.checkFrame(signedFixed.frame, signedFixed.signature),
  ]);
  assert.ok(checkCompact.isOk, `dry run refused the compact frame: ${checkCompact}`);
  assert.equal(checkCompact.asOk.toString(), checkFixed.asOk.toString());

  const included = nextBlockWith((b) => b.block.extrinsics.some(
    (x) => x.method.section === 'readings' && u8aToHex(x.method.args[0].frame) === u8aToHex(compact)));
  await submitRaw(transaction(signedCompact));
  const { hash } = await included;
  const events = await (await api.at(hash)).query.system.events();
  const measured = events.find(({ event }) => api.events.readings.Measured.is(event));
  assert.ok(measured, 'a Measured event');
  assert.equal(measured.event.data.meter.toNumber(), 2);
  assert.equal(measured.event.data.measurement.quantity.toString(), checkFixed.asOk.toString());
});
