/**
 * A world where every hop costs what it costs on the internet: each stub
 * backend sits behind a link (link.ts) with the round-trip time of the real
 * thing, the service's manifest points at the links, and the physical limits
 * are measured through the same links. Round trips (not scaled):
 * origin 20 ms, the S3 mirrors 15 ms, GCS 25 ms.
 *
 * `close` stops the runtimes, then the links, then the stubs.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Behaviour, startStubBackend, type StubBackend } from '../stubs/index.ts';
import { type Link, startLink } from './link.ts';
import { BACKENDS, type BackendName, type BackendSpec, manifestToml } from './manifest.ts';
import { startRuntimeProcess } from './runtime-process.ts';
import { NULL_SERVICE_ENTRY, SERVICE_ENTRY } from './world.ts';

/** A running service: the real one, or the forward-only one (the runtime floor). */
export interface RunningService {
  readonly url: string;
  stop(): Promise<unknown>;
}

/** Starts the service or the floor on a manifest, on some runtime. */
export type ServiceRunner = (manifestPath: string, which: 'service' | 'floor') => Promise<RunningService>;

/** The local runtime, each in a child process of its own. */
export const localRuntimeRunner: ServiceRunner = (manifestPath, which) => startRuntimeProcess(manifestPath, which === 'service' ? SERVICE_ENTRY : NULL_SERVICE_ENTRY);

/** Round-trip times, ms: a GOV.UK origin in London, S3 in eu-west, GCS a little further. */
export const ROUND_TRIP_MS: Readonly<Record<BackendName, number>> = { origin: 20, mirrorS3: 15, mirrorS3Replica: 15, mirrorGCS: 25 };

export interface RoundTripWorldOptions {
  /** What origin does at the start (switch later with `stubs.origin.setBehaviour`). */
  readonly origin: Behaviour;
  /** The mirrors' bucket directory. */
  readonly bucketRoot: string;
  /** Config store contents. */
  readonly config: Readonly<Record<string, string>>;
  /** Secret store contents (the GCS HMAC key, for a world where mirrorGCS is asked); none when absent. */
  readonly secrets?: Readonly<Record<string, string>>;
  readonly originHealth?: 'unhealthy';
  readonly originFirstByteTimeoutMs?: number;
  /** Also start the forward-only service on the same manifest (the runtime floor). */
  readonly nullService?: boolean;
  /** Where the services run (default: the local runtime). */
  readonly runner?: ServiceRunner;
}

export interface RoundTripWorld {
  readonly stubs: Readonly<Record<BackendName, StubBackend>>;
  readonly links: Readonly<Record<BackendName, Link>>;
  readonly service: RunningService;
  readonly nullService: RunningService | undefined;
  close(): Promise<void>;
}

export async function startRoundTripWorld(options: RoundTripWorldOptions): Promise<RoundTripWorld> {
  const stubList: StubBackend[] = [];
  const linkList: Link[] = [];
  const runtimes: RunningService[] = [];
  let dir: string | undefined;
  let closing: Promise<void> | undefined;
  const closeAll = (): Promise<void> =>
    (closing ??= (async () => {
      await Promise.allSettled(runtimes.map((r) => r.stop()));
      await Promise.allSettled(linkList.map((l) => l.close()));
      await Promise.allSettled(stubList.map((s) => s.close()));
      if (dir) await rm(dir, { recursive: true, force: true });
    })());
  try {
    const stubs = {} as Record<BackendName, StubBackend>;
    const links = {} as Record<BackendName, Link>;
    for (const name of BACKENDS) {
      const behaviour: Behaviour = name === 'origin' ? options.origin : { kind: 'bucket', root: options.bucketRoot, flavour: name === 'mirrorGCS' ? 'gcs' : 's3' };
      stubs[name] = await startStubBackend({ id: name, behaviour, maxRecordedRequests: 0 });
      stubList.push(stubs[name]);
      links[name] = await startLink(stubs[name].port, ROUND_TRIP_MS[name]);
      linkList.push(links[name]);
    }
    const backends = {} as Record<BackendName, BackendSpec>;
    for (const name of BACKENDS) {
      backends[name] =
        name === 'origin' ? { port: links.origin.port, health: options.originHealth, firstByteTimeoutMs: options.originFirstByteTimeoutMs } : { port: links[name].port };
    }
    dir = await mkdtemp(join(tmpdir(), 'govuk-failover-bench-rtt-'));
    const manifestPath = join(dir, 'fastly.toml');
    await writeFile(manifestPath, manifestToml({ backends, config: options.config, secrets: options.secrets }));
    const runner = options.runner ?? localRuntimeRunner;
    // One after the other: a runtime may compile an 11 MB wasm as it starts.
    runtimes.push(await runner(manifestPath, 'service'));
    if (options.nullService) runtimes.push(await runner(manifestPath, 'floor'));
    return { stubs, links, service: runtimes[0]!, nullService: runtimes[1], close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
