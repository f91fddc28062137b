// The hub serving the dashboard's files (server/src/static.ts): the page and its assets with
// their content types and cache headers, no way out of the assets folder, a clear 503 when the
// dashboard was not built, and the hub's own routes unchanged around it.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assetName, serveDashboard } from '../../server/src/static.js';
import { useHubs } from '../hub/support.js';

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A GET (or other method) with the path sent exactly as given, unlike fetch, which normalizes '..'. */
function raw(port: number, path: string, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A server that serves `root` like the hub does and answers 404 for anything else. */
async function staticServer(root: string): Promise<{ port: number; server: Server }> {
  const server = createServer((req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://x');
    void serveDashboard(req, res, pathname, root).then((served) => {
      if (!served) res.writeHead(404).end('not here');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, server };
}

describe('dashboard files', () => {
  let dir: string;
  let port: number;
  let server: Server;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sb-static-'));
    const root = join(dir, 'dist');
    mkdirSync(join(root, 'assets'), { recursive: true });
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>dash</title>');
    writeFileSync(join(root, 'assets', 'app-ABCD2345.js'), 'console.log(1)');
    writeFileSync(join(root, 'assets', 'app-ABCD2345.css'), 'body{}');
    writeFileSync(join(root, 'assets', 'logo.svg'), '<svg/>');
    writeFileSync(join(root, 'assets', '.hidden'), 'no');
    mkdirSync(join(root, 'assets', 'sub'));
    writeFileSync(join(root, 'assets', 'sub', 'x.js'), 'no');
    writeFileSync(join(dir, 'secret.txt'), 'SECRET');
    writeFileSync(join(root, 'secret.txt'), 'SECRET');
    ({ port, server } = await staticServer(root));
  });

  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('GET / is the page: HTML, revalidated on every load, with a content security policy', async () => {
    for (const path of ['/', '/index.html']) {
      const res = await raw(port, path);
      expect(res.status, path).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['content-security-policy']).toMatch(/default-src 'self'/);
      expect(res.body).toBe('<!doctype html><title>dash</title>');
    }
  });

  it('hashed assets are cached for good, others revalidated; types follow the extension', async () => {
    const js = await raw(port, '/assets/app-ABCD2345.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(js.headers['content-length']).toBe(String('console.log(1)'.length));
    expect(js.body).toBe('console.log(1)');
    const css = await raw(port, '/assets/app-ABCD2345.css');
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    const svg = await raw(port, '/assets/logo.svg');
    expect(svg.headers['content-type']).toBe('image/svg+xml');
    expect(svg.headers['cache-control']).toBe('no-cache');
  });

  it('HEAD answers the headers without a body', async () => {
    const res = await raw(port, '/assets/app-ABCD2345.js', 'HEAD');
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe(String('console.log(1)'.length));
    expect(res.body).toBe('');
  });

  it('no path leaves the assets folder: traversal, encoded separators, dot files and sub-folders are not served', async () => {
    const attempts = [
      '/assets/../secret.txt',
      '/assets/..%2Fsecret.txt',
      '/assets/..%2F..%2Fsecret.txt',
      '/assets/%2e%2e/secret.txt',
      '/assets/%2e%2e%2fsecret.txt',
      '/assets/..%5Csecret.txt',
      '/assets/..\\secret.txt',
      '/assets/.hidden',
      '/assets/sub/x.js',
      '/assets/sub%2Fx.js',
      '/assets/',
      '/assets/%00',
      '/assets/%E0%A4%A',
      '/secret.txt',
      '/assets/nope.js',
    ];
    for (const path of attempts) {
      const res = await raw(port, path);
      expect(res.status, path).toBe(404);
      expect(res.body, path).not.toContain('SECRET');
    }
    expect(assetName('app-ABCD2345.js')).toBe('app-ABCD2345.js');
    for (const bad of ['..', '.', '', '%2e%2e', 'a%2Fb', 'a/b', 'a\\b', '.env', '%00', '%E0%A4%A']) expect(assetName(bad), bad).toBeNull();
  });

  it('without a build, GET / is a 503 page that says how to build', async () => {
    const missing = await staticServer(join(dir, 'not-built'));
    try {
      const res = await raw(missing.port, '/');
      expect(res.status).toBe(503);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toContain('dashboard not built: run npm run build');
      expect((await raw(missing.port, '/assets/app-ABCD2345.js')).status).toBe(404);
    } finally {
      await new Promise((resolve) => missing.server.close(resolve));
    }
  });
});

describe('the hub serves the dashboard', () => {
  const { hub: startHub } = useHubs();

  it('beside its own routes: / is HTML (200, or 503 before a build), /healthz stays JSON, other methods 405', async () => {
    const hub = await startHub();
    const { port } = new URL(hub.httpUrl);
    const page = await raw(Number(port), '/');
    expect([200, 503]).toContain(page.status);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect((await raw(Number(port), '/healthz')).headers['content-type']).toMatch(/^application\/json/);
    expect((await raw(Number(port), '/', 'POST')).status).toBe(405);
    const lost = await raw(Number(port), '/assets/..%2F..%2Fpackage.json');
    expect(lost.status).toBe(404);
    expect(JSON.parse(lost.body)).toMatchObject({ code: 'not_found' });
  });
});
