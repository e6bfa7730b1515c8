// zombienet js-script: how many measurements meters 0-2 have in the named node's
// finalised state (after faults, nothing submitted before them may be missing).
async function run(nodeName, networkInfo) {
  const { ApiPromise, WsProvider } = await import('@polkadot/api');
  const provider = new WsProvider(networkInfo.nodesByName[nodeName].wsUri);
  const api = await ApiPromise.create({ provider, noInitWarn: true, throwOnConnect: true });
  try {
    const at = await api.at(await api.rpc.chain.getFinalizedHead());
    let total = 0;
    for (const meter of [0, 1, 2]) total += (await at.query.readings.readings(meter)).measurements.toNumber();
    return total;
  } finally {
    await api.disconnect();
  }
}

module.exports = { run };
