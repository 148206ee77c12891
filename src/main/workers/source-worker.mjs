// Runs a TypeScript worker entry from source (tests and development only; the built app runs
// out/main/nmf.worker.js directly). Loader flags such as `--import tsx` are not applied inside
// worker threads on Node 20, so the TypeScript loader is registered here before importing.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.sourceEntry);
