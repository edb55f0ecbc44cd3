// Module hooks that load a user's TypeScript family file (`--env ./family.ts`) wherever it sits: a
// folder with no package.json, or one whose package.json says CommonJS, still gets ES module
// semantics, because the family contract is an ES module's default export. esbuild strips the
// types file by file; relative imports may name the `.ts` file, its `.js` twin, or no extension.
// Plain JavaScript on purpose: Node loads hooks before any TypeScript loader could run.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** @type {string | null} files under this URL are left to the loader already in place (tsx) */
let skipUnder = null;
/** @type {Promise<typeof import('esbuild')> | null} */
let esbuild = null;

/** @param {{ skipUnder?: string } | undefined} data */
export function initialize(data) {
  skipUnder = data?.skipUnder ?? null;
}

const TYPESCRIPT = /\.(ts|mts|cts)$/;

/** @param {string} url */
function ours(url) {
  const path = url.replace(/[?#].*$/, ''); // a family module's URL carries its stamp as a query
  return path.startsWith('file:') && TYPESCRIPT.test(path) && !path.includes('/node_modules/') && !(skipUnder && path.startsWith(skipUnder));
}

/**
 * @param {string} specifier
 * @param {{ parentURL?: string }} context
 * @param {(specifier: string, context: object) => Promise<{ url: string }>} nextResolve
 */
export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    const parent = context.parentURL;
    const relative = specifier.startsWith('./') || specifier.startsWith('../');
    if (!relative || !parent || !ours(parent) || /** @type {{ code?: string }} */ (error).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    for (const candidate of [specifier.replace(/\.js$/, '.ts'), `${specifier}.ts`]) {
      if (candidate === specifier) continue;
      try {
        return await nextResolve(candidate, context);
      } catch {
        // try the next spelling
      }
    }
    throw error;
  }
}

/**
 * @param {string} url
 * @param {object} context
 * @param {(url: string, context: object) => Promise<object>} nextLoad
 */
export async function load(url, context, nextLoad) {
  if (!ours(url)) return nextLoad(url, context);
  esbuild ??= import('esbuild');
  const path = fileURLToPath(url);
  const source = await readFile(path, 'utf8');
  const { code } = await (await esbuild).transform(source, { loader: 'ts', format: 'esm', target: 'node20', sourcefile: path, sourcemap: 'inline' });
  return { format: 'module', source: code, shortCircuit: true };
}
