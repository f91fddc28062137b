// Errors as data: a handler returns a Failure instead of throwing, and the connection turns it
// into one `error` frame.
import type { ErrorCode } from '@switchboard/protocol';

export interface Failure {
  failure: true;
  code: ErrorCode;
  message: string;
  /** Extra fields for the error frame (e.g. `version` on conflict). */
  extra?: Record<string, unknown>;
}

export function fail(code: ErrorCode, message: string, extra?: Record<string, unknown>): Failure {
  return extra ? { failure: true, code, message, extra } : { failure: true, code, message };
}

export function isFailure(value: unknown): value is Failure {
  return typeof value === 'object' && value !== null && (value as Failure).failure === true;
}
