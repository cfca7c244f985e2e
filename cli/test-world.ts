/**
 * For the CLI's tests: the real service (src/index.ts) in the local runtime,
 * with a temporary fastly.toml pointing at stub backends on ephemeral ports.
 * origin echoes the page's HTML; each mirror is a bucket directory of its own.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BACKEND_ORDER, type BackendName, type MirrorName, MIRRORS } from '../src/core/backends.ts';
import { startLocalRuntime, type LocalRuntime } from '../local-runtime/index.ts';
import { type Behaviour, type BucketDir, type BucketFiles, makeBucketDir, startStubBackend, type StubBackend } from '../stubs/index.ts';
import { main } from './main.ts';

export interface World {
  /** Base URL of the local runtime running the service. */
  readonly service: string;
  readonly runtime: LocalRuntime;
  readonly stubs: Readonly<Record<BackendName, StubBackend>>;
  readonly buckets: Readonly<Record<MirrorName, BucketDir>>;
  /** Makes a mirror a plain bucket again, e.g. after `setBehaviour({ kind: 'refuse' })`. */
  bucketBehaviour(mirror: MirrorName): Behaviour;
  close(): Promise<void>;
}

export interface WorldOptions {
  /** What origin does (default: echo 200 with `originBody`). */
  readonly origin?: Behaviour;
  /** The HTML origin answers with (default: `<h1>Page</h1>`). */
  readonly originBody?: string;
  /** The objects in every mirror bucket. */
  readonly files?: BucketFiles;
  /** Extra config store entries, e.g. `{ backend_override: 'disabled' }`. */
  readonly config?: Readonly<Record<string, string>>;
}

const toml = (s: string) => JSON.stringify(s);

/** Each mirror's bucket host in the test world. */
export const TEST_BUCKET_HOSTS: Readonly<Record<MirrorName, string>> = {
  mirrorS3: 'govuk-test-mirror.s3.eu-west-2.amazonaws.com',
  mirrorS3Replica: 'govuk-test-mirror-replica.s3.eu-west-1.amazonaws.com',
  mirrorGCS: 'govuk-test-mirror.storage.googleapis.com',
};

export async function startWorld(options: WorldOptions = {}): Promise<World> {
  const cleanups: (() => Promise<void>)[] = [];
  const closeAll = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  };
  try {
    const buckets = {} as Record<MirrorName, BucketDir>;
    for (const mirror of MIRRORS) {
      const bucket = await makeBucketDir(options.files ?? {});
      cleanups.push(() => bucket.cleanup());
      buckets[mirror] = bucket;
    }
    const bucketBehaviour = (mirror: MirrorName): Behaviour =>
      mirror === 'mirrorGCS' ? { kind: 'bucket', root: buckets[mirror].root, flavour: 'gcs', missingStatus: 404 } : { kind: 'bucket', root: buckets[mirror].root };
    const stubs = {} as Record<BackendName, StubBackend>;
    for (const backend of BACKEND_ORDER) {
      const behaviour: Behaviour =
        backend === 'origin' ? (options.origin ?? { kind: 'echo', body: options.originBody ?? '<h1>Page</h1>' }) : bucketBehaviour(backend);
      const stub = await startStubBackend({ id: backend, behaviour });
      cleanups.push(() => stub.close());
      stubs[backend] = stub;
    }

    const dir = await mkdtemp(join(tmpdir(), 'govuk-cli-test-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const manifestPath = join(dir, 'fastly.toml');
    const config = { hedge_after_ms: '200', gcs_bucket: 'govuk-test-mirror', ...options.config };
    await writeFile(
      manifestPath,
      [
        'manifest_version = 3',
        'name = "govuk-failover-cli-test"',
        // Each bucket named by its backend's override host, as in fastly.toml: a bucket is never asked with the user's Host.
        ...BACKEND_ORDER.flatMap((b) => [`[local_server.backends.${b}]`, `url = ${toml(stubs[b].url)}`, ...(b === 'origin' ? [] : [`override_host = ${toml(TEST_BUCKET_HOSTS[b])}`])]),
        '[local_server.config_stores.failover_config]',
        'format = "inline-toml"',
        '[local_server.config_stores.failover_config.contents]',
        ...Object.entries(config).map(([k, v]) => `${k} = ${toml(v)}`),
        ...[
          ['gcs_access_id', 'GOOGTESTACCESSID'],
          ['gcs_secret_key', 'test-secret-not-a-real-key'],
        ].flatMap(([key, data]) => ['[[local_server.secret_stores.failover_secrets]]', `key = ${toml(key ?? '')}`, `data = ${toml(data ?? '')}`]),
        '',
      ].join('\n'),
    );
    const runtime = await startLocalRuntime({ manifestPath, port: 0, echoLogs: false, errorLog: () => undefined });
    cleanups.push(() => runtime.close());
    return { service: runtime.url, runtime, stubs, buckets, bucketBehaviour, close: closeAll };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/** One page of a site that origin serves: HTML unless another Content-Type is given. */
export interface SitePage {
  readonly body: string;
  readonly type?: string;
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Origin as a site: each path its own page, any other path a 404. */
export function site(pages: Readonly<Record<string, SitePage | string>>): Behaviour {
  const paths = Object.fromEntries(
    Object.entries(pages).map(([path, page]) => {
      const { body, type = 'text/html; charset=utf-8', status, headers } = typeof page === 'string' ? { body: page } : page;
      return [path, { kind: 'echo', body, status, headers: { 'Content-Type': type, ...headers } } satisfies Behaviour];
    }),
  );
  return { kind: 'by-path', paths, otherwise: { kind: 'status', status: 404 } };
}

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the CLI in this process, as `govuk-failover <argv>`, with stderr piped
 * (plain progress lines) unless `tty` says stderr is a terminal.
 */
export async function runCli(argv: readonly string[], options: { now?: Date; env?: Record<string, string>; tty?: boolean } = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    stderrIsTTY: options.tty ?? false,
    env: options.env ?? {},
    now: () => options.now ?? new Date(),
  });
  return { code, stdout, stderr };
}
