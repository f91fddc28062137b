// Who may join, and in which namespace: HS256 tokens signed with SWITCHBOARD_SECRET.
// Without a secret the hub is open and every session lives in the default namespace.
import { jwtVerify } from 'jose';

export const DEFAULT_NAMESPACE = 'default';
const NAMESPACE = /^[A-Za-z0-9._-]{1,64}$/;

export type AuthResult = { ok: true; ns: string } | { ok: false; message: string };

export class Authenticator {
  private readonly key: Uint8Array | null;

  constructor(secret: string | undefined) {
    this.key = secret ? new TextEncoder().encode(secret) : null;
  }

  get required(): boolean {
    return this.key !== null;
  }

  async verify(token: string | undefined): Promise<AuthResult> {
    if (!this.key) return { ok: true, ns: DEFAULT_NAMESPACE };
    if (!token) return { ok: false, message: 'token required' };
    try {
      const { payload } = await jwtVerify(token, this.key, { algorithms: ['HS256'] });
      if (payload.ns === undefined) return { ok: true, ns: DEFAULT_NAMESPACE };
      if (typeof payload.ns !== 'string' || !NAMESPACE.test(payload.ns)) return { ok: false, message: 'token claim "ns" is not a valid namespace' };
      return { ok: true, ns: payload.ns };
    } catch {
      return { ok: false, message: 'invalid or expired token' };
    }
  }
}
