// The dashboard's built files (dashboard/dist), served on the hub's HTTP port: `GET /` is the
// page, `GET /assets/<name>` its bundle. Only flat, known-safe file names are served, so no
// request path can reach outside the assets folder.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where `npm run build` writes the dashboard. */
export const DASHBOARD_DIR = fileURLToPath(new URL('../../dashboard/dist/', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

// One path segment of plain characters, not starting with a dot: no '..', no '/', no '\', no NUL.
const ASSET_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;
// esbuild's `[name]-[hash]` names: the content decides the name, so they may be cached for good.
const HASHED = /-[A-Z0-9]{8}\.[a-z0-9]+$/;

// The page talks only to its own origin (HTTP for assets, WebSocket for the hub).
const PAGE_POLICY = "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Switchboard: dashboard not built</title></head>
<body style="font:16px system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem">
<h1>dashboard not built: run npm run build</h1>
<p>The hub is running; only its dashboard page is missing. Build it from the repository root with
<code>npm run build</code> (<code>npm ci</code> does this too), then reload.</p>
</body></html>
`;

/**
 * Answers `req` if `pathname` is a dashboard route and resolves true; resolves false for any
 * other path (and for an asset that does not exist), so the caller can answer 404 its own way.
 */
export async function serveDashboard(req: IncomingMessage, res: ServerResponse, pathname: string, root = DASHBOARD_DIR): Promise<boolean> {
  if (pathname === '/' || pathname === '/index.html') {
    const file = join(root, 'index.html');
    if (!(await isFile(file))) {
      send(res, req, 503, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }, NOT_BUILT);
      return true;
    }
    // Revalidated on every load, so a rebuilt dashboard is picked up at once.
    await sendFile(req, res, file, { 'cache-control': 'no-cache', 'content-security-policy': PAGE_POLICY });
    return true;
  }
  if (!pathname.startsWith('/assets/')) return false;
  const name = assetName(pathname.slice('/assets/'.length));
  if (name === null) return false;
  const file = join(root, 'assets', name);
  if (!(await isFile(file))) return false;
  const cache = HASHED.test(name) ? 'public, max-age=31536000, immutable' : 'no-cache';
  await sendFile(req, res, file, { 'cache-control': cache });
  return true;
}

/** The decoded file name, or null when it is not one plain path segment. */
export function assetName(raw: string): string | null {
  let name: string;
  try {
    name = decodeURIComponent(raw);
  } catch {
    return null;
  }
  return ASSET_NAME.test(name) ? name : null;
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isFile(), () => false);
}

async function sendFile(req: IncomingMessage, res: ServerResponse, file: string, headers: Record<string, string>): Promise<void> {
  const { size } = await stat(file);
  const type = CONTENT_TYPES[extname(file)] ?? 'application/octet-stream';
  res.writeHead(200, { 'content-type': type, 'content-length': size, 'x-content-type-options': 'nosniff', ...headers });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  await new Promise<void>((resolve, reject) => {
    const stream = createReadStream(file);
    stream.once('error', (err) => {
      res.destroy(err);
      reject(err);
    });
    res.once('close', resolve);
    stream.pipe(res);
  });
}

function send(res: ServerResponse, req: IncomingMessage, status: number, headers: Record<string, string>, body: string): void {
  res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body) });
  res.end(req.method === 'HEAD' ? undefined : body);
}
