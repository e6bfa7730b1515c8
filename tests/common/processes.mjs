// What every Node.js test package here needs to run the real binaries: free loopback
// ports, and child processes that never outlive the test process. No dependencies, so
// tests/polkadot-js and tests/web both import it by path.
import { createServer } from 'node:net';

/** A TCP port free on 127.0.0.1 at the time of asking. */
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
// Whatever happens to the test process, its children go with it.
for (const signal of ['exit', 'SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const child of running) child.kill('SIGKILL');
    if (signal !== 'exit') process.exit(1);
  });
}

/**
 * Keeps `child` in the set killed when the test process ends. `stop()` sends SIGTERM,
 * as an operator would (SIGKILL after 30 s), and resolves with how the process ended:
 * `{ code, signal }`.
 */
export function track(child) {
  running.add(child);
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => {
    running.delete(child);
    resolve({ code, signal });
  }));
  return {
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}
