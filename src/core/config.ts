/**
 * Every setting of the service, with its default, parsed in one place.
 *
 * Values come from the Config Store `failover_config` (the adapter hands in a
 * reader). Every key is optional; a missing store or a bad value falls back
 * to the default and is reported in `problems`, never thrown.
 */
import { DEFAULT_MIRROR_PREFIX as DEFAULT_PREFIX } from './mirror-path.ts';

export type OverrideMode = 'enabled' | 'disabled' | 'token';
/** Whether the runtime has Fastly's HTTP cache API (production does; Viceroy does not). */
export type HttpCacheApi = 'present' | 'absent';
/** Which name a mirror is asked for first: the crawler's for a page (www), or the path as it is (assets keep their names). */
export type MirrorNameOrder = 'crawler' | 'path-first';

export interface MirrorSettings {
  /** Directory in the bucket that holds the crawler's copy, e.g. `www.gov.uk`. */
  readonly prefix: string;
  /** `Host` header sent to the bucket; `null` leaves the backend's own. */
  readonly host: string | null;
}

export interface Config {
  readonly hedgeAfterMs: number;
  readonly backendOverride: OverrideMode;
  readonly logEndpoint: string;
  readonly mirrorTtl: number;
  readonly errorTtl: number;
  readonly defaultTtl: number;
  readonly staleIfError: number;
  readonly mirrorS3: MirrorSettings;
  readonly mirrorS3Replica: MirrorSettings;
  readonly mirrorGCS: MirrorSettings;
  readonly gcsBucket: string | null;
  /** The order of a page's names in the buckets (mirror-path.ts). */
  readonly mirrorNames: MirrorNameOrder;
  /** Origin failures in one scope, within `outageWindowS`, that make the scope suspect. */
  readonly outageThreshold: number;
  /** Seconds a failure counts towards `outageThreshold`. */
  readonly outageWindowS: number;
  /** Seconds a scope stays suspect; 0 turns the outage memory off. */
  readonly outageMemoryS: number;
  /** Seconds a mirror's "no such object" is remembered at the POP; 0 turns the miss memory off. */
  readonly mirrorMissMemoryS: number;
  /**
   * `present`: cached fetches use the HTTP cache API (per-status TTLs,
   * stale-if-error), falling back to a plain cache override where the runtime
   * refuses it; `absent`: the plain override at once, without the refused attempt.
   */
  readonly httpCacheApi: HttpCacheApi;
  /** Whether the log line carries the client's address, its TLS fingerprint and the query string (log-line.ts). */
  readonly logPersonalData: boolean;
}

export const CONFIG_STORE_NAME = 'failover_config';
export const SECRET_STORE_NAME = 'failover_secrets';
export const SECRET_KEYS = {
  gcsAccessId: 'gcs_access_id',
  gcsSecretKey: 'gcs_secret_key',
  overrideToken: 'override_token',
} as const;


export const DEFAULT_CONFIG: Config = {
  hedgeAfterMs: 5000,
  backendOverride: 'enabled',
  logEndpoint: 'failover_log',
  mirrorTtl: 900,
  errorTtl: 1,
  defaultTtl: 3600,
  staleIfError: 86_400,
  mirrorS3: { prefix: DEFAULT_PREFIX, host: null },
  mirrorS3Replica: { prefix: DEFAULT_PREFIX, host: null },
  mirrorGCS: { prefix: DEFAULT_PREFIX, host: null },
  gcsBucket: null,
  mirrorNames: 'crawler',
  outageThreshold: 3,
  outageWindowS: 10,
  outageMemoryS: 10,
  mirrorMissMemoryS: 5,
  httpCacheApi: 'present',
  logPersonalData: false,
};

/** The keys the Config Store may hold, with what each means. docs/configuration.md lists the same. */
export const CONFIG_KEYS = {
  hedge_after_ms: 'ms an attempt may go unanswered before the next backend starts in parallel (0 = off)',
  backend_override: '`enabled`, `disabled` or `token`: how the Backend-Override header is honoured',
  log_endpoint: 'name of the log endpoint that receives one JSON line per request',
  mirror_ttl: 'seconds a mirror 200 is cached and told to browsers (Cache-Control: max-age)',
  error_ttl: 'seconds a 5xx is cached',
  default_ttl: 'seconds an origin response without cache headers is cached',
  stale_if_error: 'seconds a stale origin copy may be served when origin fails',
  mirror_s3_prefix: 'bucket directory of the S3 mirror',
  mirror_s3_replica_prefix: 'bucket directory of the S3 replica mirror',
  mirror_gcs_prefix: 'bucket directory of the GCS mirror',
  mirror_s3_host: 'Host header sent to the S3 mirror',
  mirror_s3_replica_host: 'Host header sent to the S3 replica mirror',
  mirror_gcs_host: 'Host header sent to the GCS mirror',
  gcs_bucket: 'GCS bucket name, used to sign requests (no default: without it mirrorGCS is skipped)',
  mirror_names: '`crawler` (a page\'s names as the crawler gives them, for www.gov.uk) or `path-first` (the path as it is first, for the assets domain)',
  outage_threshold: 'origin failures in one scope, within outage_window_s, that make the scope suspect',
  outage_window_s: 'seconds an origin failure counts towards outage_threshold',
  outage_memory_s: 'seconds a suspect scope asks origin and the first mirror at once (0 = outage memory off)',
  mirror_miss_memory_s: 'seconds a mirror\'s answer that it lacks an object is remembered, so that name is not asked again in failover (0 = off)',
  http_cache_api: '`present` or `absent` (a runtime without the HTTP cache API, such as Viceroy): how cached fetches are made',
  log_personal_data: '`true` or `false`: whether the log line carries the client\'s IP address, its JA3 fingerprint and the query string',
} as const;

export type ConfigKey = keyof typeof CONFIG_KEYS;

/** Reads one key; `null` when absent. */
export type ConfigReader = (key: ConfigKey) => string | null;

export interface ParsedConfig {
  readonly config: Config;
  /** One sentence per key that was present but unusable. */
  readonly problems: readonly string[];
}

const MAX_SECONDS = 365 * 24 * 3600;
const MAX_HEDGE_MS = 120_000;
/** Each failure counted takes one slot in the shared store (see outage-memory.ts), so the threshold stays small. */
export const MAX_OUTAGE_THRESHOLD = 20;
const MAX_OUTAGE_SECONDS = 3600;
/** A miss remembered longer would hide a page the crawler has uploaded since. */
const MAX_MISS_SECONDS = 300;
const HOST_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::\d{1,5})?$/;
const PREFIX_SEGMENT = /^[A-Za-z0-9_~-][A-Za-z0-9._~-]*$/;
const ENDPOINT_PATTERN = /^[A-Za-z0-9_.-]{1,255}$/;

/** Where a setting comes from: the store, and the problems list its reads add to. */
interface Source {
  readonly read: ConfigReader;
  readonly problems: string[];
}

/** One key: read it, parse it, fall back to `fallback` (saying why) when it is unusable. */
function setting<T>(key: ConfigKey, fallback: T, parse: (raw: string) => T | undefined, allowed: string): (source: Source) => T {
  return ({ read, problems }) => {
    let raw: string | null;
    try {
      raw = read(key);
    } catch (error) {
      problems.push(`${key}: could not be read (${describe(error)}); using the default`);
      return fallback;
    }
    if (raw === null) return fallback;
    const parsed = parse(raw.trim());
    if (parsed === undefined) {
      problems.push(`${key}: ${JSON.stringify(raw.slice(0, 100))} is not ${allowed}; using the default`);
      return fallback;
    }
    return parsed;
  };
}

/** One to ten ASCII digits, by a plain scan: the keys a healthy request reads run no regular expression (see request-checks.ts). */
export function isDigits(raw: string): boolean {
  if (raw.length === 0 || raw.length > 10) return false;
  for (let i = 0; i < raw.length; i++) {
    const code = raw.charCodeAt(i);
    if (code < 0x30 || code > 0x39) return false;
  }
  return true;
}

const integer = (max: number, min = 0) => (raw: string) => {
  if (!isDigits(raw)) return undefined;
  const n = Number(raw);
  return n >= min && n <= max ? n : undefined;
};
const host = (raw: string) => (HOST_PATTERN.test(raw) && raw.length <= 253 ? raw : undefined);
/** A bucket directory as `mirror_*_prefix` takes it (slashes at the ends dropped), or undefined when it is not one. */
export const parseMirrorPrefix = (raw: string): string | undefined => {
  const trimmed = raw.replace(/^\/+|\/+$/g, '');
  const segments = trimmed.split('/');
  return segments.every((s) => PREFIX_SEGMENT.test(s)) ? segments.join('/') : undefined;
};
export const MIRROR_PREFIX_ALLOWED = 'a bucket directory such as www.gov.uk (letters, digits, . _ ~ - and /, no dot segments)';
/** `mirror_names` as written, or undefined when it is neither order. */
export const parseMirrorNames = (raw: string): MirrorNameOrder | undefined => (raw === 'crawler' || raw === 'path-first' ? raw : undefined);
const mirror = (prefixKey: ConfigKey, hostKey: ConfigKey): ((source: Source) => MirrorSettings) => {
  const prefixSetting = setting(prefixKey, DEFAULT_PREFIX, parseMirrorPrefix, MIRROR_PREFIX_ALLOWED);
  const hostSetting = setting<string | null>(hostKey, null, host, 'a host name');
  return (source) => ({ prefix: prefixSetting(source), host: hostSetting(source) });
};

/** Every field of Config: which keys it reads and how. Built once (at build time, in the wasm). */
const FIELDS: { readonly [K in keyof Config]: (source: Source) => Config[K] } = {
  hedgeAfterMs: setting('hedge_after_ms', DEFAULT_CONFIG.hedgeAfterMs, integer(MAX_HEDGE_MS), `a whole number of milliseconds from 0 to ${MAX_HEDGE_MS}`),
  backendOverride: setting<OverrideMode>('backend_override', DEFAULT_CONFIG.backendOverride, (raw) => {
    const lower = raw.toLowerCase();
    return lower === 'enabled' || lower === 'disabled' || lower === 'token' ? lower : undefined;
  }, 'one of enabled, disabled, token'),
  logEndpoint: setting('log_endpoint', DEFAULT_CONFIG.logEndpoint, (raw) => (ENDPOINT_PATTERN.test(raw) ? raw : undefined), 'a log endpoint name'),
  mirrorTtl: setting('mirror_ttl', DEFAULT_CONFIG.mirrorTtl, integer(MAX_SECONDS), 'a whole number of seconds'),
  errorTtl: setting('error_ttl', DEFAULT_CONFIG.errorTtl, integer(MAX_SECONDS), 'a whole number of seconds'),
  defaultTtl: setting('default_ttl', DEFAULT_CONFIG.defaultTtl, integer(MAX_SECONDS), 'a whole number of seconds'),
  staleIfError: setting('stale_if_error', DEFAULT_CONFIG.staleIfError, integer(MAX_SECONDS), 'a whole number of seconds'),
  mirrorS3: mirror('mirror_s3_prefix', 'mirror_s3_host'),
  mirrorS3Replica: mirror('mirror_s3_replica_prefix', 'mirror_s3_replica_host'),
  mirrorGCS: mirror('mirror_gcs_prefix', 'mirror_gcs_host'),
  gcsBucket: setting<string | null>('gcs_bucket', null, (raw) => (/^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/.test(raw) ? raw : undefined), 'a GCS bucket name'),
  mirrorNames: setting<MirrorNameOrder>('mirror_names', DEFAULT_CONFIG.mirrorNames, parseMirrorNames, '`crawler` or `path-first`'),
  outageThreshold: setting('outage_threshold', DEFAULT_CONFIG.outageThreshold, integer(MAX_OUTAGE_THRESHOLD, 1), `a whole number of failures from 1 to ${MAX_OUTAGE_THRESHOLD}`),
  outageWindowS: setting('outage_window_s', DEFAULT_CONFIG.outageWindowS, integer(MAX_OUTAGE_SECONDS, 1), `a whole number of seconds from 1 to ${MAX_OUTAGE_SECONDS}`),
  outageMemoryS: setting('outage_memory_s', DEFAULT_CONFIG.outageMemoryS, integer(MAX_OUTAGE_SECONDS), `a whole number of seconds from 0 (off) to ${MAX_OUTAGE_SECONDS}`),
  mirrorMissMemoryS: setting('mirror_miss_memory_s', DEFAULT_CONFIG.mirrorMissMemoryS, integer(MAX_MISS_SECONDS), `a whole number of seconds from 0 (off) to ${MAX_MISS_SECONDS}`),
  logPersonalData: setting('log_personal_data', DEFAULT_CONFIG.logPersonalData, (raw) => (raw === 'true' ? true : raw === 'false' ? false : undefined), '`true` or `false`'),
  httpCacheApi: setting<HttpCacheApi>('http_cache_api', DEFAULT_CONFIG.httpCacheApi, (raw) => (raw === 'present' || raw === 'absent' ? raw : undefined), '`present` or `absent`'),
};

const FIELD_NAMES = Object.keys(FIELDS) as (keyof Config)[];

/** Every key read now, into a plain object: for tests, tools and anything that wants all problems at once. */
export function parseConfig(read: ConfigReader): ParsedConfig {
  const source: Source = { read, problems: [] };
  const config = Object.fromEntries(FIELD_NAMES.map((field) => [field, FIELDS[field](source)])) as unknown as Config;
  return { config, problems: source.problems };
}

/**
 * A request's configuration: each field read from the store the first time
 * the request uses it, then kept. A request to a healthy origin reads a
 * handful of keys, not all of them (each read is a host call). Its getters
 * live on the prototype, made once, so a request pays for one small object.
 */
class StoreConfig {
  readonly #source: Source;
  readonly #values: Partial<Record<keyof Config, unknown>> = {};
  constructor(source: Source) {
    this.#source = source;
  }
  /** The value of `field`, read and parsed on first use. */
  field<K extends keyof Config>(field: K): Config[K] {
    if (!(field in this.#values)) this.#values[field] = FIELDS[field](this.#source);
    return this.#values[field] as Config[K];
  }
}
for (const field of FIELD_NAMES) {
  Object.defineProperty(StoreConfig.prototype, field, {
    get(this: StoreConfig) {
      return this.field(field);
    },
  });
}

/**
 * The configuration read lazily from `read`; `problems` starts with `known`
 * and grows as keys are read, naming the bad values this request used.
 */
export function readConfig(read: ConfigReader, known: readonly string[] = []): ParsedConfig {
  const source: Source = { read, problems: [...known] };
  return { config: new StoreConfig(source) as unknown as Config, problems: source.problems };
}

export function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
