// The real mensura-node for a test: started on free loopback ports, stopped as an operator
// would. No dependencies, so every Node.js test package here imports it by path.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, track } from './processes.mjs';

/** The node binary: $MENSURA_NODE, or the release build in the shared cache. */
export function nodeBinary() {
  const targetDir = process.env.CARGO_TARGET_DIR ?? join(process.env.HOME, '.cache/mensura/target');
  const binary = process.env.MENSURA_NODE ?? join(targetDir, 'release', 'mensura-node');
  if (!existsSync(binary)) {
    throw new Error(`no node binary at ${binary}: run \`scripts/test\` (or set MENSURA_NODE)`);
  }
  return binary;
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
 * Starts `mensura-node --dev --tmp` with `args` added; resolves once its RPC port accepts
 * connections. With `websocketP2p`, the node also listens for peer-to-peer connections
 * over WebSocket (`/ip4/127.0.0.1/tcp/<port>/ws`), the only transport a browser's light
 * client can use; `p2pWebsocket` is then that multiaddr with the node's peer id.
 */
export async function startDevNode({ args = [], websocketP2p = false } = {}) {
  const [rpcPort, p2pPort, wsP2pPort, prometheusPort] =
    [await freePort(), await freePort(), await freePort(), await freePort()];
  const listen = ['--listen-addr', `/ip4/127.0.0.1/tcp/${p2pPort}`];
  if (websocketP2p) listen.push('--listen-addr', `/ip4/127.0.0.1/tcp/${wsP2pPort}/ws`);
  const child = spawn(nodeBinary(), [
    '--dev', '--tmp', '--no-telemetry', '--no-mdns', ...listen,
    '--rpc-port', String(rpcPort), '--prometheus-port', String(prometheusPort), ...args,
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

  const http = `http://127.0.0.1:${rpcPort}`;
  let id = 0;
  /** One JSON-RPC call over HTTP; rejects with the node's error object as JSON. */
  const rpc = async (method, params = []) => {
    const response = await fetch(http, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }),
    });
    const body = await response.json();
    if (body.error) throw new Error(`${method}: ${JSON.stringify(body.error)}`);
    return body.result;
  };
  const node = {
    url: `ws://127.0.0.1:${rpcPort}`,
    http,
    rpc,
    pid: child.pid,
    log: () => log,
    /** SIGTERM, as an operator would; resolves with how the process ended. */
    stop: tracked.stop,
  };
  if (websocketP2p) {
    // As an operator finds it: the node's listening addresses, with its peer id.
    const addresses = await rpc('system_localListenAddresses');
    node.p2pWebsocket = addresses.find((a) => a.startsWith(`/ip4/127.0.0.1/tcp/${wsP2pPort}/ws/p2p/`));
    if (!node.p2pWebsocket) throw new Error(`the node does not listen on WebSocket: ${addresses.join(', ')}`);
  }
  return node;
}

/**
 * Stops `node` and checks that it ended as it should: exit code 0, no process left
 * behind, no panic in its log. Returns a list of what went wrong (empty if nothing).
 *
 * `expectedPanics` are for a test that provokes one on purpose: each must match the
 * message of at least one panic in the log, and every panic must match one of them.
 */
export async function stopCleanly(node, { expectedPanics = [] } = {}) {
  const { code, signal } = await node.stop();
  const problems = [];
  if (code !== 0) problems.push(`node ended with code ${code}, signal ${signal}`);
  if (processExists(node.pid)) problems.push(`node process ${node.pid} outlived the test`);
  // "panicked at <file>:<line>:<column>:" and the message on the next line.
  const panics = [...node.log().matchAll(/panicked at ([^\n]*)\n([^\n]*)/g)].map(([, at, message]) => ({ at, message }));
  for (const { at, message } of panics) {
    if (!expectedPanics.some((expected) => expected.test(message))) problems.push(`a panic at ${at}: ${message}`);
  }
  for (const expected of expectedPanics) {
    if (!panics.some(({ message }) => expected.test(message))) problems.push(`no panic matching ${expected}`);
  }
  if (node.log().includes('panicked') && panics.length === 0) problems.push('the node log has a panic');
  return problems;
}

/** The development chain's raw chain spec (`build-spec --dev --raw`), as an object. */
export async function devChainSpec() {
  const child = spawn(nodeBinary(), ['build-spec', '--dev', '--raw'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c) => { out += c; });
  child.stderr.on('data', (c) => { err += c; });
  const code = await new Promise((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`build-spec --dev --raw failed (${code}):\n${err}`);
  return JSON.parse(out);
}
