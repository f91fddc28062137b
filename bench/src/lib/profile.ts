// Summarises a V8 .cpuprofile (from `node --cpu-prof`) by self time, within a time window. Native
// and Node-internal frames (a socket write, JSON.stringify, a stream) are charged to the nearest
// caller in user land — a package or a server/protocol source file — since that is what to change.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export interface Cost {
  name: string;
  /** Share of busy time, in %. */
  percent: number;
}

export interface ProfileSummary {
  busySeconds: number;
  /** Self time by function, natives shown with the user-land caller they ran for. */
  functions: Cost[];
  /** Self time by package or source file (natives charged to their user-land caller), GC, idle excluded. */
  areas: Cost[];
}

/** `fromMs`/`toMs`: the window to count, in ms after the profile started. */
export function summariseProfile(path: string, window: { fromMs: number; toMs: number }, top = 12): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  let t = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    t += dt;
    if (t >= window.fromMs * 1000 && t <= window.toMs * 1000) selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
  });
  const owner = (id: number): ProfileNode | null => {
    for (let n = byId.get(id); n; n = byId.get(parent.get(n.id) ?? -1)) if (userLand(n.callFrame.url)) return n;
    return null;
  };
  const functions = new Map<string, number>();
  const areas = new Map<string, number>();
  let busy = 0;
  const add = (m: Map<string, number>, key: string, us: number) => m.set(key, (m.get(key) ?? 0) + us);
  for (const [id, us] of selfUs) {
    const { functionName, url } = byId.get(id)!.callFrame;
    if (functionName === '(idle)') continue;
    busy += us;
    const own = owner(id);
    const name = functionName || '(anonymous)';
    if (functionName === '(garbage collector)' || functionName === '(program)' || !own) {
      add(areas, functionName === '(garbage collector)' ? 'GC' : url ? 'Node internals' : name, us);
      add(functions, url ? `${name} (${shortUrl(url)})` : name, us);
      continue;
    }
    add(areas, areaOf(own.callFrame.url), us);
    add(functions, own.id === id ? `${name} (${shortUrl(url)})` : `${name} ← ${own.callFrame.functionName || '(anonymous)'} (${shortUrl(own.callFrame.url)})`, us);
  }
  const rank = (m: Map<string, number>) =>
    [...m].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, us]) => ({ name, percent: Math.round((us / busy) * 1000) / 10 }));
  return { busySeconds: Math.round(busy / 1e4) / 100, functions: rank(functions), areas: rank(areas) };
}

function userLand(url: string): boolean {
  return /node_modules\/|\/(server|protocol)\/src\//.test(url);
}

function shortUrl(url: string): string {
  return url.replace(/^file:\/\/.*?\/node_modules\//, '').replace(/^file:\/\/.*?\/(server|protocol)\//, '$1/');
}

/** The package, or the server/protocol source file, a user-land frame belongs to. */
function areaOf(url: string): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  return pkg ? pkg[1]! : shortUrl(url);
}
