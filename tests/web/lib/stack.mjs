// The real thing for the page's tests: a development node (archive state, so the
// indexer can read every block), mensura-indexer beside it with an SQLite file, the
// `mensura` CLI, and headless Chromium (Debian's package) driven by playwright-core.
import { spawn, execFile } from 'node:child_process';
import { freePort, track } from '../../common/processes.mjs';
import { existsSync, mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';

const targetDir = process.env.CARGO_TARGET_DIR ?? join(process.env.HOME, '.cache/mensura/target');

/** A binary of the release build: `$ENV`, or the shared build cache's. */
function binary(env, name) {
  const path = process.env[env] ?? join(targetDir, 'release', name);
  if (!existsSync(path)) throw new Error(`no ${name} at ${path}: run scripts/test (or set ${env})`);
  return path;
}

export const binaries = {
  node: () => binary('MENSURA_NODE', 'mensura-node'),
  indexer: () => binary('MENSURA_INDEXER', 'mensura-indexer'),
  cli: () => binary('MENSURA_CLI', 'mensura'),
};

/** Where screenshots are kept: $MENSURA_WEB_ARTIFACTS, or tests/web/screenshots. */
export const artifacts = process.env.MENSURA_WEB_ARTIFACTS ??
  join(dirname(fileURLToPath(import.meta.url)), '..', 'screenshots');


/** Starts a process; `ready(log)` says when it is up. */
async function start(name, path, args, ready, timeout = 60_000) {
  const child = spawn(path, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const tracked = track(child);
  let log = '';
  child.stdout.on('data', (c) => { log += c; });
  child.stderr.on('data', (c) => { log += c; });
  const deadline = Date.now() + timeout;
  while (!ready(log)) {
    if (child.exitCode !== null) throw new Error(`${name} exited during start-up:\n${log}`);
    if (Date.now() > deadline) throw new Error(`${name} did not start in ${timeout} ms:\n${log}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    log: () => log,
    stop: tracked.stop,
  };
}

export async function sleep(ms) {
  await new Promise((r) => setTimeout(r, ms));
}

/** Polls `check` (which returns a value, or undefined/false to go on) until `timeout`. */
export async function waitFor(what, check, timeout = 120_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false && value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(500);
  }
}

/**
 * The node, the indexer and a browser. `rpc(method, params)` asks the node over HTTP,
 * `api(path)` the indexer, `cli(args)` runs `mensura --url <node>`, `page()` opens a tab.
 */
export async function startStack() {
  const dir = mkdtempSync(join(tmpdir(), 'mensura-web-'));
  const [rpcPort, p2pPort, prometheusPort, httpPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const node = await start('mensura-node', binaries.node(), [
    '--dev', '--tmp', '--state-pruning', 'archive-canonical', '--no-telemetry', '--no-mdns',
    '--rpc-port', String(rpcPort), '--port', String(p2pPort), '--prometheus-port', String(prometheusPort),
  ], (log) => log.includes('Running JSON-RPC server'));
  const indexer = await start('mensura-indexer', binaries.indexer(), [
    '--node', `ws://127.0.0.1:${rpcPort}`, '--database', `sqlite://${join(dir, 'index.db')}`,
    '--listen', `127.0.0.1:${httpPort}`,
  ], (log) => log.includes('API on http://'));
  const base = `http://127.0.0.1:${httpPort}`;
  const rpcUrl = `http://127.0.0.1:${rpcPort}`;
  let id = 0;
  const rpc = async (method, params = []) => {
    const response = await fetch(rpcUrl, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }),
    });
    const body = await response.json();
    if (body.error) throw new Error(`${method}: ${JSON.stringify(body.error)}`);
    return body.result;
  };
  const api = async (path) => {
    const response = await fetch(`${base}${path}`);
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status} ${await response.text()}`);
    return response.json();
  };
  const cli = async (args) => {
    const { stdout } = await promisify(execFile)(binaries.cli(), ['--url', rpcUrl, ...args], { maxBuffer: 64 << 20 });
    return stdout;
  };
  // As the environment notes say: no background networking (this machine's network is
  // closed), a fresh profile, no sandbox (tests may run as root).
  const browser = await chromium.launch({
    executablePath: process.env.MENSURA_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  mkdirSync(artifacts, { recursive: true });
  const errors = [];
  return {
    base, rpcUrl, rpc, api, cli, browser, node, indexer, errors,
    /** A new tab of `viewport`; console errors and page exceptions are collected. */
    async page(viewport = { width: 1280, height: 900 }) {
      const page = await browser.newPage({ viewport });
      page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
      page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()} (${m.location().url})`); });
      return page;
    },
    async stop() {
      await browser.close().catch(() => {});
      const i = await indexer.stop();
      const n = await node.stop();
      rmSync(dir, { recursive: true, force: true });
      return { indexer: i, node: n };
    },
  };
}

/** Runs `mensura simulate …` against the stack's node; resolves with its JSON summary. */
export function simulate(stack, args) {
  return new Promise((resolve, reject) => {
    execFile(binaries.cli(), ['simulate', '--url', stack.rpcUrl, '--quiet', '--json', ...args],
      { maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
        let summary;
        try { summary = JSON.parse(stdout); } catch { /* reported below */ }
        if (!summary) reject(new Error(`simulate printed no summary (${error?.message}):\n${stderr}`));
        else resolve({ summary, code: error ? error.code : 0, stderr });
      });
  });
}
