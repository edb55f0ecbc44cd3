#!/usr/bin/env node
// The l2o command runs the compiled CLI in dist/ (`npm run build`; `npm install` in a checkout builds
// it through `prepare`).
try {
  await import('../dist/src/cli/main.js');
} catch (error) {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/src/cli/main.js')) {
    process.stderr.write('l2o: the compiled CLI is missing; run `npm run build` in the package directory\n');
    process.exit(1);
  }
  throw error;
}
