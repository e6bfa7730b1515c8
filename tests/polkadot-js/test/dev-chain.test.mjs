// Polkadot.js, the reference client, against a real dev node: it must read the chain's
// metadata and properties, sign with the runtime's transaction extensions (AuthorizeCall
// first, CheckMetadataHash), and see a transfer finalised.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useDevNode } from '../lib/node.mjs';

// Stopping the node at the end must be clean: exit 0, no process left, no panic.
let api;
let keyring;
useDevNode({}, (f) => ({ api, keyring } = f));

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
  const alice = keyring.addFromUri('//Alice');
  const nonce = await api.call.accountNonceApi.accountNonce(alice.address);
  assert.equal(nonce.toNumber(), 0);
  const presets = await api.call.genesisBuilder.presetNames();
  assert.deepEqual(presets.map((p) => p.toHuman()).sort(), ['development', 'local_testnet']);
});

test('a signed transfer from Alice to Bob is finalised', { timeout: 120_000 }, async () => {
  const alice = keyring.addFromUri('//Alice');
  const bob = keyring.addFromUri('//Bob');
  const amount = 5n * 10n ** 12n; // 5 MSR
  const freeBefore = (await api.query.system.account(bob.address)).data.free.toBigInt();

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

  const freeAfter = (await api.query.system.account.at(finalizedIn, bob.address)).data.free.toBigInt();
  assert.equal(freeAfter - freeBefore, amount);
});
