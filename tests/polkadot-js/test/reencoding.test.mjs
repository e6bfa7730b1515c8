// The minimal reproduction of docs/polkadot-js.md: @polkadot/api 16.5.6 decodes a v5
// general transaction right, but encodes it for submission with one more version byte and
// length prefix around the original bytes (GenericExtrinsic.toU8aInner puts the version
// byte before `inner.toU8a()`, which for a v5 general extrinsic already is the whole
// length-prefixed transaction), so the node cannot decode what arrives. Sending the bytes
// unchanged (the work-around in lib/mensura.mjs) is accepted.
//
// The runtime refuses the undecodable bytes the way every FRAME runtime does: its
// `validate_transaction` entry point panics in the WASM instance while decoding its input
// ("Nothing bad happened: someone sent an invalid transaction to the node"), which the
// node logs. That one panic is expected here, and required; any other fails the file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compactToU8a, u8aConcat, u8aToHex } from '@polkadot/util';
import { blake2AsHex } from '@polkadot/util-crypto';
import { useDevNode } from '../lib/node.mjs';
import { frameBytes, generalTransaction, signFrame, submitGeneral } from '../lib/mensura.mjs';

let api;
let keyring;
useDevNode(
  { waitForBlock: 1, expectedPanics: [/^Bad input data provided to validate_transaction: Codec error\./] },
  (f) => ({ api, keyring } = f),
);

test('Polkadot.js re-encodes a v5 general transaction on submission; the bytes sent unchanged are accepted', { timeout: 60_000 }, async () => {
  const end = (await api.query.timestamp.now()).toNumber();
  const frame = frameBytes({ meter: 1, sequence: 1, start: end - 60_000, end, channels: [Array(60).fill(230_000), Array(60).fill(5_000)] });
  const bytes = generalTransaction(api.tx.readings.submitFrame(signFrame(api, keyring.addFromUri('//Meter2'), frame)));
  assert.equal(bytes[2], 0x45, 'a v5 general transaction (two bytes of length)');

  const xt = api.createType('Extrinsic', bytes);
  // Decoded right: a general (unsigned) readings.submitFrame for meter 1, …
  assert.equal(xt.version, 0x45);
  assert.equal(xt.isSigned, false);
  assert.equal(`${xt.method.section}.${xt.method.method}`, 'readings.submitFrame');
  assert.equal(u8aToHex(xt.method.args[0].frame), u8aToHex(frame));
  // … but encoded as compact(n + 1) ‖ 0x45 ‖ the original bytes, length prefix included,
  assert.equal(u8aToHex(xt.toU8a()), u8aToHex(u8aConcat(compactToU8a(bytes.length + 1), [0x45], bytes)));
  // and hashed as that encoding: not the hash the node will give the transaction.
  assert.equal(xt.hash.toHex(), blake2AsHex(xt.toU8a()));
  assert.notEqual(xt.hash.toHex(), blake2AsHex(bytes));

  // What submitExtrinsic sends is that encoding, which the runtime cannot decode: the
  // pool answers 1002 (the runtime failed while validating), not a frame rejection.
  await assert.rejects(api.rpc.author.submitExtrinsic(xt), (error) => {
    assert.match(error.message, /^1002: Verification Error: Runtime error: Execution failed: Execution aborted due to trap/);
    return true;
  });
  // The same bytes, unchanged: accepted, under the hash of the original bytes.
  assert.equal(await submitGeneral(api, bytes), blake2AsHex(bytes));
});
