// HubError: the one error type the SDK rejects with, and the mappings from hub error frames
// and WebSocket close codes into it.
import { CloseCode, RETRYABLE_CODES } from '@switchboard/protocol';
import type { ErrorCode, ErrorFrame } from '@switchboard/protocol';

export interface HubErrorOptions {
  /** On `conflict`: the version the hub currently stores (0 when absent). */
  version?: number;
  /** On `conflict` of a fenced memory write: the current fence of its lock. */
  fence?: number;
  cause?: unknown;
}

export class HubError extends Error {
  override readonly name = 'HubError';
  readonly code: ErrorCode;
  /** True when the same call may succeed if tried again later (see RETRYABLE_CODES). */
  readonly retryable: boolean;
  readonly version?: number;
  readonly fence?: number;

  constructor(code: ErrorCode, message: string, options: HubErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = RETRYABLE_CODES.has(code);
    if (options.version !== undefined) this.version = options.version;
    if (options.fence !== undefined) this.fence = options.fence;
  }
}

/** The HubError an `error` frame stands for. */
export function errorFromFrame(frame: ErrorFrame): HubError {
  return new HubError(frame.code, frame.message, {
    ...(frame.version !== undefined && { version: frame.version }),
    ...(frame.fence !== undefined && { fence: frame.fence }),
  });
}

// Close codes the hub uses to refuse or end a session; anything else means "the hub is gone".
const CLOSE_CODE_ERRORS: ReadonlyMap<number, ErrorCode> = new Map<number, ErrorCode>([
  [CloseCode.badHello, 'bad_request'],
  [CloseCode.unauthorized, 'unauthorized'],
  [CloseCode.forbidden, 'forbidden'],
  [CloseCode.timeout, 'timeout'],
  [CloseCode.sessionInUse, 'conflict'],
  [CloseCode.rateLimited, 'rate_limited'],
  [CloseCode.tooLarge, 'too_large'],
]);

/** The HubError a WebSocket close stands for; `reason` is the hub's close reason, if any. */
export function errorFromClose(code: number, reason: string, cause?: unknown): HubError {
  const errorCode = CLOSE_CODE_ERRORS.get(code) ?? 'unavailable';
  const detail = reason ? `: ${reason}` : '';
  return new HubError(errorCode, `connection closed (${code})${detail}`, cause === undefined ? {} : { cause });
}
