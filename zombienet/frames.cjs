// zombienet js-script: the dev meters sign frames (one alone, a gateway batch of four);
// they are submitted to the node the DSL line names and must be visible, finalised, on
// the `rpc` full node. Returns how many measurements the rpc node's finalised state holds
// for meters 0-2 (the DSL asserts the exact count).
//
// zombienet loads js-scripts with require(): CommonJS here, the ESM helpers by import().
const path = require('node:path');

async function run(nodeName, networkInfo) {
  const { ApiPromise, WsProvider } = await import('@polkadot/api');
  const { Keyring } = await import('@polkadot/keyring');
  const { cryptoWaitReady } = await import('@polkadot/util-crypto');
  const lib = await import(path.join(__dirname, '..', 'tests', 'polkadot-js', 'lib', 'mensura.mjs'));
  await cryptoWaitReady();

  const connect = async (name) => {
    const provider = new WsProvider(networkInfo.nodesByName[name].wsUri);
    const api = await ApiPromise.create({ provider, noInitWarn: true, throwOnConnect: true });
    return { api, provider };
  };
  const source = await connect(nodeName);
  const target = await connect('rpc');
  try {
    const keyring = new Keyring({ type: 'sr25519' });
    const now = (await source.api.query.timestamp.now()).toNumber();
    const frame = (meter, sequence, k) => {
      const start = now - 60_000 + k * 10_000;
      return lib.signFrame(source.api, keyring.addFromUri(`//Meter${meter + 1}`), lib.frameBytes({
        meter, sequence, start, end: start + 10_000,
        channels: [Array(30).fill(230_000), Array(30).fill(1_000 + 1_000 * meter)],
      }));
    };
    const sequences = {};
    for (const meter of [0, 1, 2]) {
      const last = (await source.api.call.readingsApi.reading(meter)).lastSequence;
      sequences[meter] = last.isSome ? last.unwrap().toNumber() : 0;
    }
    const next = (meter) => ++sequences[meter];
    const single = lib.generalTransaction(source.api.tx.readings.submitFrame(frame(0, next(0), 0)));
    await lib.submitGeneralAndWatch(source.provider, single, { finalized: true, timeout: 120_000 });
    const batch = [frame(1, next(1), 1), frame(1, next(1), 2), frame(2, next(2), 3), frame(2, next(2), 4)];
    const finalizedIn = await lib.submitGeneralAndWatch(
      source.provider, lib.generalTransaction(source.api.tx.readings.submitFrames(batch)), { finalized: true, timeout: 120_000 },
    );

    // The rpc node: once its finalised head includes that block, the measurements are there.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const head = await target.api.rpc.chain.getFinalizedHead();
      const number = (await target.api.rpc.chain.getHeader(head)).number.toNumber();
      const wanted = (await target.api.rpc.chain.getHeader(finalizedIn).catch(() => null))?.number.toNumber();
      if (wanted !== undefined && number >= wanted) {
        const at = await target.api.at(head);
        let total = 0;
        for (const meter of [0, 1, 2]) {
          const reading = await at.query.readings.readings(meter);
          total += reading.measurements.toNumber();
        }
        return total;
      }
      if (Date.now() > deadline) throw new Error('the rpc node did not finalise the frames in 60 s');
      await new Promise((r) => setTimeout(r, 2_000));
    }
  } finally {
    await source.api.disconnect();
    await target.api.disconnect();
  }
}

module.exports = { run };
