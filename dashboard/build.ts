// Builds the dashboard: bundles src/main.ts (with the client SDK and its CSS) for browsers with
// esbuild into dist/assets/ under content-hashed names, and writes dist/index.html pointing at
// them. `npm run build` (and so `npm ci`, through the root `prepare`) runs it; the hub serves dist/.
import { readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import type { Plugin } from 'esbuild';

const HERE = fileURLToPath(new URL('.', import.meta.url));

export interface BuildResult {
  outdir: string;
  /** Paths of the written files, relative to outdir. */
  files: string[];
  ms: number;
}

/** Builds into `outdir` (default dashboard/dist), replacing what was there. */
export async function buildDashboard(outdir = join(HERE, 'dist')): Promise<BuildResult> {
  const started = performance.now();
  await rm(outdir, { recursive: true, force: true });
  const result = await build({
    absWorkingDir: HERE,
    entryPoints: { app: join(HERE, 'src/main.ts') },
    outdir: join(outdir, 'assets'),
    entryNames: '[name]-[hash]',
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022', 'chrome100', 'firefox100', 'safari15'],
    minify: true,
    sourcemap: 'linked',
    legalComments: 'none',
    metafile: true,
    logLevel: 'silent',
    plugins: [zodEnglishOnly],
  });
  const outputs = Object.entries(result.metafile.outputs);
  const entry = outputs.find(([, out]) => out.entryPoint !== undefined && out.cssBundle !== undefined);
  if (!entry) throw new Error('dashboard build: esbuild produced no script with a CSS bundle');
  const [script, { cssBundle }] = entry;
  const html = (await readFile(join(HERE, 'src/index.html'), 'utf8'))
    .replace('<!-- build:css -->', `<link rel="stylesheet" href="assets/${basename(cssBundle!)}">`)
    .replace('<!-- build:js -->', `<script type="module" src="assets/${basename(script)}"></script>`);
  await writeFile(join(outdir, 'index.html'), html);
  // Metafile paths are relative to absWorkingDir.
  const files = ['index.html', ...outputs.map(([path]) => relative(outdir, join(HERE, path)))].sort();
  return { outdir, files, ms: Math.round(performance.now() - started) };
}

/**
 * zod's `z` namespace re-exports every message locale (`z.locales`), which keeps all 40-odd of them
 * in the bundle: half its size. Neither the SDK nor the page switches locale, so the bundle gets
 * only the default one, English.
 */
const zodEnglishOnly: Plugin = {
  name: 'zod-english-only',
  setup(build) {
    build.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]/.test(args.importer) ? { path: join(args.resolveDir, '../locales/index.js'), namespace: 'zod-locales' } : undefined);
    build.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(join(args.path, '../en.js'))};`,
      resolveDir: join(args.path, '..'),
    }));
  },
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { outdir, files, ms } = await buildDashboard();
  console.log(`dashboard built in ${ms} ms → ${relative(process.cwd(), outdir) || '.'}: ${files.join(', ')}`);
}
