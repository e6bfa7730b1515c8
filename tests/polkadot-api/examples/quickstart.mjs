// A first Mensura program with polkadot-api, walked through in docs/polkadot-api.md and
// run against a fresh dev node by test/papi.test.mjs:
//
//   node examples/quickstart.mjs [ws://127.0.0.1:9944]
//
// It has the papi CLI generate Mensura's typed descriptors from the chain (once; again
// only when the chain's metadata changes), lists the meters from storage, has
// development meter 0 (device key //Meter1) sign one frame of a minute of household
// load, pre-checks it, submits it, follows it into a best block and to finality, and
// reads the meter's new reading state back.
import { Binary } from 'polkadot-api';
import { generateDescriptors, loadDescriptors } from '../lib/descriptors.mjs';
import { connect, devAccount, frameBytes, generalTransaction, householdLoad, signFrame } from '../lib/mensura.mjs';

const url = process.argv[2] ?? 'ws://127.0.0.1:9944';
await generateDescriptors(url);
const { mensura } = await loadDescriptors();
const client = connect(url);
const api = client.getTypedApi(mensura);

// PAPI reads at the finalised block unless told otherwise. Frames are judged against the
// chain's time and genesis hash, which the first block records: on a chain just started,
// wait for it to be final.
let finalized = await client.getFinalizedBlock();
while (finalized.number < 1) {
  await new Promise((r) => setTimeout(r, 1000));
  finalized = await client.getFinalizedBlock();
}
const { name, genesisHash } = await client.getChainSpecData();
console.log(`connected to ${name}, finalized block #${finalized.number}, genesis ${genesisHash}`);

// 1. The meters, straight from storage (Meters.Meters), with their reading state
//    (Readings.Readings). Every value is typed by the descriptors.
const meters = (await api.query.Meters.Meters.getEntries()).sort((a, b) => Number(a.keyArgs[0] - b.keyArgs[0]));
for (const { keyArgs: [id], value: meter } of meters) {
  const reading = await api.query.Readings.Readings.getValue(id);
  const supplyPoint = meter.supply_point === undefined ? '(not installed)' : Binary.toText(meter.supply_point);
  console.log(`meter ${id}: ${Binary.toText(meter.serial)} at ${supplyPoint}, ${meter.status.type}, `
    + `register ${reading.register} mWh from ${reading.measurements} measurements`);
}

// 2. Meter 0 signs a frame, as its firmware would: the minute before the chain's time,
//    60 voltage samples (mV) and 60 current samples (mA), sequence one above its last.
const meter = 0n;
const reading = await api.query.Readings.Readings.getValue(meter);
const sequence = (reading.last_sequence ?? 0n) + 1n;
const chainTime = Number(await api.query.Timestamp.Now.getValue());
const end = Math.min(Date.now(), chainTime + 10_000); // at most 12 s past the last block
const start = Math.max(Number(reading.last_end), end - 60_000);
if (start >= end) throw new Error(`meter ${meter}'s last frame ends at ${reading.last_end}: wait, then run again`);
const frame = frameBytes({ meter, sequence, start, end, channels: householdLoad(60) }); // ~230 V, ~4.2 A
const signed = signFrame(genesisHash, devAccount('//Meter1').pair, frame);

// 3. Pre-check: ReadingsApi_check_frame answers as the transaction pool will.
const check = await api.apis.ReadingsApi.check_frame(signed.frame, signed.signature);
if (!check.success) throw new Error(`the chain would refuse the frame: ${JSON.stringify(check.value)}`);
console.log(`frame ${sequence} of meter ${meter} (${frame.length} bytes) checks: it would measure ${check.value} mWh`);

// 4. Submit it as a general transaction (no signer, no fee) and follow it: into a best
//    block, then finalised. The events are the transaction's own.
const transaction = generalTransaction(await api.tx.Readings.submit_frame({ frame: signed }).getEncodedData());
const result = await new Promise((resolve, reject) => {
  const subscription = client.submitAndWatch(transaction).subscribe({
    next(event) {
      if (event.type === 'txBestBlocksState' && event.found) {
        console.log(`in best block #${event.block.number} (${event.block.hash}), transaction ${event.block.index}`);
      }
      if (event.type === 'finalized') {
        subscription.unsubscribe();
        resolve(event);
      }
    },
    error: reject,
  });
});
const measured = result.events.find((e) => e.type === 'Readings' && e.value.type === 'Measured');
if (!result.ok || !measured) throw new Error(`block ${result.block.hash} has no measurement of the frame`);
const { index, measurement, register } = measured.value.value;
console.log(`finalized in block #${result.block.number}: measurement ${index} = ${measurement.quantity} mWh, `
  + `register now ${register} mWh`);

// 5. Read the meter's state back at that block.
const after = await api.query.Readings.Readings.getValue(meter, { at: result.block.hash });
console.log(`meter ${meter} at #${result.block.number}: register ${after.register} mWh, last sequence ${after.last_sequence}, `
  + `${after.measurements} measurements, hash-chain head ${after.chain_head}`);

client.destroy();
