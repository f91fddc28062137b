// Worker threads that run TypeScript test code (through tsx, as the hub's own bin does), and the
// one request/answer exchange the fuzz test has with them: post {op}, wait for an answer op.
import { Worker } from 'node:worker_threads';

export function tsWorker(file: URL): Worker {
  const boot = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(file.href)}); })`;
  return new Worker(boot, { eval: true });
}

/** Waits for a message with `op` (or `failed`, which rejects) from the worker. */
export function reply<T>(worker: Worker, op: string, timeoutMs: number, why: () => string | null = () => null): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      worker.off('message', onMessage);
      const crashed = why();
      reject(new Error(`worker sent no ${op} within ${timeoutMs} ms${crashed ? `: ${crashed}` : ''}`));
    }, timeoutMs);
    const onMessage = (m: { op: string; message?: string }) => {
      if (m.op !== op && m.op !== 'failed') return;
      clearTimeout(timer);
      worker.off('message', onMessage);
      if (m.op === 'failed') reject(new Error(`worker: ${m.message}`));
      else resolve(m as T);
    };
    worker.on('message', onMessage);
  });
}

/** Answers each request with what `handle` returns, or `failed` with the error. */
export function serve<R extends { op: string }>(port: import('node:worker_threads').MessagePort, handle: (request: R) => Promise<object>): void {
  port.on('message', (request: R) => {
    handle(request).then(
      (answer) => port.postMessage(answer),
      (err: Error) => port.postMessage({ op: 'failed', message: err.stack ?? err.message }),
    );
  });
  port.postMessage({ op: 'ready' });
}
