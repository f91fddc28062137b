// Compiles the bench's own processes (load generator, floor, peer) to plain JS once per run, so each
// start is a bare `node` start rather than tsx's loader (about a second each on these machines).
// Switchboard itself is not compiled: it starts as users start it, `switchboard serve` through tsx.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const src = (p: string) => fileURLToPath(new URL(`../${p}`, import.meta.url));
const OUT = fileURLToPath(new URL('../../results/dist/', import.meta.url));

export const COMPILED = { load: `${OUT}load.mjs`, floor: `${OUT}floor.mjs`, peer: `${OUT}peer.mjs` };

export async function buildProcesses(): Promise<void> {
  await build({
    entryPoints: { load: src('load/main.ts'), floor: src('floor/server.ts'), peer: src('peer/server.ts') },
    outdir: OUT,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
  });
}
