/**
 * Bundles a service entry with esbuild (node, esm) so that `fastly:<name>`
 * imports resolve to `local-runtime/fastly/<name>.ts` and the bundle's
 * `fetch`, `addEventListener` and `Request` come from the shim, then imports
 * the bundle with the instance marked as "loading" so that its top-level
 * `addEventListener('fetch', …)` registers with that instance.
 */
import { build, type Plugin } from 'esbuild';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { slot, type HostApi, type Scope } from './context.ts';

const HERE = dirname(fileURLToPath(import.meta.url));

export class LoadError extends Error {
  override name = 'LoadError';
}

function fastlyModules(): Plugin {
  return {
    name: 'fastly-modules',
    setup(b) {
      b.onResolve({ filter: /^fastly:/ }, (args) => {
        const name = args.path.slice('fastly:'.length);
        const path = join(HERE, 'fastly', `${name}.ts`);
        if (!/^[a-z-]+$/.test(name) || !existsSync(path)) {
          return { errors: [{ text: `local-runtime does not emulate '${args.path}' (no local-runtime/fastly/${name}.ts)` }] };
        }
        return { path };
      });
    },
  };
}

/** Bundles `entry` and returns the ESM source. */
export async function bundleService(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [resolve(entry)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    logLevel: 'silent',
    sourcemap: 'inline',
    conditions: ['fastly'],
    inject: [join(HERE, 'shim.ts')],
    plugins: [fastlyModules()],
  }).catch((err: { errors?: { text: string; location?: { file: string; line: number } | null }[] }) => {
    const lines = (err.errors ?? []).map((e) => (e.location ? `${e.location.file}:${e.location.line}: ${e.text}` : e.text));
    throw new LoadError(`could not bundle ${entry}:\n${lines.join('\n') || String(err)}`);
  });
  const out = result.outputFiles[0];
  if (!out) throw new LoadError(`could not bundle ${entry}: esbuild produced no output`);
  return out.text;
}

const nativeImport = (url: string): Promise<unknown> => import(/* @vite-ignore */ url);

let queue: Promise<unknown> = Promise.resolve();
let counter = 0;

/**
 * Bundles and evaluates the service for `host`. Loads are serialised: the
 * bundle's top level runs with `host` as the loading instance, and host APIs
 * called at that time throw as they do at Wizer time.
 */
export function loadService(entry: string, host: HostApi): Promise<void> {
  const run = async (): Promise<void> => {
    const code = await bundleService(entry);
    const dir = await mkdtemp(join(tmpdir(), 'govuk-failover-local-runtime-'));
    const file = join(dir, `service-${process.pid}-${++counter}.mjs`);
    await writeFile(file, code);
    const s = slot();
    s.loading = host;
    const scope: Scope = { host, phase: 'init' };
    try {
      await s.als.run(scope, () => nativeImport(pathToFileURL(file).href));
    } catch (err) {
      if (scope.trap === undefined) throw new LoadError(`service ${entry} threw while initialising: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    } finally {
      s.loading = undefined;
      await rm(dir, { recursive: true, force: true });
    }
    if (scope.trap !== undefined) throw new LoadError(`service ${entry}: the \`wizer.initialize\` function trapped: ${scope.trap} (js-compute-runtime fails the build)`);
  };
  const p = queue.then(run, run);
  queue = p.catch(() => undefined);
  return p;
}
