// A test file's fixture: the real mensura-node on free ports (tests/common/node.mjs) and
// a Polkadot.js connection to it, always stopped.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { startDevNode, stopCleanly } from '../../common/node.mjs';

/**
 * The fixture of a test file: before its tests, a fresh dev node and a Polkadot.js
 * connection to it (`rpc`: extra RPC definitions; `waitForBlock`: the block to wait
 * for, e.g. 1 so that frames are judged against a chain time); after them, the
 * connection closed and the node stopped, which must end cleanly: exit code 0, no
 * process left behind, no panic in its log but those of `expectedPanics` (regular
 * expressions of the messages of panics the tests provoke on purpose). `ready` receives `{ node, provider, api,
 * keyring }` (an sr25519 keyring) once all of it is up.
 */
export function useDevNode({ rpc = {}, waitForBlock = 0, expectedPanics = [] } = {}, ready = () => {}) {
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
    assert.deepEqual(await stopCleanly(node, { expectedPanics }), []);
  });
}
