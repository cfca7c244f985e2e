/**
 * Why answers over a kept-alive connection to Viceroy stall about 40 ms now
 * and then (for this service and the forward-only one alike): Viceroy's HTTP
 * server does not set TCP_NODELAY, so the last small segment of an answer
 * waits for the client's ACK of the one before, and Linux delays that ACK by
 * up to 40 ms. The Python client (keep-alive-stall.py) reads the same 64 KiB
 * page 100 times over one connection, without and with TCP_QUICKACK (ACK at
 * once): the stalls are there without it and gone with it.
 *
 *   npx tsx bench/probes/keep-alive-stall.ts      (needs python3 and the pinned Viceroy)
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { locateViceroy } from '../../viceroy/locate.ts';
import { startViceroy } from '../../viceroy/server.ts';
import { startStubBackend } from '../../stubs/index.ts';
import { BACKENDS, type BackendName, type BackendSpec, manifestToml } from '../manifest.ts';
import { pageBody } from '../pages.ts';
import { buildFloorWasm } from '../real-runtime.ts';

const viceroy = locateViceroy();
if (!viceroy.found) throw new Error(viceroy.reason);
const dir = await mkdtemp(join(tmpdir(), 'govuk-failover-keep-alive-'));
const stubs = await Promise.all(BACKENDS.map((id) => startStubBackend({ id, behaviour: { kind: 'echo', body: pageBody(undefined, 64 * 1024) }, maxRecordedRequests: 0 })));
try {
  const backends = Object.fromEntries(BACKENDS.map((name, i) => [name, { port: stubs[i]!.port }])) as Record<BackendName, BackendSpec>;
  const manifest = join(dir, 'fastly.toml');
  await writeFile(manifest, manifestToml({ backends, config: {} }));
  const server = await startViceroy({ viceroy: viceroy.path, wasm: await buildFloorWasm(dir), manifest });
  try {
    const { stdout } = await promisify(execFile)('python3', [join(import.meta.dirname, 'keep-alive-stall.py'), String(server.port)], { timeout: 120_000 });
    process.stdout.write(`viceroy ${viceroy.version}, forward-only wasm, 64 KiB page, one kept-alive connection:\n${stdout}`);
  } finally {
    await server.close();
  }
} finally {
  await Promise.all(stubs.map((s) => s.close()));
  await rm(dir, { recursive: true, force: true });
}
