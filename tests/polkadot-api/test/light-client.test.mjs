// The light-client path of docs/polkadot-api.md, against the real node: a dev node that
// also listens for peer-to-peer connections over WebSocket (as a browser's smoldot needs),
// the raw chain spec with that address as its only boot node, and the light-client
// example, which warp-syncs with smoldot from npm and reads meter 0's reading state at
// finalised blocks from proofs it checks itself. What it prints must be what the full
// node holds at the same block.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { devChainSpec, startDevNode, stopCleanly } from '../../common/node.mjs';
import { generateDescriptors, loadDescriptors } from '../lib/descriptors.mjs';
import { connect, devAccount, frameBytes, generalTransaction, householdLoad, signFrame } from '../lib/mensura.mjs';

let node;
let client;
let api;
let dir;

before(async () => {
  node = await startDevNode({ websocketP2p: true });
  await generateDescriptors(node.url);
  const { mensura } = await loadDescriptors();
  client = connect(node.url);
  api = client.getTypedApi(mensura);
  dir = mkdtempSync(join(tmpdir(), 'mensura-light-client-'));
  while ((await client.getFinalizedBlock()).number < 1) await new Promise((r) => setTimeout(r, 500));
});

after(async () => {
  client?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (node) assert.deepEqual(await stopCleanly(node), []);
});

test('smoldot follows the chain over WebSocket and reads a meter from verified proofs', { timeout: 240_000 }, async () => {
  // A measurement for the light client to find: meter 0's first frame, finalised.
  const { genesisHash } = await client.getChainSpecData();
  const end = Number(await api.query.Timestamp.Now.getValue());
  const frame = frameBytes({ meter: 0, sequence: 1, start: end - 60_000, end, channels: householdLoad(60) });
  const signed = signFrame(genesisHash, devAccount('//Meter1').pair, frame);
  const included = await client.submit(generalTransaction(await api.tx.Readings.submit_frame({ frame: signed }).getEncodedData()));
  assert.ok(included.ok);

  // The raw chain spec, with the node's WebSocket listening address as its boot node:
  // the only way in, so the light client cannot have used plain TCP.
  const spec = await devChainSpec();
  assert.ok(spec.genesis.raw, 'a raw chain spec');
  spec.bootNodes = [node.p2pWebsocket];
  const specPath = join(dir, 'mensura-dev-raw.json');
  writeFileSync(specPath, JSON.stringify(spec));

  const script = fileURLToPath(new URL('../examples/light-client.mjs', import.meta.url));
  const { stdout } = await promisify(execFile)(
    process.execPath, [script, specPath, '0', '--until-measurements', '1'], { timeout: 200_000 },
  ).catch((error) => { throw new Error(`${error.message}\nits output:\n${error.stdout}`); });
  const lines = [...stdout.matchAll(
    /^finalized #(\d+) (0x[0-9a-f]{64}): meter 0 register (\d+) mWh, (\d+) measurements, last sequence (\S+), hash-chain head (0x[0-9a-f]{64})$/gm,
  )];
  assert.ok(lines.length > 0, `the light client printed no reading:\n${stdout}`);
  const last = lines.at(-1);
  const [, number, , register, measurements, lastSequence] = last;
  assert.ok(Number(number) >= included.block.number, 'it followed the chain past the frame\'s block');
  assert.equal(measurements, '1');

  // Each reading the light client verified is what the full node holds at that block.
  for (const [, , at, r, m, s, h] of lines) {
    const full = await api.query.Readings.Readings.getValue(0n, { at });
    assert.deepEqual(
      { register: r, measurements: m, lastSequence: s, head: h },
      {
        register: String(full.register),
        measurements: String(full.measurements),
        lastSequence: String(full.last_sequence ?? 'none'),
        head: full.chain_head,
      },
      `block ${at}`,
    );
  }
  assert.equal(register, String(included.events.find((e) => e.type === 'Readings' && e.value.type === 'Measured').value.value.register));
  assert.equal(lastSequence, '1');
});
