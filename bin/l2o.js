#!/usr/bin/env node
// The l2o command runs the compiled CLI in dist/ (`npm run build`; `npm install` in a checkout builds
// it through `prepare`). Once dist/src/cli/main.js has loaded, its error boundary reports every error;
// this file reports only what fails before that, in the same format (docs/cli.md, "Errors").
try {
  await import('../dist/src/cli/main.js');
} catch (error) {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/src/cli/main.js')) {
    process.stderr.write('error: the compiled CLI is missing; run `npm run build` in the package directory\n');
    process.exit(1);
  }
  const debug = !['', '0', 'false'].includes((process.env.L2O_DEBUG ?? '').trim().toLowerCase());
  const message = String(error instanceof Error ? error.message : error).split('\n')[0];
  process.stderr.write(`error: internal error: ${message}\n`);
  process.stderr.write(debug ? `${error?.stack ?? '(no stack)'}\n` : 'this is a bug in l2o, not in what you gave it; rerun with L2O_DEBUG=1 to print its stack trace\n');
  process.exit(2);
}
