/**
 * The temporary fastly.toml for one scenario: the four backends pointing at
 * stub servers on 127.0.0.1 (ephemeral ports), per-backend health and
 * first-byte timeout, and the `failover_config` store. Written as TOML text
 * (and parsed by the runtime like the repo's own fastly.toml).
 */

import { BACKEND_ORDER, type BackendName, isMirror, type MirrorName } from '../src/core/backends.ts';

export type { BackendName };
export const BACKENDS: readonly BackendName[] = BACKEND_ORDER;

export interface BackendSpec {
  readonly port: number;
  readonly health?: 'unhealthy';
  readonly firstByteTimeoutMs?: number;
}

export interface ManifestSpec {
  readonly backends: Readonly<Record<BackendName, BackendSpec>>;
  /** Config store contents; an absent key uses the service's default. */
  readonly config: Readonly<Record<string, string>>;
  /** Secret store `failover_secrets` contents; none when absent. */
  readonly secrets?: Readonly<Record<string, string>>;
}

/** Each mirror's bucket host, as its backend's override host: a bucket is never asked with the user's Host. */
export const BENCH_BUCKET_HOSTS: Readonly<Record<MirrorName, string>> = {
  mirrorS3: 'govuk-bench-mirror.s3.eu-west-2.amazonaws.com',
  mirrorS3Replica: 'govuk-bench-mirror-replica.s3.eu-west-1.amazonaws.com',
  mirrorGCS: 'govuk-bench-mirror.storage.googleapis.com',
};

/** A GCS bucket name and HMAC key for the benchmark (not real ones), so that mirrorGCS is asked as in production. */
export const BENCH_GCS = {
  config: { gcs_bucket: 'govuk-bench-mirror' },
  secrets: { gcs_access_id: 'GOOGBENCHACCESSID', gcs_secret_key: 'bench-secret-not-a-real-key' },
} as const;

/**
 * Viceroy has no HTTP cache API, and the service is told so, as the config
 * store of any such runtime should say; production has the API and leaves the
 * key unset. (Unset, each request's first cached fetch is refused and asked
 * again: `PROBED_CACHE_API` in real-runtime.ts measures that.)
 */
export const BENCH_RUNTIME_CONFIG: Readonly<Record<string, string>> = { http_cache_api: 'absent' };
/** Fastly's own default first-byte timeout (15 s), used where a scenario does not shorten it. */
export const FASTLY_DEFAULT_FIRST_BYTE_TIMEOUT_MS = 15_000;
const BETWEEN_BYTES_TIMEOUT_MS = 10_000;

export function manifestToml(spec: ManifestSpec): string {
  const lines = ['manifest_version = 3', 'name = "govuk-failover-bench"', 'language = "javascript"', '', '[local_server]'];
  for (const name of BACKENDS) {
    const b = spec.backends[name];
    if (!Number.isInteger(b.port) || b.port <= 0 || b.port > 65535) throw new RangeError(`bad port for ${name}: ${b.port}`);
    lines.push('', `  [local_server.backends.${name}]`, `  url = "http://127.0.0.1:${b.port}"`);
    if (isMirror(name)) lines.push(`  override_host = "${BENCH_BUCKET_HOSTS[name]}"`);
    lines.push(`  first_byte_timeout_ms = ${b.firstByteTimeoutMs ?? FASTLY_DEFAULT_FIRST_BYTE_TIMEOUT_MS}`);
    lines.push(`  between_bytes_timeout_ms = ${BETWEEN_BYTES_TIMEOUT_MS}`);
    if (b.health) lines.push(`  health = "${b.health}"`);
  }
  lines.push('', '  [local_server.config_stores.failover_config]', '  format = "inline-toml"');
  lines.push('', '    [local_server.config_stores.failover_config.contents]');
  for (const [key, value] of Object.entries(spec.config)) {
    if (!/^[a-z_]+$/.test(key)) throw new Error(`bad config key ${key}`);
    lines.push(`    ${key} = ${JSON.stringify(value)}`);
  }
  for (const [key, data] of Object.entries(spec.secrets ?? {})) {
    if (!/^[a-z_]+$/.test(key)) throw new Error(`bad secret key ${key}`);
    lines.push('', '  [[local_server.secret_stores.failover_secrets]]', `  key = "${key}"`, `  data = ${JSON.stringify(data)}`);
  }
  return `${lines.join('\n')}\n`;
}
