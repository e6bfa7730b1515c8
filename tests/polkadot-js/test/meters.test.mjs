// The `development` preset's metering world, seen through Polkadot.js: the seeded
// meters in `Meters` storage, their audit trails through the `MetersApi` runtime API,
// and a status change by the notified body that lands in the trail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useDevNode } from '../lib/node.mjs';

let api;
let keyring;
useDevNode({}, (f) => ({ api, keyring } = f));

test('three active meters of an approved electricity model are seeded', async () => {
  const bob = keyring.addFromUri('//Bob').address;
  const charlie = keyring.addFromUri('//Charlie').address;
  assert.equal((await api.query.meters.notifiedBodies(bob)).unwrap().toUtf8(), 'Mensura Dev Notified Body');
  assert.equal((await api.query.meters.manufacturers(charlie)).unwrap().toUtf8(), 'Mensura Dev Meter Works');

  const model = (await api.query.meters.models(0)).unwrap();
  assert.equal(model.status.toString(), 'Approved');
  assert.equal(model.spec.kind.toString(), 'Electricity');
  assert.equal(model.spec.unit.toString(), 'WattHour');

  for (let id = 0; id < 3; id++) {
    const meter = (await api.query.meters.meters(id)).unwrap();
    assert.equal(meter.status.toString(), 'Active');
    assert.equal(meter.manufacturer.toString(), charlie);
    assert.equal(meter.supplyPoint.unwrap().toUtf8(), `SP-DEV-000${id + 1}`);
    // The device key is the sr25519 key of the documented dev seed //Meter<n>.
    const device = keyring.addFromUri(`//Meter${id + 1}`);
    assert.equal(meter.deviceKey.asSr25519.toHex(), `0x${Buffer.from(device.publicKey).toString('hex')}`);
  }
  assert.ok((await api.query.meters.meters(3)).isNone);
});

test('the audit trail is readable page by page through api.call.metersApi', async () => {
  const subject = { Meter: 0 };
  assert.equal((await api.call.metersApi.auditLength(subject)).toNumber(), 4);
  const page = await api.call.metersApi.auditTrail(subject, 0, 10);
  assert.deepEqual(page.map(([index]) => index.toNumber()), [0, 1, 2, 3]);
  assert.ok(page[0][1].change.isMeterProvisioned);
  assert.ok(page[1][1].change.isMeterVerified);
  // The genesis binding to the dev LR program is a legally relevant change too, and so
  // is the genesis supply contract (Ferdie's, contract 0).
  assert.ok(page[2][1].change.isLrProgramBound);
  assert.ok(page[3][1].change.isSupplyContractStarted);
  assert.equal(page[3][1].change.asSupplyContractStarted.contract.toNumber(), 0);
  const second = await api.call.metersApi.auditTrail(subject, 1, 10);
  assert.equal(second.length, 3);
  const third = await api.call.metersApi.auditTrail(subject, 3, 10);
  assert.deepEqual(third.map(([index]) => index.toNumber()), [3]);
});

test('a notified body suspends a meter, and the trail records it', { timeout: 120_000 }, async () => {
  const bob = keyring.addFromUri('//Bob');
  await new Promise((resolve, reject) => {
    api.tx.meters.suspendMeter(1, 'SuspectedTampering')
      .signAndSend(bob, ({ status, dispatchError }) => {
        if (dispatchError) reject(new Error(dispatchError.toString()));
        if (status.isInBlock) resolve();
      })
      .catch(reject);
  });
  assert.equal((await api.query.meters.meters(1)).unwrap().status.toString(), 'Suspended');
  const trail = await api.call.metersApi.auditTrail({ Meter: 1 }, 0, 10);
  const last = trail[trail.length - 1][1];
  assert.ok(last.change.isStatusChanged);
  assert.equal(last.change.asStatusChanged.to.toString(), 'Suspended');
  assert.equal(last.actor.asAccount.toString(), bob.address);
});

test('a wrong role gets a named error and changes nothing', { timeout: 120_000 }, async () => {
  const charlie = keyring.addFromUri('//Charlie'); // a manufacturer, not a notified body
  const error = await new Promise((resolve, reject) => {
    api.tx.meters.revokeMeter(0, 'Decommissioned')
      .signAndSend(charlie, ({ status, dispatchError }) => {
        if (status.isInBlock) resolve(dispatchError);
      })
      .catch(reject);
  });
  assert.ok(error?.isBadOrigin, `expected BadOrigin, got ${error}`);
  assert.equal((await api.query.meters.meters(0)).unwrap().status.toString(), 'Active');
});
