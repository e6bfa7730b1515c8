// The development chain's billing world, end to end through Polkadot.js: the seeded
// meters feed supply contracts under a time-of-use tariff; a one-minute billing period
// closes; the invoices are recomputed here, independently, from the measurements; the
// consumer pays one, disputes another and a notified body resolves it; the prepaid one
// settled itself; and the measurer's rewards are the fixed fee × measurements exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useDevNode } from '../lib/node.mjs';
import { frameBytes, generalTransaction, measuredEvents, sendSigned, signFrame, submitGeneralAndWatch } from '../lib/mensura.mjs';

let api;
let provider;
let keyring;
useDevNode({ waitForBlock: 1 }, (f) => ({ api, provider, keyring } = f));

const UNIT = 10n ** 12n;
const MILLI = UNIT / 1000n;
const MICRO = UNIT / 1_000_000n;

/** Waits (block by block, up to `seconds`) until `probe` returns something. */
async function eventually(what, seconds, probe) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${seconds} s`);
    await new Promise((r) => setTimeout(r, 2000));
  }
}

/** The first invoice of `contract` that bills measurements. */
async function invoiceWithMeasurements(contract) {
  const page = await api.call.billingApi.invoicesOfContract(contract, 0, 100);
  return page.map(([id, view]) => ({ id: id.toNumber(), view })).find(({ view }) => view.invoice.first.isSome);
}

test('the genesis billing world: a time-of-use tariff and three supply contracts', async () => {
  assert.equal((await api.call.billingApi.billingPeriod()).toNumber(), 60_000);
  const tariff = (await api.call.billingApi.tariff(0)).unwrap();
  assert.equal(tariff.name.toUtf8(), 'Mensura Dev time-of-use');
  assert.equal(tariff.supplier.toString(), keyring.addFromUri('//Eve').address);
  assert.deepEqual(
    tariff.bands.map((b) => [b.fromMinute.toNumber(), b.toMinute.toNumber(), b.price.toBigInt()]),
    [[0, 420, 100n * MICRO], [420, 1140, 250n * MICRO], [1140, 1380, 350n * MICRO], [1380, 1440, 100n * MICRO]],
  );
  const ferdie = keyring.addFromUri('//Ferdie').address;
  for (const [meter, payment] of [[0, 'Postpaid'], [1, 'Prepaid'], [2, 'Postpaid']]) {
    const id = (await api.call.billingApi.contractOfMeter(meter)).unwrap().toNumber();
    const contract = (await api.call.billingApi.contract(id)).unwrap();
    assert.equal(contract.status.toString(), 'Active');
    assert.equal(contract.consumer.toString(), ferdie);
    assert.equal(contract.payment.toString(), payment);
    assert.equal(contract.utcOffset.toNumber(), 60);
    // The open period lives in the meter's reading record, with the contract's copies
    // (read at one block: periods close every minute on the dev chain).
    const at = await api.at(await api.rpc.chain.getFinalizedHead());
    const billing = (await at.call.readingsApi.reading(meter)).billing.unwrap();
    assert.equal(billing.contract.toNumber(), id);
    assert.equal(billing.supplier.toString(), contract.supplier.toString());
    assert.equal(billing.tariff.toNumber(), contract.tariff.toNumber());
    assert.equal(billing.utcOffset.toNumber(), 60);
    assert.equal(billing.period.quantities.length, 4, 'one quantity per band of the tariff');
    const open = (await at.call.billingApi.openPeriod(id)).unwrap();
    assert.deepEqual(open.toJSON(), billing.period.toJSON());
  }
  assert.ok((await api.call.billingApi.openPeriod(99)).isNone, 'no such contract');
  assert.deepEqual((await api.call.billingApi.contractsOf(ferdie)).map((c) => c.toNumber()), [0, 1, 2]);
  const [fee, share] = await api.call.rewardsApi.measuringFee();
  assert.equal(fee.toBigInt(), MILLI);
  assert.equal(share.toNumber(), 100_000_000, '10 % (Perbill)');
  assert.equal((await api.call.billingApi.prepaidBalance(ferdie)).toBigInt(), 1_000n * UNIT);
});

test('a billing period closes into invoices that price exactly its measurements', { timeout: 240_000 }, async () => {
  // A gateway's batch of two frames per meter, for the last half minute.
  const now = Date.now() - 1_000;
  const samples = 60;
  const frames = [];
  for (const meter of [0, 1, 2]) {
    for (const k of [0, 1]) {
      const start = now - 30_000 + k * 15_000;
      const amps = 2_000 + 3_000 * meter + 500 * k;
      frames.push(signFrame(api, keyring.addFromUri(`//Meter${meter + 1}`), frameBytes({
        meter, sequence: k + 1, start, end: start + 15_000,
        channels: [Array(samples).fill(230_000), Array.from({ length: samples }, (_, i) => amps + (i % 5) * 10)],
      })));
    }
  }
  await submitGeneralAndWatch(provider, generalTransaction(api.tx.readings.submitFrames(frames)));

  const tariff = (await api.call.billingApi.tariff(0)).unwrap();
  const bands = tariff.bands.map((b) => ({ from: b.fromMinute.toNumber(), to: b.toMinute.toNumber(), price: b.price.toBigInt() }));
  const period = BigInt((await api.call.billingApi.billingPeriod()).toNumber());
  for (const meter of [0, 1, 2]) {
    const contract = (await api.call.billingApi.contractOfMeter(meter)).unwrap().toNumber();
    const { view } = await eventually(`an invoice of contract ${contract}`, 150, () => invoiceWithMeasurements(contract));
    const invoice = view.invoice;
    const first = invoice.first.unwrap().toNumber();
    const last = invoice.last.unwrap().toNumber();
    const measurements = (await measuredEvents(api, meter)).filter(({ index }) => index >= first && index <= last);
    assert.equal(measurements.length, invoice.measurements.toNumber());
    // The bands by the local time (UTC+1) at which each measurement starts.
    const quantities = bands.map(() => 0n);
    for (const { measurement: m } of measurements) {
      const minute = (Math.floor(m.start.toNumber() / 60_000) % 1440 + 60) % 1440;
      quantities[bands.findIndex((b) => minute >= b.from && minute < b.to)] += m.quantity.toBigInt();
    }
    assert.deepEqual(invoice.quantities.map((q) => q.toBigInt()), quantities);
    const energy = bands.reduce((sum, b, i) => sum + quantities[i] * b.price / 1000n, 0n);
    const covered = BigInt(invoice.to.toNumber() - invoice.from.toNumber());
    const standing = tariff.standingCharge.toBigInt() * covered / period;
    assert.equal(invoice.energy.toBigInt(), energy);
    assert.equal(invoice.standing.toBigInt(), standing);
    assert.equal(invoice.amount.toBigInt(), energy + standing);
    // Consumption is the register difference, and the sum of the measurements.
    const consumption = quantities.reduce((a, b) => a + b, 0n);
    assert.equal(invoice.registerTo.toBigInt() - invoice.registerFrom.toBigInt(), consumption);
    assert.ok(consumption > 0n);
  }
});

test('the consumer pays one invoice, disputes another, and a notified body resolves it', { timeout: 120_000 }, async () => {
  const ferdie = keyring.addFromUri('//Ferdie');
  const bob = keyring.addFromUri('//Bob');
  const paid = await invoiceWithMeasurements(0);
  const disputed = await invoiceWithMeasurements(2);
  const prepaid = await invoiceWithMeasurements(1);
  assert.ok(paid && disputed && prepaid, 'the previous test issued them');

  // Postpaid: Ferdie pays in full; paying again is a named error.
  assert.equal(paid.view.invoice.status.toString(), 'Open');
  const outstandingBefore = (await api.call.billingApi.outstanding(ferdie.address)).toBigInt();
  let events = await sendSigned(api, api.tx.billing.payInvoice(paid.id), ferdie);
  const payment = events.find((e) => api.events.billing.InvoicePaid.is(e));
  assert.equal(payment.data.amount.toBigInt(), paid.view.invoice.amount.toBigInt());
  const afterPayment = (await api.call.billingApi.invoice(paid.id)).unwrap();
  assert.equal(afterPayment.invoice.status.toString(), 'Paid');
  assert.equal(afterPayment.outstanding.toBigInt(), 0n);
  assert.equal(
    (await api.call.billingApi.outstanding(ferdie.address)).toBigInt(),
    outstandingBefore - paid.view.invoice.amount.toBigInt(),
  );
  await assert.rejects(sendSigned(api, api.tx.billing.payInvoice(paid.id), ferdie), /billing\.AlreadyPaid/);

  // Prepaid: settled from the held balance when issued.
  const settled = (await api.call.billingApi.invoice(prepaid.id)).unwrap();
  assert.equal(settled.invoice.status.toString(), 'Paid');
  assert.equal(settled.invoice.paid.toBigInt(), settled.invoice.amount.toBigInt());

  // Disputed, then corrected by Bob with a credit note of a third of the amount.
  events = await sendSigned(api, api.tx.billing.disputeInvoice(disputed.id, 'the reading looks twice too high'), ferdie);
  assert.ok(events.some((e) => api.events.billing.InvoiceDisputed.is(e)));
  await assert.rejects(sendSigned(api, api.tx.billing.payInvoice(disputed.id), ferdie), /billing\.UnderDispute/);
  await assert.rejects(
    sendSigned(api, api.tx.billing.resolveDispute(disputed.id, 'Upheld'), ferdie),
    /BadOrigin|meters\.NotNotifiedBody/,
  );
  const credit = disputed.view.invoice.amount.toBigInt() / 3n;
  events = await sendSigned(api, api.tx.billing.resolveDispute(disputed.id, { Corrected: { credit } }), bob);
  const resolved = events.find((e) => api.events.billing.DisputeResolved.is(e));
  assert.equal(resolved.data.credit.toBigInt(), credit);
  const corrected = (await api.call.billingApi.invoice(disputed.id)).unwrap();
  assert.equal(corrected.invoice.credited.toBigInt(), credit);
  assert.equal(corrected.outstanding.toBigInt(), disputed.view.invoice.amount.toBigInt() - credit);
  assert.equal(corrected.invoice.status.toString(), 'Open');

  // Both steps are in meter 2's audit trail.
  const length = (await api.call.metersApi.auditLength({ Meter: 2 })).toNumber();
  const trail = await api.call.metersApi.auditTrail({ Meter: 2 }, 0, length);
  const changes = trail.map(([, entry]) => entry.change);
  const disputeEntry = changes.find((c) => c.isInvoiceDisputed);
  assert.equal(disputeEntry.asInvoiceDisputed.invoice.toNumber(), disputed.id);
  const resolution = changes.find((c) => c.isDisputeResolved);
  assert.equal(resolution.asDisputeResolved.credit.toBigInt(), credit);
  assert.ok(changes.some((c) => c.isSupplyContractStarted), 'the genesis contract started in the trail');
});

test('the measurer earns the fixed fee for every measurement, whatever its quantity', async () => {
  const [fee, share] = await api.call.rewardsApi.measuringFee();
  const authorShare = fee.toBigInt() * BigInt(share.toNumber()) / 1_000_000_000n;
  let measurements = 0n;
  for (const meter of [0, 1, 2]) measurements += (await api.call.readingsApi.reading(meter)).measurements.toBigInt();
  assert.equal(measurements, 6n);

  const [claimable, earnings] = await api.call.rewardsApi.rewardsOf(keyring.addFromUri('//Dave').address);
  assert.equal(earnings.measurements.toBigInt(), measurements);
  assert.equal(earnings.owed.toBigInt(), 0n);
  assert.equal(earnings.earned.toBigInt(), measurements * (fee.toBigInt() - authorShare));
  assert.equal(claimable.toBigInt(), earnings.earned.toBigInt());
  const totals = await api.call.rewardsApi.totals();
  assert.equal(totals.charged.toBigInt(), measurements * fee.toBigInt());
  // Alice authors every block of the dev chain.
  const [aliceShare] = await api.call.rewardsApi.rewardsOf(keyring.addFromUri('//Alice').address);
  assert.equal(aliceShare.toBigInt(), measurements * authorShare);
  const [held, debt] = await api.call.rewardsApi.depositOf(keyring.addFromUri('//Eve').address);
  assert.equal(held.toBigInt(), 10_000n * UNIT - measurements * fee.toBigInt());
  assert.equal(debt.toBigInt(), 0n);

  // Dave claims.
  const events = await sendSigned(api, api.tx.rewards.claim(), keyring.addFromUri('//Dave'));
  const claimed = events.find((e) => api.events.rewards.RewardsClaimed.is(e));
  assert.equal(claimed.data.amount.toBigInt(), earnings.earned.toBigInt());
});
