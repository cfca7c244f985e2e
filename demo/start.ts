/**
 * `npm start`: the whole service on this machine, no account and no network.
 * Starts a demo origin (the live site: demo/mirror/'s pages and a sitemap,
 * see demo-world.ts) and the three mirrors (each a copy of demo/mirror/, a
 * sample of the crawler's layout, with its own differences) on the loopback
 * ports that fastly.toml names, then the service on 127.0.0.1:7676: from src/
 * in the local runtime, or, with `-- --engine viceroy`, bin/main.wasm in
 * Viceroy. The origin can be switched between healthy, 503, refusing and hung.
 */
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { resolve } from 'node:path';
import { emitKeypressEvents } from 'node:readline';
import { startLocalRuntime } from '../local-runtime/index.ts';
import { locateViceroy } from '../viceroy/locate.ts';
import { startViceroy } from '../viceroy/server.ts';
import { type Behaviour, type BucketDir, makeBucketDir, startStubBackend, type StubBackend } from '../stubs/index.ts';
import { MIRRORS } from '../src/core/backends.ts';
import { liveSite, mirrorBehaviour, mirrorFiles, readTree } from './demo-world.ts';
import { manifestPorts } from './manifest-ports.ts';

const SERVICE_PORT = Number(process.env.PORT ?? 7676);
const CONTROL_PORT = Number(process.env.CONTROL_PORT ?? 18080);
const CRAWL_ROOT = resolve(import.meta.dirname, 'mirror');
const OLDER_ROOT = resolve(import.meta.dirname, 'older');
// `private` keeps the demo origin's pages out of the edge cache, so every switch shows at once
// (a cached or stale copy would otherwise be served before any mirror, as in production).
const LIVE_HEADERS = { 'Cache-Control': 'private' };

function originModes(site: Behaviour): Record<string, { key: string; behaviour: Behaviour; says: string }> {
  return {
    healthy: { key: 'h', behaviour: site, says: 'serves the live site, 200 (Cache-Control: private)' },
    '503': { key: '5', behaviour: { kind: 'status', status: 503 }, says: 'answers 503' },
    refuse: { key: 'r', behaviour: { kind: 'refuse' }, says: 'refuses connections' },
    hang: { key: 'x', behaviour: { kind: 'hang' }, says: 'accepts and never answers' },
  };
}

const USAGE = `usage: npm start [-- --engine local-runtime|viceroy] [--skip-build]

  --engine local-runtime   src/ in the local runtime, a Node double of Compute (default)
  --engine viceroy         bin/main.wasm in Viceroy, Fastly's own local runtime (npm run viceroy:install)
  --skip-build             with viceroy: use bin/main.wasm as it is instead of running npm run build`;

type EngineName = 'local-runtime' | 'viceroy';

function parseArgs(argv: readonly string[]): { engine: EngineName; build: boolean } {
  let engine: EngineName = 'local-runtime';
  let build = true;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = arg.startsWith('--engine=') ? arg.slice('--engine='.length) : arg === '--engine' ? argv[++i] : undefined;
    if (value !== undefined) {
      if (value !== 'local-runtime' && value !== 'viceroy') throw new UsageError(`--engine ${JSON.stringify(value)} is not an engine; use local-runtime or viceroy`);
      engine = value;
    } else if (arg === '--skip-build') build = false;
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else throw new UsageError(`unknown argument ${JSON.stringify(arg)}`);
  }
  return { engine, build };
}

class UsageError extends Error {}

/** The service on SERVICE_PORT, in the chosen engine. */
async function startService(engine: EngineName, build: boolean): Promise<{ url: string; describe: string; close(): Promise<void> }> {
  if (engine === 'local-runtime') {
    const runtime = await startLocalRuntime({ manifestPath: 'fastly.toml', port: SERVICE_PORT });
    return { url: runtime.url, describe: 'from src/, in the local runtime', close: () => runtime.close() };
  }
  const viceroy = locateViceroy();
  if (!viceroy.found) throw new Error(`cannot start Viceroy: ${viceroy.reason}`);
  if (build) {
    process.stdout.write('Building bin/main.wasm (npm run build)…\n');
    execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
  }
  process.stdout.write(`Starting viceroy ${viceroy.version} (${viceroy.path}); it compiles the wasm first, which takes a few seconds…\n`);
  const server = await startViceroy({ viceroy: viceroy.path, wasm: 'bin/main.wasm', manifest: 'fastly.toml', addr: `127.0.0.1:${SERVICE_PORT}`, echo: true });
  return { url: server.url, describe: `bin/main.wasm, in Viceroy ${viceroy.version}`, close: () => server.close() };
}

async function main(): Promise<void> {
  const { engine, build } = parseArgs(process.argv.slice(2));
  const ports = manifestPorts('fastly.toml');
  const [crawl, older] = await Promise.all([readTree(CRAWL_ROOT), readTree(OLDER_ROOT)]);
  const modes = originModes(liveSite(crawl, new Date(), LIVE_HEADERS));
  const buckets: BucketDir[] = [];
  const stubs: StubBackend[] = [await startStubBackend({ id: 'origin', port: ports.origin, behaviour: modes.healthy!.behaviour })];
  for (const name of MIRRORS) {
    const bucket = await makeBucketDir(mirrorFiles(crawl, older, name));
    buckets.push(bucket);
    const plain: Behaviour = { kind: 'bucket', root: bucket.root, missingStatus: 403, flavour: name === 'mirrorGCS' ? 'gcs' : 's3' };
    stubs.push(await startStubBackend({ id: name, port: ports[name], behaviour: mirrorBehaviour(name, plain) }));
  }
  const origin = stubs[0]!;
  const runtime = await startService(engine, build);

  const setOrigin = async (mode: string): Promise<string> => {
    const chosen = modes[mode];
    if (!chosen) return `unknown mode ${JSON.stringify(mode)}; use one of ${Object.keys(modes).join(', ')}`;
    await origin.setBehaviour(chosen.behaviour);
    return `origin is now ${mode}: it ${chosen.says}`;
  };
  const control = await startControl(setOrigin, Object.keys(modes));

  const url = runtime.url;
  process.stdout.write(`
govuk-failover is running locally.

  service      ${url}   (the edge service, ${runtime.describe})
  origin       http://127.0.0.1:${ports.origin}   (demo origin: ${modes.healthy!.says})
  mirrors      http://127.0.0.1:${ports.mirrorS3}, :${ports.mirrorS3Replica}, :${ports.mirrorGCS}   (copies of demo/mirror/: mirrorS3Replica holds an
               older /guidance/cost-of-living-payment and fails on /government/organisations, mirrorGCS lacks
               /government/news/new-state-pension-rates)

Try:
  curl -i ${url}/browse/benefits
  curl -i ${url}/help/about%20cookies
  curl -i -H 'Backend-Override: origin' ${url}/browse/benefits
  curl -i -H 'Backend-Override: mirrorS3' ${url}/browse/benefits
  curl -i -H 'Backend-Override: mirrorS3Replica' ${url}/browse/benefits/
  curl -i -H 'Backend-Override: mirrorGCS' ${url}/
  curl -i -H 'Backend-Override: mirrorS3' ${url}/not-in-the-mirror
  curl -i -H 'Backend-Override: mirrorS4' ${url}/

Compare origin with every mirror, and see how far behind each mirror is:
  npx govuk-failover drift --sitemap --service ${url}
  npx govuk-failover freshness --service ${url}

Break the origin and watch the mirrors answer (Fastly-Backend-Name, Fastly-Failover, Server-Timing):
  curl -X POST http://127.0.0.1:${CONTROL_PORT}/origin/503       (or healthy, refuse, hang)
${process.stdin.isTTY ? `  or press: h healthy, 5 answers 503, r refuses, x hangs; q quits\n` : ''}
Each request prints one log line (failover_log :: {...}). Ctrl-C stops everything.

`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nStopping…\n');
    await runtime.close();
    await Promise.all(stubs.map((s) => s.close()));
    await Promise.all(buckets.map((b) => b.cleanup()));
    await new Promise((r) => control.close(r));
    if (process.stdin.isTTY) process.stdin.setRawMode(false);
    process.stdin.pause();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  if (process.stdin.isTTY) {
    emitKeypressEvents(process.stdin);
    process.stdin.setRawMode(true);
    process.stdin.on('keypress', (_text: string, key: { name?: string; ctrl?: boolean; sequence?: string }) => {
      if (key.name === 'q' || (key.ctrl && key.name === 'c')) return void stop();
      const mode = Object.entries(modes).find(([, m]) => m.key === key.sequence)?.[0];
      if (mode) void setOrigin(mode).then((line) => process.stdout.write(`${line}\n`));
    });
  }
}

/** A tiny control server: POST /origin/<mode> switches the demo origin. */
function startControl(setOrigin: (mode: string) => Promise<string>, modes: readonly string[]): Promise<Server> {
  const server = createServer((req, res) => {
    const match = /^\/origin\/([\w-]+)$/.exec(req.url ?? '');
    if (req.method !== 'POST' || !match) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`POST /origin/<mode>, mode one of: ${modes.join(', ')}\n`);
      return;
    }
    void setOrigin(match[1]!).then(
      (line) => {
        process.stdout.write(`${line}\n`);
        res.writeHead(line.startsWith('unknown') ? 400 : 200, { 'Content-Type': 'text/plain' }).end(`${line}\n`);
      },
      (error: Error) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${error.message}\n`),
    );
  });
  return new Promise((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(CONTROL_PORT, '127.0.0.1', () => resolveListen(server));
  });
}

main().catch((error: NodeJS.ErrnoException) => {
  if (error instanceof UsageError) {
    process.stderr.write(`npm start: ${error.message}\n${USAGE}\n`);
    process.exit(2);
  }
  const hint = error.code === 'EADDRINUSE' ? ' Another copy (or the scenario suite) is using the ports in fastly.toml; stop it first.' : '';
  process.stderr.write(`npm start: ${error.message}.${hint}\n`);
  process.exit(1);
});
