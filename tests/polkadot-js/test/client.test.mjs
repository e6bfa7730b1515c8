// Polkadot.js as the reference client of a whole Mensura run: metadata with docs, the
// registry flow through signed extrinsics from dev accounts, device-signed frames alone
// and in gateway batches, every block and event of the run decoded as the explorer of
// Polkadot.js apps would, and the runtime APIs and `mensura_*` RPC methods agreeing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { u8aToHex } from '@polkadot/util';
import { useDevNode } from '../lib/node.mjs';
import { frameBytes, generalTransaction, measuredEvents, rpc, sendSigned, signFrame, submitGeneral, submitGeneralAndWatch } from '../lib/mensura.mjs';

// Frames are judged against the chain's time, which the first block sets.
let node;
let api;
let provider;
let keyring;
useDevNode({ rpc, waitForBlock: 1 }, (f) => ({ node, api, provider, keyring } = f));

const MENSURA_PALLETS = ['meters', 'lrPrograms', 'readings', 'rewards', 'billing', 'surveillance'];

test('metadata decodes, with docs for every Mensura call, event, error and storage item', () => {
  for (const pallet of MENSURA_PALLETS) {
    const calls = Object.entries(api.tx[pallet]);
    const events = Object.entries(api.events[pallet]);
    const errors = Object.entries(api.errors[pallet]);
    const storage = Object.entries(api.query[pallet]);
    assert.ok(calls.length > 0 && events.length > 0 && errors.length > 0 && storage.length > 0, pallet);
    for (const [name, call] of calls) assert.ok(call.meta.docs.length > 0, `${pallet}.${name} (call) has docs`);
    for (const [name, event] of events) assert.ok(event.meta.docs.length > 0, `${pallet}.${name} (event) has docs`);
    for (const [name, error] of errors) assert.ok(error.meta.docs.length > 0, `${pallet}.${name} (error) has docs`);
    for (const [name, item] of storage) assert.ok(item.creator.meta.docs.length > 0, `${pallet}.${name} (storage) has docs`);
  }
  // The runtime APIs are in the metadata (api.call in Polkadot.js apps).
  for (const [apiName, methods] of Object.entries({
    metersApi: ['meter', 'meters', 'model', 'meterByDeviceKey', 'auditLength', 'auditTrail'],
    readingsApi: ['reading', 'checkFrame', 'signingMessage'],
    lrProgramsApi: ['program', 'programOfMeter'],
    billingApi: ['billingPeriod', 'tariff', 'contract', 'openPeriod', 'contractOfMeter', 'contractsOf', 'invoice',
      'invoicesOfConsumer', 'invoicesOfContract', 'outstanding', 'prepaidBalance'],
    rewardsApi: ['measuringFee', 'rewardsOf', 'depositOf', 'totals'],
  })) {
    for (const method of methods) assert.equal(typeof api.call[apiName][method], 'function', `${apiName}.${method}`);
  }
});

test('the chain properties are the runtime\'s', async () => {
  const properties = await api.rpc.system.properties();
  assert.equal(properties.tokenSymbol.unwrap()[0].toString(), 'MSR');
  assert.equal(properties.tokenDecimals.unwrap()[0].toNumber(), 12);
  assert.equal(properties.ss58Format.unwrap().toNumber(), api.consts.system.ss58Prefix.toNumber());
  assert.equal(api.runtimeVersion.specName.toString(), 'mensura');
});

const send = (tx, signer) => sendSigned(api, tx, signer);

const household = (samples, amps) => [
  Array.from({ length: samples }, (_, i) => 230_000 + ((i * 37) % 11) * 100),
  Array.from({ length: samples }, (_, i) => amps * 1000 + ((i * 53) % 7) * 10),
];

let deviceMeter; // the meter registered in the registry-flow test
const device = () => keyring.addFromUri('//ClientTestMeter', undefined, 'ed25519');

test('the registry flow through signed extrinsics: manufacturer, model, meter, verification, program', { timeout: 240_000 }, async () => {
  const bob = keyring.addFromUri('//Bob'); // notified body
  const eve = keyring.addFromUri('//Eve'); // becomes a manufacturer

  let events = await send(api.tx.meters.admitManufacturer(eve.address, 'Eve Instruments'), bob);
  assert.ok(events.some((e) => api.events.meters.ManufacturerAdmitted.is(e)));

  const spec = {
    kind: 'Electricity', unit: 'WattHour', resolutionMilli: 1, maxPermissibleError: 10_000,
    minIntervalMs: 1_000, maxIntervalMs: 3_600_000,
  };
  events = await send(api.tx.meters.submitModel('EI-E1 electricity meter', spec), eve);
  const submitted = events.find((e) => api.events.meters.ModelSubmitted.is(e));
  assert.ok(submitted, 'ModelSubmitted');
  const model = submitted.data.model.toNumber();

  events = await send(api.tx.meters.approveModel(model), bob);
  assert.ok(events.some((e) => api.events.meters.ModelApproved.is(e)));

  events = await send(api.tx.meters.provisionMeter(model, { Ed25519: u8aToHex(device().publicKey) }, 'EI-0001'), eve);
  const provisioned = events.find((e) => api.events.meters.MeterProvisioned.is(e));
  assert.ok(provisioned, 'MeterProvisioned');
  deviceMeter = provisioned.data.meter.toNumber();

  events = await send(api.tx.meters.verifyMeter(deviceMeter, 'SP-CLIENT-1'), bob);
  assert.ok(events.some((e) => api.events.meters.MeterVerified.is(e)));
  const program = (await api.call.lrProgramsApi.programOfMeter(0)).unwrap()[0];
  events = await send(api.tx.lrPrograms.bindMeter(deviceMeter, program), bob);
  assert.ok(events.some((e) => api.events.lrPrograms.MeterBound.is(e)));

  const meter = (await api.call.metersApi.meter(deviceMeter)).unwrap();
  assert.equal(meter.status.toString(), 'Active');
  assert.equal(meter.manufacturer.toString(), eve.address);
  assert.equal(meter.serial.toUtf8(), 'EI-0001');
  assert.equal(meter.lrProgram.unwrap().toHex(), program.toHex());
  assert.equal((await api.call.metersApi.meterByDeviceKey({ Ed25519: u8aToHex(device().publicKey) })).unwrap().toNumber(), deviceMeter);
  const trail = await api.call.metersApi.auditTrail({ Meter: deviceMeter }, 0, 10);
  assert.deepEqual(trail.map(([, entry]) => entry.change.type), ['MeterProvisioned', 'MeterVerified', 'LrProgramBound']);
  assert.ok(trail.every(([, entry]) => entry.block.toNumber() > 0));
  // Through the mensura_* RPC as well, with the model's unit.
  const info = (await api.rpc.mensura.meter(deviceMeter)).toJSON();
  assert.equal(info.status, 'Active');
  assert.equal(info.keyScheme, 'ed25519');
  assert.equal(info.unit, 'Wh');
  assert.equal(info.supplyPoint, 'SP-CLIENT-1');
});

test('frames alone and in batches: every block and event of the run decodes', { timeout: 240_000 }, async () => {
  assert.ok(deviceMeter !== undefined, 'the registry-flow test ran first');
  const genesis = await api.rpc.chain.getBlockHash(0);
  const first = (await api.rpc.chain.getHeader()).number.toNumber();
  const now = Date.now() - 2_000;
  // No frame may measure time before its meter's verification.
  const since = (await api.query.readings.readings(deviceMeter)).measuringSince.toNumber();
  assert.ok(since > 0, 'the new meter measures from its verification on');
  const base = Math.max(now - 60_000, since);
  const frame = (meter, sequence, amps, seconds = 1) => frameBytes({
    meter, sequence, start: base + sequence * 1000, end: base + sequence * 1000 + seconds * 1000,
    channels: household(60, amps),
  });

  // One frame alone from the new ed25519 meter, and one from each seeded sr25519 meter.
  const single = [
    signFrame(api, device(), frame(deviceMeter, 1, 3)),
    signFrame(api, keyring.addFromUri('//Meter1'), frame(0, 1, 5)),
  ];
  const inBlock = [];
  for (const signed of single) {
    inBlock.push(await submitGeneralAndWatch(provider, generalTransaction(api.tx.readings.submitFrame(signed))));
  }
  // A gateway's batch across three meters, the seeded ones and the new one.
  const batch = [
    signFrame(api, keyring.addFromUri('//Meter1'), frame(0, 2, 6)),
    signFrame(api, keyring.addFromUri('//Meter2'), frame(1, 1, 2)),
    signFrame(api, keyring.addFromUri('//Meter3'), frame(2, 1, 9)),
    signFrame(api, device(), frame(deviceMeter, 2, 4)),
  ];
  inBlock.push(await submitGeneralAndWatch(provider, generalTransaction(api.tx.readings.submitFrames(batch))));

  // Every block since genesis decodes; so does every event.
  const last = (await api.rpc.chain.getHeader()).number.toNumber();
  assert.ok(last >= first);
  const seen = { submitFrame: 0, submitFrames: 0, measured: 0 };
  for (let number = 0; number <= last; number++) {
    const hash = await api.rpc.chain.getBlockHash(number);
    const { block } = await api.rpc.chain.getBlock(hash);
    for (const xt of block.extrinsics) {
      const human = xt.toHuman();
      assert.ok(human.method.section && human.method.method, `block ${number}: ${JSON.stringify(human)}`);
      if (xt.method.section === 'readings') {
        seen[xt.method.method] += 1;
        assert.equal(xt.isSigned, false, 'frames travel as general, unsigned transactions');
      }
    }
    const events = await (await api.at(hash)).query.system.events();
    for (const { event } of events) {
      assert.ok(event.toHuman().section, `block ${number}: an event decodes`);
      if (api.events.readings.Measured.is(event)) seen.measured += 1;
      assert.ok(!api.events.system.ExtrinsicFailed.is(event), `block ${number}: ${event.data.toString()}`);
    }
  }
  assert.deepEqual(seen, { submitFrame: 2, submitFrames: 1, measured: 6 });
  for (const hash of inBlock) assert.ok((await api.rpc.chain.getHeader(hash)).number.toNumber() > 0);
  assert.notEqual(genesis.toHex(), inBlock[0].toString());

  // The batch decodes frame by frame, as the explorer shows it.
  const batchBlock = await api.rpc.chain.getBlock(inBlock[2]);
  const xt = batchBlock.block.extrinsics.find((x) => x.method.method === 'submitFrames');
  assert.deepEqual(xt.method.args[0].map((f) => u8aToHex(f.frame)), batch.map((f) => f.frame));
});

test('runtime APIs, mensura_* RPC methods and the blocks\' events agree on registers and measurements', { timeout: 120_000 }, async () => {
  const meters = await api.call.metersApi.meters(0, 100);
  assert.deepEqual(meters.map(([id]) => id.toNumber()), [0, 1, 2, deviceMeter]);
  const page = (await api.rpc.mensura.meters(null, null)).toJSON();
  assert.deepEqual(page.meters.map((m) => m.id), [0, 1, 2, deviceMeter]);
  assert.equal(page.next, null);

  for (const [id] of meters) {
    const reading = await api.call.readingsApi.reading(id);
    // State keeps the meter's record; its measurements are the blocks' Measured events.
    const measured = await measuredEvents(api, id.toNumber());
    assert.deepEqual(measured.map((m) => m.index), [...Array(reading.measurements.toNumber()).keys()]);
    const sum = measured.reduce((total, { measurement }) => total + measurement.quantity.toBigInt(), 0n);
    assert.equal(reading.register.toBigInt(), sum, `meter ${id}: register = sum of measurements`);
    assert.ok(sum > 0n);
    assert.equal(measured.at(-1).register, sum);

    const viaRpc = (await api.rpc.mensura.meter(id)).toJSON();
    assert.equal(viaRpc.register, sum.toString());
    assert.equal(viaRpc.measurements, measured.length);
  }

  // Measurements are not served from state: the methods of runtime 109 and older are gone.
  assert.equal(typeof api.call.readingsApi.consumption, 'undefined');
  await assert.rejects(provider.send('mensura_measurements', [0, null, 10]), /Method not found/);
  // Bad ranges: JSON-RPC -32602 with the limit named.
  await assert.rejects(api.rpc.mensura.meters(0, 5000), /-32602: limit 5000 exceeds the maximum of 1000/);
  // An unknown meter is JSON null on the wire (the 'Json' codec shows it as empty).
  assert.equal(await provider.send('mensura_meter', [999]), null);
  assert.ok((await api.rpc.mensura.meter(999)).isEmpty);
  assert.equal((await provider.send('mensura_meter', [0])).id, 0);
});

test('the quickstart example of docs/polkadot-js.md runs against the node and does what it says', { timeout: 120_000 }, async () => {
  const readingBefore = await api.call.readingsApi.reading(0);
  const { execFile } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const script = fileURLToPath(new URL('../examples/quickstart.mjs', import.meta.url));
  const stdout = await new Promise((resolve, reject) => {
    execFile(process.execPath, [script, node.url], { timeout: 90_000 }, (error, out, err) => {
      if (error) reject(new Error(`${error.message}\n${out}\n${err}`)); else resolve(out);
    });
  });
  assert.match(stdout, /^connected to Mensura Development/);
  assert.match(stdout, /meter 0: DEV-0001 at SP-DEV-0001, Active/);
  assert.match(stdout, new RegExp(`meter ${deviceMeter}: EI-0001 at SP-CLIENT-1, Active`));
  const checked = BigInt(stdout.match(/it would measure (\d+) mWh/)[1]);
  const measured = stdout.match(/measurement (\d+) = (\d+) mWh, register now (\d+) mWh/);
  assert.ok(measured, stdout);
  // What the pre-check promised is what was measured, the RPC agrees, and so does the state.
  assert.equal(BigInt(measured[2]), checked);
  assert.equal(Number(measured[1]), readingBefore.measurements.toNumber());
  const readingAfter = await api.call.readingsApi.reading(0);
  assert.match(stdout, new RegExp(`mensura_meter: register ${readingAfter.register.toBigInt()} mWh from ${readingAfter.measurements.toNumber()} measurements`));
  assert.equal(readingAfter.register.toBigInt(), readingBefore.register.toBigInt() + checked);
  assert.equal(BigInt(measured[3]), readingAfter.register.toBigInt());
});
