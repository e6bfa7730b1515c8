// Starts the real mensura-node on free ports for a test, and always stops it.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { spawn } from 'node:child_process';
import { freePort, track } from '../../common/processes.mjs';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** The node binary: $MENSURA_NODE, or the release build in the shared cache. */
export function nodeBinary() {
  const fromEnv = process.env.MENSURA_NODE;
  const targetDir = process.env.CARGO_TARGET_DIR ?? join(process.env.HOME, '.cache/mensura/target');
  const binary = fromEnv ?? join(targetDir, 'release', 'mensura-node');
  if (!existsSync(binary)) {
    throw new Error(`no node binary at ${binary}: run \`cargo build --release -p mensura-node\` or set MENSURA_NODE`);
  }
  return binary;
}

/** Starts `mensura-node --dev --tmp`; resolves once its RPC port accepts connections. */
export async function startDevNode() {
  const [rpcPort, p2pPort, prometheusPort] = [await freePort(), await freePort(), await freePort()];
  const child = spawn(nodeBinary(), [
    '--dev', '--tmp', '--no-telemetry', '--no-mdns',
    '--rpc-port', String(rpcPort), '--port', String(p2pPort), '--prometheus-port', String(prometheusPort),
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  const tracked = track(child);
  let log = '';
  child.stderr.on('data', (chunk) => { log += chunk; });

  const deadline = Date.now() + 60_000;
  while (!log.includes('Running JSON-RPC server')) {
    if (child.exitCode !== null) throw new Error(`node exited during start-up:\n${log}`);
    if (Date.now() > deadline) throw new Error(`node did not start its RPC server in 60 s:\n${log}`);
    await new Promise((r) => setTimeout(r, 200));
  }

  return {
    url: `ws://127.0.0.1:${rpcPort}`,
    pid: child.pid,
    log: () => log,
    /** SIGTERM, as an operator would; resolves with how the process ended. */
    stop: tracked.stop,
  };
}

export function processExists(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * The fixture of a test file: before its tests, a fresh dev node and a Polkadot.js
 * connection to it (`rpc`: extra RPC definitions; `waitForBlock`: the block to wait
 * for, e.g. 1 so that frames are judged against a chain time); after them, the
 * connection closed and the node stopped, which must end cleanly: exit code 0, no
 * process left behind, no panic in its log. `ready` receives `{ node, provider, api,
 * keyring }` (an sr25519 keyring) once all of it is up.
 */
export function useDevNode({ rpc = {}, waitForBlock = 0 } = {}, ready = () => {}) {
  const fixture = {};
  before(async () => {
    await cryptoWaitReady();
    fixture.keyring = new Keyring({ type: 'sr25519' });
    fixture.node = await startDevNode();
    fixture.provider = new WsProvider(fixture.node.url);
    fixture.api = await ApiPromise.create({ provider: fixture.provider, rpc, noInitWarn: true, throwOnConnect: true });
    while ((await fixture.api.rpc.chain.getHeader()).number.toNumber() < waitForBlock) {
      await new Promise((r) => setTimeout(r, 500));
    }
    ready(fixture);
  });
  after(async () => {
    await fixture.api?.disconnect();
    const { node } = fixture;
    if (!node) return;
    const { code, signal } = await node.stop();
    assert.equal(code, 0, `node ended with code ${code}, signal ${signal}`);
    assert.ok(!processExists(node.pid), `node process ${node.pid} outlived the test`);
    assert.ok(!node.log().includes('panicked'), 'the node log has a panic');
  });
}
