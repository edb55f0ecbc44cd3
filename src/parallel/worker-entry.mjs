// The entry of every pool worker: the sources are TypeScript, and module hooks registered in the
// main thread (bin/l2o.js, or node --import tsx) do not reach a worker thread, so it registers tsx
// itself before loading the worker loop.
const { register } = await import('tsx/esm/api');
register();
await import('./worker.ts');
