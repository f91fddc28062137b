// @switchboard/protocol: the wire contract shared by the hub and every client.
export * from './codes.js';
export * from './shapes.js';
export * from './client-frames.js';
export * from './server-frames.js';
export * from './locks.js';
export * from './tasks.js';
export * from './decode.js';
export * from './depth.js';
