// Mensura through polkadot-api, as a new user of it would work: the papi CLI generates the
// typed descriptors from the running dev node, the typed API reads meters from storage and
// runtime APIs, the quickstart example submits a frame and follows it to finality, the
// pool's refusal of a forged frame arrives as a typed error, and a transaction signed the
// way offline signers sign it (CheckMetadataHash mode 1) is accepted — and refused if it
// was signed over another metadata.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Binary, CompatibilityLevel, InvalidTxError } from 'polkadot-api';
import { withMetadataHash } from 'polkadot-api/signer';
import { startDevNode, stopCleanly } from '../../common/node.mjs';
import { generateDescriptors, loadDescriptors } from '../lib/descriptors.mjs';
import { connect, devAccount, frameBytes, generalTransaction, householdLoad, signFrame } from '../lib/mensura.mjs';

let node;
let client;
let api;
let cliOutput;

before(async () => {
  node = await startDevNode();
  cliOutput = await generateDescriptors(node.url);
  const { mensura } = await loadDescriptors();
  client = connect(node.url);
  api = client.getTypedApi(mensura);
  // Frames are judged against the chain's time, which the first block sets.
  while ((await client.getFinalizedBlock()).number < 1) await new Promise((r) => setTimeout(r, 500));
});

after(async () => {
  client?.destroy();
  if (node) assert.deepEqual(await stopCleanly(node), []);
});

test('the papi CLI generates typed descriptors from the running chain', async () => {
  assert.match(cliOutput, /Saved new spec "mensura"/);
  // The descriptors describe this runtime exactly: every entry point is compatible.
  const { compat } = await api.getStaticApis();
  assert.ok(compat.query.Readings.Readings.isCompatible(CompatibilityLevel.Identical));
  assert.ok(compat.tx.Readings.submit_frames.isCompatible(CompatibilityLevel.Identical));
  assert.ok(compat.apis.ReadingsApi.check_frame.isCompatible(CompatibilityLevel.Identical));
  assert.ok(compat.event.Readings.Measured.isCompatible(CompatibilityLevel.Identical));
  // Run again against the same chain, the CLI finds nothing to do.
  assert.match(await generateDescriptors(node.url), /no changes needed/);
});

test('the typed API reads the development meters from storage and runtime APIs', async () => {
  const meters = (await api.query.Meters.Meters.getEntries()).sort((a, b) => Number(a.keyArgs[0] - b.keyArgs[0]));
  assert.deepEqual(meters.map(({ keyArgs: [id] }) => id), [0n, 1n, 2n]);
  assert.deepEqual(meters.map(({ value }) => Binary.toText(value.serial)), ['DEV-0001', 'DEV-0002', 'DEV-0003']);
  assert.deepEqual(meters.map(({ value }) => value.status.type), ['Active', 'Active', 'Active']);
  // The device key of meter 0 is //Meter1's public key.
  const key = meters[0].value.device_key;
  assert.equal(key.type, 'Sr25519');
  assert.equal(Binary.toHex(devAccount('//Meter1').publicKey), key.value);
  // The runtime API answers what storage holds.
  const stored = await api.query.Readings.Readings.getValue(1n);
  assert.deepEqual(await api.apis.ReadingsApi.reading(1n), stored);
});

test('the quickstart example submits a frame and follows its measurement to finality', { timeout: 180_000 }, async () => {
  const script = fileURLToPath(new URL('../examples/quickstart.mjs', import.meta.url));
  const { stdout } = await promisify(execFile)(process.execPath, [script, node.url], { timeout: 150_000 });
  assert.match(stdout, /^connected to Mensura Development, finalized block #\d+, genesis 0x[0-9a-f]{64}$/m);
  assert.match(stdout, /^meter 0: DEV-0001 at SP-DEV-0001, Active, register 0 mWh from 0 measurements$/m);
  const checked = stdout.match(/^frame 1 of meter 0 \(516 bytes\) checks: it would measure (\d+) mWh$/m);
  assert.ok(checked, stdout);
  assert.match(stdout, /^in best block #\d+ \(0x[0-9a-f]{64}\), transaction \d+$/m);
  const finalized = stdout.match(/^finalized in block #(\d+): measurement 0 = (\d+) mWh, register now (\d+) mWh$/m);
  assert.ok(finalized, stdout);
  assert.equal(finalized[2], checked[1], 'the measurement is what the dry run said');
  assert.equal(finalized[3], checked[1]);

  // What the example printed is what the chain holds.
  const reading = await api.query.Readings.Readings.getValue(0n);
  assert.equal(reading.register, BigInt(checked[1]));
  assert.equal(reading.last_sequence, 1n);
  assert.equal(reading.measurements, 1n);
  assert.match(stdout, new RegExp(`hash-chain head ${reading.chain_head}$`, 'm'));
});

test('a forged frame is refused by the pool, and PAPI reports the frame rejection code', { timeout: 60_000 }, async () => {
  const { genesisHash } = await client.getChainSpecData();
  const reading = await api.query.Readings.Readings.getValue(1n);
  const end = Number(await api.query.Timestamp.Now.getValue());
  const frame = frameBytes({
    meter: 1, sequence: (reading.last_sequence ?? 0n) + 1n, start: end - 60_000, end, channels: householdLoad(60),
  });
  // Meter 1's frame, signed with meter 2's key: code 4, `BadSignature` (docs/frame-format.md).
  const signed = signFrame(genesisHash, devAccount('//Meter3').pair, frame);
  const check = await api.apis.ReadingsApi.check_frame(signed.frame, signed.signature);
  assert.deepEqual(check, { success: false, value: { type: 'BadSignature', value: undefined } });
  const transaction = generalTransaction(await api.tx.Readings.submit_frame({ frame: signed }).getEncodedData());
  await assert.rejects(client.submit(transaction), (error) => {
    assert.ok(error instanceof InvalidTxError, `not an InvalidTxError: ${error}`);
    assert.deepEqual(error.error, { type: 'Invalid', value: { type: 'Custom', value: 4 } });
    return true;
  });
});

test('a transaction signed over the metadata hash (CheckMetadataHash mode 1), as offline signers sign, is accepted', { timeout: 120_000 }, async () => {
  // What Polkadot Vault and Ledger's generic app show and sign: the chain's metadata,
  // merkleized with its token symbol and decimals (RFC-0078), which the node announces.
  const properties = await node.rpc('system_properties');
  const networkInfo = { tokenSymbol: properties.tokenSymbol, decimals: properties.tokenDecimals };
  assert.deepEqual(networkInfo, { tokenSymbol: 'MSR', decimals: 12 });
  const alice = devAccount('//Alice');

  const remark = api.tx.System.remark_with_event({ remark: Binary.fromText('signed over the metadata hash') });
  const result = await remark.signAndSubmit(withMetadataHash(networkInfo, alice.signer));
  assert.equal(result.ok, true, JSON.stringify(result.dispatchError));
  assert.ok(result.events.some((e) => e.type === 'System' && e.value.type === 'Remarked'));
  // Accepted means the runtime embeds the hash: in mode 1 a runtime built without one
  // refuses every transaction (`CannotLookup`), and one with another hash finds the
  // signature over the wrong payload:
  // the same transaction signed over another metadata hash (another token symbol) is
  // refused: what the signer showed is not this runtime.
  const forged = api.tx.System.remark_with_event({ remark: Binary.fromText('signed over another metadata') });
  await assert.rejects(forged.signAndSubmit(withMetadataHash({ ...networkInfo, tokenSymbol: 'DOT' }, alice.signer)), (error) => {
    assert.ok(error instanceof InvalidTxError, `not an InvalidTxError: ${error}`);
    assert.deepEqual(error.error, { type: 'Invalid', value: { type: 'BadProof', value: undefined } });
    return true;
  });
});
