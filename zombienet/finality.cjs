// zombienet js-script: waits until the named node's finalised head has advanced by
// `args[0]` blocks (default 4) from where it is now, and returns the advance; with
// `args[1]` = a node name, waits instead until this node's finalised head reaches that
// node's (caught up) and returns 1. Relative, so it means the same however far the
// network already is.
async function run(nodeName, networkInfo, args) {
  const { ApiPromise, WsProvider } = await import('@polkadot/api');
  const connect = (name) => ApiPromise.create({
    provider: new WsProvider(networkInfo.nodesByName[name].wsUri), noInitWarn: true, throwOnConnect: true,
  });
  const finalised = async (api) => (await api.rpc.chain.getHeader(await api.rpc.chain.getFinalizedHead())).number.toNumber();
  const api = await connect(nodeName);
  const other = args && args[1] ? await connect(args[1]) : null;
  try {
    const start = await finalised(api);
    const target = other ? await finalised(other) : start + Number((args && args[0]) || 4);
    for (;;) {
      const now = await finalised(api);
      if (now >= target) return other ? 1 : now - start;
      await new Promise((r) => setTimeout(r, 1_000));
    }
  } finally {
    await api.disconnect();
    if (other) await other.disconnect();
  }
}

module.exports = { run };
