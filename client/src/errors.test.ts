// HubError: codes, the retryable flag, and the mappings from error frames and close codes.
import { CloseCode, RETRYABLE_CODES } from '@switchboard/protocol';
import type { ErrorCode } from '@switchboard/protocol';
import { describe, expect, it } from 'vitest';
import { HubError, errorFromClose, errorFromFrame } from './errors.js';

describe('HubError', () => {
  it('is an Error with a code, and retryable exactly for RETRYABLE_CODES', () => {
    const codes: ErrorCode[] = ['bad_request', 'not_found', 'conflict', 'rate_limited', 'unavailable', 'timeout', 'internal'];
    for (const code of codes) {
      const err = new HubError(code, 'x');
      expect(err).toBeInstanceOf(Error);
      expect(err.name).toBe('HubError');
      expect(err.code).toBe(code);
      expect(err.retryable).toBe(RETRYABLE_CODES.has(code));
    }
    expect(new HubError('timeout', 'x').retryable).toBe(true);
    expect(new HubError('conflict', 'x').retryable).toBe(false);
  });

  it('keeps cause and version', () => {
    const cause = new Error('under');
    const err = new HubError('conflict', 'x', { version: 3, cause });
    expect(err.version).toBe(3);
    expect(err.cause).toBe(cause);
    expect(new HubError('internal', 'x').version).toBeUndefined();
  });
});

describe('errorFromFrame', () => {
  it('takes code, message and the conflict version from an error frame', () => {
    const err = errorFromFrame({ type: 'error', rid: '1', code: 'conflict', message: 'version of "k" is 2', version: 2 });
    expect(err).toBeInstanceOf(HubError);
    expect(err.code).toBe('conflict');
    expect(err.message).toBe('version of "k" is 2');
    expect(err.version).toBe(2);
    expect(errorFromFrame({ type: 'error', code: 'rate_limited', message: 'slow down' }).retryable).toBe(true);
  });
});

describe('errorFromClose', () => {
  it('maps the hub refusal codes', () => {
    expect(errorFromClose(CloseCode.badHello, '').code).toBe('bad_request');
    expect(errorFromClose(CloseCode.unauthorized, 'bad token').code).toBe('unauthorized');
    expect(errorFromClose(CloseCode.forbidden, 'kicked by an admin').code).toBe('forbidden');
    expect(errorFromClose(CloseCode.sessionInUse, '').code).toBe('conflict');
    expect(errorFromClose(CloseCode.timeout, '').code).toBe('timeout');
    expect(errorFromClose(CloseCode.rateLimited, '').code).toBe('rate_limited');
  });

  it('treats everything else as the hub being unavailable, keeping the reason', () => {
    const err = errorFromClose(1006, 'connect ECONNREFUSED');
    expect(err.code).toBe('unavailable');
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('1006');
    expect(err.message).toContain('ECONNREFUSED');
    expect(errorFromClose(CloseCode.goingAway, '').code).toBe('unavailable');
  });
});
