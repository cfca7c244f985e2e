/**
 * Everything one scenario needs, on 127.0.0.1 and ephemeral ports: the four
 * stub backends (origin as the scenario says, the mirrors serving the page
 * bucket), the scenario's manifest, the service on the local runtime, and the
 * null service on the same runtime and manifest. `close` stops all of it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startStubBackend, type StubBackend } from '../stubs/index.ts';
import { BACKENDS, BENCH_GCS, manifestToml, type BackendName, type BackendSpec } from './manifest.ts';
import { pageBody } from './pages.ts';
import { startRuntimeProcess, type RuntimeProcess } from './runtime-process.ts';
import type { Scenario } from './scenarios.ts';

const REPO = resolve(import.meta.dirname, '..');
export const SERVICE_ENTRY = resolve(REPO, 'src/index.ts');
export const NULL_SERVICE_ENTRY = resolve(import.meta.dirname, 'null-service.ts');

export interface World {
  readonly stubs: Readonly<Record<BackendName, StubBackend>>;
  /** The real service. */
  readonly service: RuntimeProcess;
  /** The forward-only service on the same runtime (the runtime's own cost). */
  readonly nullService: RuntimeProcess;
  close(): Promise<void>;
}

export async function startWorld(scenario: Scenario, bucketRoot: string): Promise<World> {
  const stubList: StubBackend[] = [];
  const runtimes: RuntimeProcess[] = [];
  let dir: string | undefined;
  let closing: Promise<void> | undefined;
  const closeAll = (): Promise<void> =>
    (closing ??= (async () => {
      // Runtimes first (they hold connections to the stubs), then the stubs.
      await Promise.allSettled(runtimes.map((r) => r.stop()));
      await Promise.allSettled(stubList.map((s) => s.close()));
      if (dir) await rm(dir, { recursive: true, force: true });
    })());
  try {
    const stubs = {} as Record<BackendName, StubBackend>;
    for (const name of BACKENDS) {
      const behaviour = name === 'origin' ? withPage(scenario.origin) : ({ kind: 'bucket', root: bucketRoot } as const);
      const stub = await startStubBackend({ id: name, behaviour, maxRecordedRequests: 0 });
      stubs[name] = stub;
      stubList.push(stub);
    }
    const backends = {} as Record<BackendName, BackendSpec>;
    for (const name of BACKENDS) {
      backends[name] =
        name === 'origin'
          ? { port: stubs.origin.port, health: scenario.originHealth, firstByteTimeoutMs: scenario.originFirstByteTimeoutMs }
          : { port: stubs[name].port };
    }
    // The outage memory off: each request fails over as the first of an outage does (all pages share one segment).
    const config: Record<string, string> = { ...BENCH_GCS.config, outage_memory_s: '0' };
    if (scenario.hedgeAfterMs !== undefined) config.hedge_after_ms = String(scenario.hedgeAfterMs);
    dir = await mkdtemp(join(tmpdir(), 'govuk-failover-bench-'));
    const manifestPath = join(dir, 'fastly.toml');
    await writeFile(manifestPath, manifestToml({ backends, config, secrets: BENCH_GCS.secrets }));
    const results = await Promise.allSettled([startRuntimeProcess(manifestPath, SERVICE_ENTRY), startRuntimeProcess(manifestPath, NULL_SERVICE_ENTRY)]);
    for (const r of results) if (r.status === 'fulfilled') runtimes.push(r.value);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return { stubs, service: runtimes[0]!, nullService: runtimes[1]!, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/** An echo origin answers the same page bytes as the mirrors, so sizes match. */
function withPage(b: Scenario['origin']): Scenario['origin'] {
  return b.kind === 'echo' ? { ...b, body: b.body ?? pageBody(), headers: { 'Content-Type': 'text/html; charset=utf-8', ...b.headers } } : b;
}
