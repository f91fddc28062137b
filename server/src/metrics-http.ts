// GET /metrics: the Prometheus exposition of this node, open unless a metrics token is set
// (it holds counts and latencies, never session contents).
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Hub } from './hub.js';

export async function serveMetrics(hub: Hub, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { token } = hub.metrics;
  if (token !== undefined && !bearerMatches(req.headers.authorization, token)) {
    res.writeHead(401, { 'content-type': 'application/json', 'cache-control': 'no-store', 'www-authenticate': 'Bearer' });
    res.end(JSON.stringify({ code: 'unauthorized', message: 'GET /metrics needs Authorization: Bearer <metrics token>' }));
    return;
  }
  const body = await hub.metrics.scrape();
  res.writeHead(200, { 'content-type': hub.metrics.contentType, 'cache-control': 'no-store' });
  res.end(body);
}

/** Constant-time comparison, so response timing does not reveal how much of a guess was right. */
function bearerMatches(header: string | undefined, token: string): boolean {
  if (!header?.startsWith('Bearer ')) return false;
  const given = Buffer.from(header.slice(7));
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
