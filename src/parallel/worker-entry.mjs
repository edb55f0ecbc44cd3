// The entry of a pool worker when the sources run through tsx; the compiled package starts worker.js
// directly. Module hooks registered in the main thread (node --import tsx) do not reach a worker
// thread, so it registers tsx itself before loading the worker loop.
const { register } = await import('tsx/esm/api');
register();
await import('./worker.ts');
