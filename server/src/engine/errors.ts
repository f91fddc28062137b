// Engine failures the hub turns into protocol errors instead of `internal`.

/** The shared state cannot be reached right now; the client may retry (code `unavailable`). */
export class EngineUnavailableError extends Error {
  override name = 'EngineUnavailableError';
}
