// @switchboard/client/node: the same SDK for Node 20, which has no global WebSocket; it uses `ws`
// unless a WebSocket option is given. The only file of the SDK that may import 'ws'.
import WebSocket from 'ws';
import { connect as connectWith } from './client.js';
import type { Hub } from './client.js';
import type { ConnectOptions } from './options.js';

export * from './index.js';

/** connect() with `ws` as the default WebSocket implementation. */
export function connect(options: ConnectOptions): Promise<Hub> {
  return connectWith({ ...options, WebSocket: options.WebSocket ?? WebSocket });
}
