// Preloaded into the papi CLI (`node --import ./lib/websocket.mjs …`) on Node.js 20, which
// has no global WebSocket; the CLI's `--wsUrl` needs one. Node.js 22 and later have it.
import { WebSocket } from 'ws';

globalThis.WebSocket ??= WebSocket;
