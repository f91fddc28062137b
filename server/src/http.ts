// The hub's plain HTTP endpoints, on the same port as the WebSocket: health, readiness, metrics
// (metrics-http.ts), sessions, and the dashboard page (static.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Hub } from './hub.js';
import { serveMetrics } from './metrics-http.js';
import { serveDashboard } from './static.js';

export async function handleHttp(hub: Hub, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const url = new URL(req.url ?? '/', 'http://hub');
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { code: 'bad_request', message: 'only GET' });
    switch (url.pathname) {
      case '/healthz':
        return json(res, 200, { ok: true, node: hub.nodeId });
      case '/metrics':
        return serveMetrics(hub, req, res);
      case '/readyz': {
        const ready = await hub.engine.ready().catch(() => false);
        return json(res, ready ? 200 : 503, { ready, node: hub.nodeId, engine: hub.engine.name });
      }
      case '/v1/sessions': {
        const auth = await hub.auth.verify(bearer(req) ?? url.searchParams.get('token') ?? undefined);
        if (!auth.ok) return json(res, 401, { code: 'unauthorized', message: auth.message });
        return json(res, 200, { sessions: await hub.engine.sessions(auth.principal.ns) });
      }
      default:
        if (await serveDashboard(req, res, url.pathname)) return;
        return json(res, 404, { code: 'not_found', message: `no route ${url.pathname}` });
    }
  } catch (err) {
    hub.log.error({ err, path: req.url?.split('?')[0] }, 'http request failed');
    if (!res.headersSent) json(res, 500, { code: 'internal', message: 'internal error' });
  }
}

function bearer(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice(7) : undefined;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}
