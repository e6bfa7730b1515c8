// What a Polkadot.js program needs for Mensura beyond @polkadot/api itself; the tests use
// it, and docs/polkadot-js.md explains it for users who copy it.
//
//   - `rpc`: the definitions of the node's `mensura_*` JSON-RPC methods, for
//     `ApiPromise.create({ provider, rpc })`, which makes them `api.rpc.mensura.*`;
//   - `frameBytes`, `signFrame`: the version-1 frame format (tests/common/frame.mjs) and
//     the meter's signature (docs/frame-format.md), as firmware or a gateway makes them;
//   - `generalTransaction`, `submitGeneral`, `submitGeneralAndWatch`: frames travel as
//     general transactions (extrinsic format v5: no signer, no fee, authorised by the
//     meter's signature inside the call). @polkadot/api 16.5.6 decodes them, in blocks
//     and in the pool, but `api.rpc.author.submitExtrinsic(hex)` and `api.tx(hex).send()`
//     re-encode them wrongly (the whole original extrinsic, length prefix and all, is
//     wrapped once more), so the runtime cannot decode what arrives. These helpers build
//     the bytes from a call Polkadot.js encodes (`api.tx.readings.submitFrame(…)`) and
//     send them unchanged through the provider.
import { blake2AsU8a } from '@polkadot/util-crypto';
import { compactToU8a, u8aConcat, u8aToHex } from '@polkadot/util';
import { signingMessage as frameSigningMessage } from '../../common/frame.mjs';

const at = { name: 'at', type: 'Hash', isOptional: true };

/** `api.rpc.mensura.*`: answers are JSON (quantities and balances as decimal strings). */
export const rpc = {
  mensura: {
    meter: {
      description: 'A meter with its model unit, LR program and reading state; null if unknown',
      params: [{ name: 'meter', type: 'u64' }, at],
      type: 'Json',
    },
    meters: {
      description: 'Up to `limit` (default 100, at most 1000) meters from id `from` on, with a `next` cursor',
      params: [{ name: 'from', type: 'Option<u64>' }, { name: 'limit', type: 'Option<u32>' }, at],
      type: 'Json',
    },
  },
};

export { compactFrameBytes, frameBytes, householdLoad } from '../../common/frame.mjs';

/**
 * Every `Measured` event of `meter` from block 1 to the best block, oldest first, as
 * `{ block, index, measurement, register }`. State keeps no measurement: each is in the
 * event of the block that stored it (an indexer, `mensura-indexer`, serves the history
 * of a long-running chain; reading every block is for a short development chain).
 */
export async function measuredEvents(api, meter) {
  const best = (await api.rpc.chain.getHeader()).number.toNumber();
  const found = [];
  for (let number = 1; number <= best; number++) {
    const hash = await api.rpc.chain.getBlockHash(number);
    const events = await (await api.at(hash)).query.system.events();
    for (const { event } of events) {
      if (api.events.readings.Measured.is(event) && event.data.meter.toNumber() === meter) {
        const { index, measurement, register } = event.data;
        found.push({ block: number, index: index.toNumber(), measurement, register: register.toBigInt() });
      }
    }
  }
  return found;
}

/** What a meter signs: "mensura/frame/v1" ‖ genesis hash ‖ BLAKE2b-256(frame). */
export function signingMessage(genesisHash, bytes) {
  return frameSigningMessage(genesisHash.toU8a(), bytes, (data) => blake2AsU8a(data, 256));
}

/**
 * The frame signed by `pair` (a Keyring pair of the meter's device key), as the
 * `SignedFrame` argument of `readings.submitFrame` / `submitFrames`.
 */
export function signFrame(api, pair, bytes) {
  const signature = pair.sign(signingMessage(api.genesisHash, bytes));
  return { frame: u8aToHex(bytes), signature: { [pair.type === 'ed25519' ? 'Ed25519' : pair.type === 'ecdsa' ? 'Ecdsa' : 'Sr25519']: u8aToHex(signature) } };
}

/**
 * A general transaction (v5) carrying `call` (e.g. `api.tx.readings.submitFrames(frames)`):
 * version byte 0x45, extension version 0, the explicit transaction-extension values
 * (immortal era, nonce 0, tip 0, metadata-hash mode off), then the call.
 */
export function generalTransaction(call) {
  const body = u8aConcat(new Uint8Array([0x45, 0x00, 0x00, 0x00, 0x00, 0x00]), call.method.toU8a());
  return u8aConcat(compactToU8a(body.length), body);
}

/** Submits the bytes unchanged: resolves with the transaction hash, or rejects with the pool's refusal. */
export function submitGeneral(api, bytes) {
  // `api.rpc(method, ...params)` sends a raw JSON-RPC call: no re-encoding on the way.
  return api.rpc('author_submitExtrinsic', u8aToHex(bytes));
}

/**
 * Submits the bytes through `provider` (the WsProvider the api was created with) and
 * resolves with the hash of the block that includes them (or, with `{ finalized: true }`,
 * once that block is finalised); rejects with the pool's refusal.
 */
export function submitGeneralAndWatch(provider, bytes, { finalized = false, timeout = 60_000 } = {}) {
  return new Promise((resolve, reject) => {
    let subscription;
    const done = (error, value) => {
      clearTimeout(timer);
      if (subscription !== undefined) {
        provider.unsubscribe('author_extrinsicUpdate', 'author_unwatchExtrinsic', subscription).catch(() => {});
      }
      if (error) reject(error); else resolve(value);
    };
    const timer = setTimeout(() => done(new Error(`not ${finalized ? 'finalised' : 'included'} in ${timeout} ms`)), timeout);
    provider.subscribe('author_extrinsicUpdate', 'author_submitAndWatchExtrinsic', [u8aToHex(bytes)], (error, status) => {
      if (error) return done(error);
      if (typeof status !== 'object') return; // "future", "ready", "broadcast"
      if (!finalized && status.inBlock) done(null, status.inBlock);
      else if (status.finalized) done(null, status.finalized);
      else if (status.invalid !== undefined || status.dropped !== undefined || status.usurped) {
        done(new Error(`the transaction was ${Object.keys(status)[0]}`));
      }
    }).then((id) => { subscription = id; }, (error) => done(error));
  });
}

/**
 * Signs `tx` with `signer` (a Keyring pair) and sends it; resolves with the events of the
 * block that includes it, or rejects with the dispatch error's name (`billing.AlreadyPaid`).
 */
export function sendSigned(api, tx, signer) {
  return new Promise((resolve, reject) => {
    tx.signAndSend(signer, ({ status, events, dispatchError }) => {
      if (!status.isInBlock) return;
      if (dispatchError) {
        const { section, name } = dispatchError.isModule ? api.registry.findMetaError(dispatchError.asModule) : {};
        reject(new Error(section ? `${section}.${name}` : dispatchError.toString()));
      } else {
        resolve(events.map(({ event }) => event));
      }
    }).catch(reject);
  });
}
