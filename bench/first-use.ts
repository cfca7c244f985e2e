/**
 * What the first use of an operation costs in a request on the real runtime,
 * against its second use in the same request: the probe service
 * (first-use-service.js, compiled by js-compute-runtime) times one operation
 * twice per request in Viceroy, 15 requests per operation, and this prints
 * the medians. It is why the service's hot path runs no regular expression
 * (BENCHMARKS.md, "The real runtime").
 *
 *   npx tsx bench/first-use.ts      (needs the pinned Viceroy)
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startStubBackend } from '../stubs/index.ts';
import { locateViceroy } from '../viceroy/locate.ts';
import { startViceroy } from '../viceroy/server.ts';
import { timedGet } from './client.ts';
import { percentile } from './stats.ts';

const REQUESTS = 15;
const viceroy = locateViceroy();
if (!viceroy.found) throw new Error(viceroy.reason);
const dir = await mkdtemp(join(tmpdir(), 'govuk-failover-first-use-'));
const origin = await startStubBackend({ id: 'origin', behaviour: { kind: 'echo' }, maxRecordedRequests: 0 });
try {
  const wasm = join(dir, 'first-use.wasm');
  await promisify(execFile)('npx', ['js-compute-runtime', '--enable-http-cache', join(import.meta.dirname, 'first-use-service.js'), wasm], { cwd: join(import.meta.dirname, '..'), timeout: 300_000 });
  const manifest = {
    manifest_version: 3,
    name: 'first-use-probe',
    language: 'javascript',
    local_server: {
      backends: { origin: { url: `http://127.0.0.1:${origin.port}` } },
      config_stores: { probe_config: { format: 'inline-toml', contents: { key: '500' } } },
    },
  };
  const server = await startViceroy({ viceroy: viceroy.path, wasm, manifest });
  try {
    const list = await fetch(`${server.url}/`);
    const { operations } = (await list.json()) as { operations: string[] };
    const rows: string[] = [];
    for (const op of operations) {
      const first: number[] = [];
      const second: number[] = [];
      for (let i = 0; i < REQUESTS; i++) {
        const t = await timedGet(server.url, `/?op=${encodeURIComponent(op)}`, 10_000, {}, { keepBody: true });
        if (t.status !== 200) throw new Error(`${op}: status ${t.status}`);
        const body = JSON.parse(t.body ?? '{}') as { firstUs: number; secondUs: number };
        first.push(body.firstUs);
        second.push(body.secondUs);
      }
      rows.push(`| ${op} | ${percentile(first, 50)!.toFixed(0)} | ${percentile(second, 50)!.toFixed(0)} |`);
    }
    process.stdout.write(
      [`Viceroy ${viceroy.version}, ${REQUESTS} requests per operation, medians in µs:`, '', '| operation | first use in the request | second use |', '| --- | --- | --- |', ...rows, ''].join('\n'),
    );
  } finally {
    await server.close();
  }
} finally {
  await origin.close();
  await rm(dir, { recursive: true, force: true });
}
