// Polkadot.js, the reference client, against a real dev node: it must read the chain's
// metadata and properties, sign with the runtime's transaction extensions (AuthorizeCall
// first, CheckMetadataHash), and see a transfer finalised.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { startDevNode, processExists } from '../lib/node.mjs';

let node;
let api;

before(async () => {
  await cryptoWaitReady();
  node = await startDevNode();
  api = await ApiPromise.create({ provider: new WsProvider(node.url), noInitWarn: true, throwOnConnect: true });
});

after(async () => {
  await api?.disconnect();
  if (node) {
    const { code, signal } = await node.stop();
    assert.equal(code, 0, `node ended with code ${code}, signal ${signal}`);
    assert.ok(!processExists(node.pid), `node process ${node.pid} outlived the test`);
    assert.ok(!node.log().includes('panicked'), 'the node log has a panic');
  }
});

test('the chain presents itself with the MSR token and SS58 format 42', async () => {
  const properties = api.registry.getChainProperties();
  assert.deepEqual(properties.tokenSymbol.toJSON(), ['MSR']);
  assert.deepEqual(properties.tokenDecimals.toJSON(), [12]);
  assert.equal(properties.ss58Format.toJSON(), 42);
  assert.equal((await api.rpc.system.chain()).toString(), 'Mensura Development');
  assert.equal(api.runtimeVersion.specName.toString(), 'mensura');
});

test('the transaction extensions start with AuthorizeCall and include CheckMetadataHash', () => {
  const extensions = api.registry.signedExtensions;
  assert.equal(extensions[0], 'AuthorizeCall');
  assert.ok(extensions.includes('CheckMetadataHash'), `extensions: ${extensions}`);
});

test('runtime APIs are callable through api.call', async () => {
  const alice = new Keyring({ type: 'sr25519' }).addFromUri('//Alice');
  const nonce = await api.call.accountNonceApi.accountNonce(alice.address);
  assert.equal(nonce.toNumber(), 0);
  const presets = await api.call.genesisBuilder.presetNames();
  assert.deepEqual(presets.map((p) => p.toHuman()).sort(), ['development', 'local_testnet']);
});

test('a signed transfer from Alice to Bob is finalised', { timeout: 120_000 }, async () => {
  const keyring = new Keyring({ type: 'sr25519' });
  const alice = keyring.addFromUri('//Alice');
  const bob = keyring.addFromUri('//Bob');
  const amount = 5n * 10n ** 12n; // 5 MSR
  const before = (await api.query.system.account(bob.address)).data.free.toBigInt();

  const finalizedIn = await new Promise((resolve, reject) => {
    api.tx.balances
      .transferKeepAlive(bob.address, amount)
      .signAndSend(alice, ({ status, dispatchError }) => {
        if (dispatchError) reject(new Error(dispatchError.toString()));
        if (status.isFinalized) resolve(status.asFinalized);
        if (status.isDropped || status.isInvalid || status.isUsurped) reject(new Error(status.type));
      })
      .catch(reject);
  });

  const after = (await api.query.system.account.at(finalizedIn, bob.address)).data.free.toBigInt();
  assert.equal(after - before, amount);
});
