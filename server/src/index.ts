// @switchboard/server: the hub as a library.
export { Hub, startHub, HUB_DEFAULTS } from './hub.js';
export type { HubOptions } from './hub.js';
export type { Engine, EngineEvents } from './engine/engine.js';
export type { LockStore } from './engine/locks.js';
export { MemoryEngine } from './engine/memory-engine.js';
export { loadConfig, ConfigError } from './config.js';
export type { Config } from './config.js';
export { RedisEngine } from './engine/redis/redis-engine.js';
export type { RedisEngineOptions } from './engine/redis/redis-engine.js';
export { EngineUnavailableError } from './engine/errors.js';
