// What a polkadot-api (PAPI) program needs for Mensura beyond PAPI itself and the typed
// descriptors the papi CLI generates (lib/descriptors.mjs); the tests and the examples use
// it, and docs/polkadot-api.md explains it.
//
//   - `connect`: a PAPI client over WebSocket (Node.js 20 has no global WebSocket class,
//     so the `ws` package's is passed);
//   - `devAccount`: a development key (`//Alice`, `//Meter1`: the development phrase with
//     that derivation path) as a PAPI signer and as a raw key pair;
//   - `signFrame`: the meter's signature over a version-1 frame (tests/common/frame.mjs);
//   - `generalTransaction`: frames travel as general transactions (extrinsic format v5:
//     no signer, no fee, authorised by the meter's signature inside the call), which PAPI
//     submits as the bytes they are (`client.submit`, `client.submitAndWatch`).
import { createWsClient } from 'polkadot-api/ws';
import { getPolkadotSigner } from 'polkadot-api/signer';
import { Blake2256, compactNumber } from '@polkadot-api/substrate-bindings';
import { DEV_PHRASE, entropyToMiniSecret, mnemonicToEntropy } from '@polkadot-labs/hdkd-helpers';
import { sr25519CreateDerive } from '@polkadot-labs/hdkd';
import { fromHex, mergeUint8, toHex } from 'polkadot-api/utils';
import { WebSocket } from 'ws';
import { signingMessage } from '../../common/frame.mjs';

export { frameBytes, householdLoad } from '../../common/frame.mjs';

/** A PAPI client of the node at `url` (its WebSocket RPC address). */
export function connect(url) {
  return createWsClient(url, { websocketClass: WebSocket });
}

const deriveDev = sr25519CreateDerive(entropyToMiniSecret(mnemonicToEntropy(DEV_PHRASE)));

/**
 * The sr25519 key of the development phrase with `path` (`//Alice`, `//Meter1`): `pair`
 * signs bytes (a meter's frame), `signer` signs transactions.
 */
export function devAccount(path) {
  const pair = deriveDev(path);
  return { pair, publicKey: pair.publicKey, signer: getPolkadotSigner(pair.publicKey, 'Sr25519', pair.sign) };
}

/**
 * The `signed` argument of `Readings.submit_frame` (one item of `submit_frames`): the frame
 * and the sr25519 signature of `pair` over "mensura/frame/v1" ‖ genesis ‖ BLAKE2b-256(frame).
 */
export function signFrame(genesisHash, pair, frame) {
  const signature = pair.sign(signingMessage(fromHex(genesisHash), frame, Blake2256));
  return { frame, signature: { type: 'Sr25519', value: toHex(signature) } };
}

/**
 * A general transaction (v5) carrying `callData` (the encoded call, e.g.
 * `await api.tx.Readings.submit_frame({ frame: signed }).getEncodedData()`): compact length,
 * version byte 0x45, extension version 0, the explicit extension values (immortal era,
 * nonce 0, tip 0, metadata-hash mode off), then the call (docs/frame-format.md).
 */
export function generalTransaction(callData) {
  const body = mergeUint8([Uint8Array.from([0x45, 0x00, 0x00, 0x00, 0x00, 0x00]), callData]);
  return mergeUint8([compactNumber.enc(body.length), body]);
}
