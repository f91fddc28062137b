// Error codes and WebSocket close codes: the stable strings and numbers a client may branch on.

export const ErrorCode = {
  bad_request: 'bad_request',
  unknown_type: 'unknown_type',
  unauthorized: 'unauthorized',
  forbidden: 'forbidden',
  not_found: 'not_found',
  conflict: 'conflict',
  too_large: 'too_large',
  rate_limited: 'rate_limited',
  /** A fixed cap was reached (sessions per token, watches per session, keys per namespace); retrying will not help until something is freed. */
  limit_exceeded: 'limit_exceeded',
  unavailable: 'unavailable',
  timeout: 'timeout',
  internal: 'internal',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
export const ERROR_CODES = Object.values(ErrorCode) as [ErrorCode, ...ErrorCode[]];

/** Codes where the same request may succeed if tried again later. */
export const RETRYABLE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['rate_limited', 'unavailable', 'timeout']);

export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  internalError: 1011,
  tryAgainLater: 1013,
  tooLarge: 1009,
  badHello: 4400,
  unauthorized: 4401,
  timeout: 4408,
  forbidden: 4403,
  sessionInUse: 4409,
  rateLimited: 4429,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** Close codes after which reconnecting with the same hello cannot succeed. */
export const FATAL_CLOSE_CODES: ReadonlySet<number> = new Set<number>([CloseCode.badHello, CloseCode.unauthorized, CloseCode.forbidden]);
