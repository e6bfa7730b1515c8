// Public surveillance without trusting any RPC node: the smoldot light client joins the
// chain's peer-to-peer network from a raw chain spec, warp-syncs with GRANDPA's
// finality proofs, and reads a meter's reading state at each finalised block. Every
// answer comes with a Merkle proof that smoldot checks against the state root of a
// header it verified itself; no RPC node is asked anything. Walked through in
// docs/polkadot-api.md and run against a real node by test/light-client.test.mjs:
//
//   node examples/light-client.mjs <raw chain spec with bootNodes> [meter] [--until-measurements N]
//
// It prints one line per finalised block until the meter has N measurements (without
// --until-measurements it follows the chain until stopped). The typed descriptors must
// have been generated first (`node lib/descriptors.mjs ws://…`, or by the quickstart).
import { readFileSync } from 'node:fs';
import { start } from 'smoldot';
import { createClient } from 'polkadot-api';
import { getSmProvider } from 'polkadot-api/sm-provider';
import { loadDescriptors } from '../lib/descriptors.mjs';

const [specPath, meterArg, ...rest] = process.argv.slice(2);
if (!specPath) throw new Error('usage: light-client.mjs <raw chain spec> [meter] [--until-measurements N]');
const meter = BigInt(meterArg ?? 0);
const until = rest[0] === '--until-measurements' ? BigInt(rest[1]) : undefined;

const { mensura } = await loadDescriptors();
const smoldot = start({ maxLogLevel: Number(process.env.SMOLDOT_LOG ?? 3) }); // 3: warnings and information on stderr
const client = createClient(getSmProvider(() => smoldot.addChain({ chainSpec: readFileSync(specPath, 'utf8') })));
const api = client.getTypedApi(mensura);
console.log(`light client started for ${(await client.getChainSpecData()).name}`);

let busy = false;
const subscription = client.finalizedBlock$.subscribe(async (block) => {
  if (busy) return; // still answering the previous block; the next finalised one will do
  busy = true;
  try {
    // One storage read at this block: smoldot fetches it with a proof from a peer and
    // checks the proof against the block's state root before answering.
    const reading = await api.query.Readings.Readings.getValue(meter, { at: block.hash });
    console.log(`finalized #${block.number} ${block.hash}: meter ${meter} register ${reading.register} mWh, `
      + `${reading.measurements} measurements, last sequence ${reading.last_sequence ?? 'none'}, `
      + `hash-chain head ${reading.chain_head}`);
    if (until !== undefined && reading.measurements >= until) {
      subscription.unsubscribe();
      client.destroy();
      await smoldot.terminate();
      // smoldot 3.4.1 under Node.js leaves the event loop alive after terminate() (no
      // handle is left open, yet the process does not end): end it here.
      process.exit(0);
    }
  } catch (error) {
    console.error(`block #${block.number}: ${error.message}`);
  } finally {
    busy = false;
  }
});
