/**
 * The stub world the scenario suite runs against: one stub backend per
 * backend in fastly.toml, each on a free loopback port; the engines get
 * fastly.toml with the backends pointed at those ports (`manifest()`), so the
 * local runtime and Viceroy see the same world, and a demo running on
 * fastly.toml's own ports does not get in the way. Each mirror serves its own
 * bucket directory whose pages say which mirror they came from.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'smol-toml';
import { type Behaviour, type BucketDir, makeBucketDir, startStubBackend, type StubBackend } from '../../stubs/index.ts';
import { BACKEND_ORDER, type BackendName, MIRRORS, type MirrorName } from '../../src/core/backends.ts';

export const MANIFEST = 'fastly.toml';
/** The log endpoint the service writes to by default (log_endpoint unset). */
export const LOG_ENDPOINT = 'failover_log';

export interface World {
  readonly stubs: Record<BackendName, StubBackend>;
  readonly buckets: Record<MirrorName, BucketDir>;
  readonly ports: Record<BackendName, number>;
  /**
   * fastly.toml's document with its backends pointed at this world's stubs, and the outage memory and the
   * mirror miss memory off (`outage_memory_s = 0`, `mirror_miss_memory_s = 0`: one test's origin failures, or
   * one test's bucket misses, would otherwise change what the next test sees); `edit` changes the copy, and
   * turns them on where a test is about them.
   */
  manifest(edit?: (doc: ManifestDoc) => void): Record<string, unknown>;
  /** What a mirror's copy of `path` says: `<path> from <mirror>`. */
  pageBody(mirror: MirrorName, path: string): string;
  /** Puts every stub back to: origin echoes, mirrors serve their bucket (403 for a missing key, like S3). */
  reset(): Promise<void>;
  /** Forgets what every stub has seen (requests, hits), leaving behaviours as they are. */
  clearRecordings(): void;
  /** A mirror serving its bucket directory, like S3 or GCS: `missingStatus` (default 403) for a missing key. */
  bucket(mirror: MirrorName, missingStatus?: 403 | 404): Behaviour;
  /** Sets behaviours by backend; the others are left as they are. */
  set(behaviours: Partial<Record<BackendName, Behaviour | 'bucket'>>): Promise<void>;
  close(): Promise<void>;
}

export function manifestDocument(path = MANIFEST): Record<string, unknown> {
  return parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}


/** A local secret from fastly.toml, so tests can check what the service signed with it. */
export function manifestSecret(key: string, doc = manifestDocument()): string {
  const entries = (doc.local_server as { secret_stores: Record<string, { key: string; data: string }[]> }).secret_stores.failover_secrets!;
  return entries.find((e) => e.key === key)!.data;
}

/** Which page paths each mirror holds a copy of. */
export type MirrorPages = Record<MirrorName, readonly string[]>;

/** A parsed fastly.toml, loosely typed for tests that change one key. */
export type ManifestDoc = Record<string, any>;

const EPHEMERAL: Record<BackendName, number> = { origin: 0, mirrorS3: 0, mirrorS3Replica: 0, mirrorGCS: 0 };

export async function startWorld(pages: MirrorPages, ports: Record<BackendName, number> = EPHEMERAL): Promise<World> {
  const pageBody = (mirror: MirrorName, path: string) => `<!DOCTYPE html><title>mirror</title><p>${path} from ${mirror}</p>`;
  const buckets = {} as Record<MirrorName, BucketDir>;
  for (const mirror of MIRRORS) {
    buckets[mirror] = await makeBucketDir(Object.fromEntries(pages[mirror].map((p) => [keyFor(p), pageBody(mirror, p)])));
  }
  const bucketBehaviour = (mirror: MirrorName, missingStatus: 403 | 404 = 403): Behaviour => ({ kind: 'bucket', root: buckets[mirror].root, missingStatus, flavour: mirror === 'mirrorGCS' ? 'gcs' : 's3' });
  const defaults = (name: BackendName): Behaviour => (name === 'origin' ? { kind: 'echo' } : bucketBehaviour(name));
  const stubs = {} as Record<BackendName, StubBackend>;
  for (const name of BACKEND_ORDER) stubs[name] = await startStubBackend({ id: name, port: ports[name], behaviour: defaults(name) });

  const set = async (behaviours: Partial<Record<BackendName, Behaviour | 'bucket'>>) => {
    for (const [name, b] of Object.entries(behaviours) as [BackendName, Behaviour | 'bucket'][]) {
      await stubs[name].setBehaviour(b === 'bucket' ? defaults(name) : b);
    }
  };
  const boundPorts = Object.fromEntries(BACKEND_ORDER.map((n) => [n, stubs[n].port])) as Record<BackendName, number>;
  const clearRecordings = () => {
    for (const s of Object.values(stubs)) s.resetRecording();
  };
  return {
    stubs,
    buckets,
    ports: boundPorts,
    bucket: bucketBehaviour,
    manifest(edit) {
      const doc = manifestWithPorts(boundPorts);
      Object.assign(doc.local_server.config_stores.failover_config.contents, { outage_memory_s: '0', mirror_miss_memory_s: '0' });
      edit?.(doc);
      return doc;
    },
    pageBody,
    set,
    async reset() {
      await set(Object.fromEntries(BACKEND_ORDER.map((n) => [n, defaults(n)])));
      clearRecordings();
    },
    clearRecordings,
    async close() {
      await Promise.all(Object.values(stubs).map((s) => s.close()));
      await Promise.all(Object.values(buckets).map((b) => b.cleanup()));
    },
  };
}

/** The crawler's key for a simple page path (no escaping needed): `/a/b` → `www.gov.uk/a/b.html`. */
export function keyFor(path: string): string {
  return `www.gov.uk${path === '/' ? '/index' : path}.html`;
}

/** fastly.toml's document with each backend's url pointed at the given loopback ports. */
export function manifestWithPorts(ports: Record<BackendName, number>, doc: ManifestDoc = manifestDocument()): ManifestDoc {
  const backends = (doc.local_server as { backends: Record<string, { url: string }> }).backends;
  for (const name of BACKEND_ORDER) backends[name]!.url = `http://127.0.0.1:${ports[name]}`;
  return doc;
}
