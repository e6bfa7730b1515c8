// Starts the real mensura-node on free ports for a test, and always stops it.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
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

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const running = new Set();
// Whatever happens to the test process, its nodes go with it.
for (const signal of ['exit', 'SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const child of running) child.kill('SIGKILL');
    if (signal !== 'exit') process.exit(1);
  });
}

/** Starts `mensura-node --dev --tmp`; resolves once its RPC port accepts connections. */
export async function startDevNode() {
  const [rpcPort, p2pPort, prometheusPort] = [await freePort(), await freePort(), await freePort()];
  const child = spawn(nodeBinary(), [
    '--dev', '--tmp', '--no-telemetry', '--no-mdns',
    '--rpc-port', String(rpcPort), '--port', String(p2pPort), '--prometheus-port', String(prometheusPort),
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  running.add(child);
  let log = '';
  child.stderr.on('data', (chunk) => { log += chunk; });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => {
    running.delete(child);
    resolve({ code, signal });
  }));

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
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
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
