/**
 * Starting a worker thread from a module of this build: .ts under tsx (the sources, the tests),
 * .js when compiled. The inference worker and the bench's onnxruntime probes start this way.
 */
import { Worker } from 'node:worker_threads';

/** The module `name` (without extension) beside the module at `here` (its import.meta.url), in the same form. */
export function moduleBeside(here: string, name: string): URL {
  const extension = here.endsWith('.ts') ? 'ts' : 'js';
  return new URL(`./${name}.${extension}`, here);
}

export function startWorker(url: URL, workerData: unknown): Worker {
  if (url.pathname.endsWith('.ts')) {
    // Node 20 passes --import tsx on to workers but does not apply its loader hooks there, so a
    // .ts worker registers tsx itself before importing its entry module.
    const tsx = import.meta.resolve('tsx/esm/api');
    const bootstrap = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(url.href)}); });`;
    return new Worker(bootstrap, { eval: true, workerData });
  }
  return new Worker(url, { workerData });
}
