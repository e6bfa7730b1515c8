// Public surveillance end to end through Polkadot.js: a consumer registers a check meter
// (a second verified meter at the same supply point) as counter-proof of meter 0; a
// window where both agree is compared and left alone; a window where meter 0 reads 3 %
// high raises a discrepancy, an audit-trail entry and puts it under inspection; the
// notified body suspends it; the pair is removed and the deposit returns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { u8aToHex } from '@polkadot/util';
import { useDevNode } from '../lib/node.mjs';
import { frameBytes, generalTransaction, sendSigned, signFrame, submitGeneralAndWatch } from '../lib/mensura.mjs';

let api;
let provider;
let keyring;
useDevNode({ waitForBlock: 1 }, (f) => ({ api, provider, keyring } = f));

const UNIT = 10n ** 12n;
const WINDOW = 60_000;

const send = (tx, signer) => sendSigned(api, tx, signer);
const checkKey = () => keyring.addFromUri('//SurveillanceCheck', undefined, 'ed25519');

async function chainTime() {
  return (await api.query.timestamp.now()).toNumber();
}

test('a check meter catches a meter reading 3 % high; the notified body suspends it', { timeout: 360_000 }, async () => {
  const bob = keyring.addFromUri('//Bob'); // notified body
  const charlie = keyring.addFromUri('//Charlie'); // manufacturer of model 0
  const ferdie = keyring.addFromUri('//Ferdie'); // consumer at SP-DEV-0001

  // The check meter: model 0, verified by Bob at meter 0's supply point, bound to Dave's program.
  let events = await send(api.tx.meters.provisionMeter(0, { Ed25519: u8aToHex(checkKey().publicKey) }, 'DEV-CHECK-1'), charlie);
  const check = events.find((e) => api.events.meters.MeterProvisioned.is(e)).data.meter.toNumber();
  await send(api.tx.meters.verifyMeter(check, 'SP-DEV-0001'), bob);
  const program = (await api.call.lrProgramsApi.programOfMeter(0)).unwrap()[0];
  await send(api.tx.lrPrograms.bindMeter(check, program), bob);

  // Meter 1 is at another supply point; windows outside [1 min, 1 day] are refused.
  await assert.rejects(send(api.tx.surveillance.registerCheckMeter(0, 1, WINDOW), ferdie), /surveillance\.DifferentSupplyPoint/);
  await assert.rejects(send(api.tx.surveillance.registerCheckMeter(0, check, 1_000), ferdie), /surveillance\.WindowOutOfRange/);

  const deposits = async () => (await api.query.balances.holds(ferdie.address))
    .filter((h) => h.id.isSurveillance).map((h) => h.amount.toBigInt());
  events = await send(api.tx.surveillance.registerCheckMeter(0, check, WINDOW), ferdie);
  const registered = events.find((e) => api.events.surveillance.CheckMeterRegistered.is(e));
  assert.ok(registered, 'CheckMeterRegistered');
  assert.equal(registered.data.deposit.toBigInt(), 10n * UNIT);
  const since = registered.data.since.toNumber();
  assert.equal(since % WINDOW, 0);
  assert.deepEqual(await deposits(), [10n * UNIT]);
  const role = (await api.query.surveillance.surveilled(check)).unwrap();
  assert.equal(role.asChecking.checked.toNumber(), 0);

  // Two windows of one frame per meter each. Frames may not end past the chain's time
  // plus its clock drift allowance, so wait for the chain to reach the second window's end.
  while ((await chainTime()) < since + 2 * WINDOW - 5_000) {
    await new Promise((r) => setTimeout(r, 3_000));
  }
  const samples = 60;
  const frame = (meter, sequence, window, amps) => frameBytes({
    meter, sequence, start: since + window * WINDOW, end: since + (window + 1) * WINDOW,
    channels: [Array(samples).fill(230_000), Array(samples).fill(amps)],
  });
  const batch = [
    signFrame(api, checkKey(), frame(check, 1, 0, 5_000)),
    signFrame(api, keyring.addFromUri('//Meter1'), frame(0, 1, 0, 5_000)),
    signFrame(api, checkKey(), frame(check, 2, 1, 5_000)),
    // Meter 0 reads 3 % high in the second window.
    signFrame(api, keyring.addFromUri('//Meter1'), frame(0, 2, 1, 5_150)),
  ];
  const block = await submitGeneralAndWatch(provider, generalTransaction(api.tx.readings.submitFrames(batch)));
  const blockEvents = (await (await api.at(block)).query.system.events()).map(({ event }) => event);

  const compared = blockEvents.filter((e) => api.events.surveillance.WindowCompared.is(e));
  assert.equal(compared.length, 1);
  assert.equal(compared[0].data.start.toNumber(), since);
  assert.equal(compared[0].data.measured.toBigInt(), compared[0].data.counter.toBigInt());
  const found = blockEvents.filter((e) => api.events.surveillance.DiscrepancyFound.is(e));
  assert.equal(found.length, 1);
  const { measured, counter, allowed } = found[0].data;
  assert.equal(found[0].data.start.toNumber(), since + WINDOW);
  assert.ok(Math.abs(Number(measured.toBigInt()) / Number(counter.toBigInt()) - 1.03) < 0.0005, '3 % high');
  // Two 1 % meters and two 1 mWh steps each allow 2 % of the check meter's quantity + 4.
  assert.equal(allowed.toBigInt(), (counter.toBigInt() * 2n + 99n) / 100n + 4n);
  assert.ok(blockEvents.some((e) => api.events.surveillance.UnderInspection.is(e) && e.data.meter.toNumber() === 0));

  const inspection = (await api.query.surveillance.inspections(0)).unwrap();
  assert.equal(inspection.check.toNumber(), check);
  assert.equal(inspection.discrepancies.toNumber(), 1);
  const trail = await api.call.metersApi.auditTrail({ Meter: 0 }, 0, 100);
  const changes = trail.map(([, entry]) => entry.change);
  assert.ok(changes.some((c) => c.isCheckMeterRegistered && c.asCheckMeterRegistered.check.toNumber() === check));
  const entry = changes.find((c) => c.isDiscrepancyFound);
  assert.ok(entry, 'DiscrepancyFound on the meter\'s audit trail');
  assert.equal(entry.asDiscrepancyFound.measured.toBigInt(), measured.toBigInt());

  // Only a notified body resolves it: Bob suspends the meter.
  await assert.rejects(send(api.tx.surveillance.clearInspection(0), ferdie), /badorigin/i);
  events = await send(api.tx.surveillance.suspendMeter(0, 'SuspectedTampering'), bob);
  assert.ok(events.some((e) => api.events.surveillance.SuspendedAfterInspection.is(e)));
  assert.equal((await api.call.metersApi.meter(0)).unwrap().status.toString(), 'Suspended');
  assert.ok((await api.query.surveillance.inspections(0)).isNone);

  // Ferdie ends the pair and gets the deposit back.
  events = await send(api.tx.surveillance.removeCheckMeter(0), ferdie);
  assert.ok(events.some((e) => api.events.surveillance.CheckMeterRemoved.is(e)));
  assert.ok((await api.query.surveillance.surveilled(0)).isNone);
  assert.deepEqual(await deposits(), []);
});
