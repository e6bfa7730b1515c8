// A first Mensura program with @polkadot/api, walked through in docs/polkadot-js.md and
// run against a fresh dev node by test/examples.test.mjs:
//
//   node examples/quickstart.mjs [ws://127.0.0.1:9944]
//
// It lists the meters, has development meter 0 (device key //Meter1) sign one frame of
// a minute of household load, pre-checks it, submits it, waits for its block, and reads
// the measurement back through a runtime API and through the mensura_* RPC methods.
import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { frameBytes, generalTransaction, householdLoad, rpc, signFrame, submitGeneralAndWatch } from '../lib/mensura.mjs';

const url = process.argv[2] ?? 'ws://127.0.0.1:9944';
await cryptoWaitReady();
const provider = new WsProvider(url, false);
await provider.connect();
// `rpc` adds api.rpc.mensura.*; everything else comes from the chain's metadata.
const api = await ApiPromise.create({ provider, rpc, noInitWarn: true, throwOnConnect: true });

const [chain, head] = await Promise.all([api.rpc.system.chain(), api.rpc.chain.getHeader()]);
console.log(`connected to ${chain}, best block #${head.number}, genesis ${api.genesisHash.toHex()}`);

// 1. The meters, through the runtime API MetersApi_meters (at most 100 a call).
for (const [id, meter] of await api.call.metersApi.meters(0, 100)) {
  const reading = await api.call.readingsApi.reading(id);
  const supplyPoint = meter.supplyPoint.isSome ? meter.supplyPoint.unwrap().toUtf8() : '(not installed)';
  console.log(`meter ${id}: ${meter.serial.toUtf8()} at ${supplyPoint}, ${meter.status}, `
    + `register ${reading.register} mWh from ${reading.measurements} measurements`);
}

// 2. Meter 0 signs a frame, as its firmware would: the minute before the chain's time,
//    60 voltage samples (mV) and 60 current samples (mA), sequence one above its last.
const meter = 0;
const reading = await api.call.readingsApi.reading(meter);
const sequence = reading.lastSequence.isSome ? reading.lastSequence.unwrap().toBigInt() + 1n : 1n;
const chainTime = (await api.query.timestamp.now()).toNumber();
const end = Math.min(Date.now(), chainTime + 10_000); // at most 12 s past the last block
const start = Math.max(reading.lastEnd.toNumber(), end - 60_000);
if (start >= end) throw new Error(`meter ${meter}'s last frame ends at ${reading.lastEnd}: wait, then run again`);
const frame = frameBytes({ meter, sequence, start, end, channels: householdLoad(60) }); // ~230 V, ~4.2 A
const device = new Keyring({ type: 'sr25519' }).addFromUri('//Meter1');
const signed = signFrame(api, device, frame);

// 3. Pre-check: ReadingsApi_check_frame answers as the transaction pool will.
const check = await api.call.readingsApi.checkFrame(signed.frame, signed.signature);
if (check.isErr) throw new Error(`the chain would refuse the frame: ${check.asErr}`);
console.log(`frame ${sequence} of meter ${meter} (${frame.length} bytes) checks: it would measure ${check.asOk} mWh`);

// 4. Submit as a general transaction (no signer, no fee) and wait for its block.
const blockHash = await submitGeneralAndWatch(provider, generalTransaction(api.tx.readings.submitFrame(signed)));
const events = await (await api.at(blockHash)).query.system.events();
const measured = events.map(({ event }) => event).find((e) => api.events.readings.Measured.is(e) && e.data.meter.eqn(meter));
if (!measured) throw new Error(`block ${blockHash} has no Measured event for meter ${meter}`);
const { index, measurement, register } = measured.data;
console.log(`block ${blockHash.toString()}: measurement ${index} = ${measurement.quantity} mWh, register now ${register} mWh`);

// 5. Read it back: the mensura_* RPC methods answer JSON (quantities as decimal strings).
// State keeps the meter's register and count, not its measurements: their history is
// mensura-indexer's (http://127.0.0.1:9955/api/meters/0/measurements under scripts/dev-node).
const info = (await api.rpc.mensura.meter(meter)).toJSON();
console.log(`mensura_meter: register ${info.register} mWh from ${info.measurements} measurements`);

await api.disconnect();
