/**
 * The request each backend receives. Origin gets the client's request under
 * GOV.UK's edge contract (edge-contract.ts: the boundary headers, no cookie
 * where none is kept) and less the override token; a mirror gets a fresh GET
 * for one of the names of the crawler's copy of the page, with only harmless
 * headers, addressed to its bucket.
 */
import { type BackendName, type MirrorName, isMirror } from './backends.ts';
import { BackendUnavailable } from './attempt.ts';
import type { Config, ConfigKey } from './config.ts';
import { applyEdgeContract, type Connection } from './edge-contract.ts';
import { signGcsRequest } from './gcs-signature.ts';
import { type MirrorObjectName, resolveMirrorPath } from './mirror-path.ts';
import { OVERRIDE_TOKEN_HEADER } from './override.ts';

/**
 * Client headers a mirror may see; everything else (Cookie, Authorization,
 * the override headers) is left behind. Conditional and range headers are
 * left out too: a mirror must answer 200 to count, not 304 or 206.
 */
const MIRROR_FORWARDED_HEADERS = ['accept', 'accept-language', 'user-agent'] as const;

export const MIRROR_REQUEST_MARK = 'Fastly-Failover';

export interface GcsCredentials {
  readonly accessId: string;
  readonly secretKey: string;
}

export interface BackendRequestContext {
  readonly config: Config;
  /** The GCS HMAC key, or null when none is configured. */
  gcsCredentials(): Promise<GcsCredentials | null>;
  /** Wall-clock time for the GCS `Date` header. */
  readonly date: () => Date;
  /** The client's connection, for origin's boundary headers. */
  readonly connection: Connection;
  /** Whether the request's cookies go to origin (edge-contract.ts). */
  readonly cookiesKept: boolean;
  /** The client's GOV.UK account session, from its cookie (account-session.ts), or null. */
  readonly accountSession: string | null;
  /** The bucket host the mirror's backend itself names (bucketHostOf), or null. */
  bucketHost(mirror: MirrorName): string | null;
}

/** The config key that names each mirror's bucket host. */
export const BUCKET_HOST_KEYS: Record<MirrorName, ConfigKey> = {
  mirrorS3: 'mirror_s3_host',
  mirrorS3Replica: 'mirror_s3_replica_host',
  mirrorGCS: 'mirror_gcs_host',
};

/**
 * The bucket host a backend names: its override host, else its address when
 * that is a host name (a bucket is chosen by name: an IP address names none).
 */
export function bucketHostOf(backend: { readonly overrideHost: string | null; readonly target: string }): string | null {
  if (backend.overrideHost) return backend.overrideHost;
  const target = backend.target.toLowerCase();
  const isHostName = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/.test(target);
  return isHostName ? target : null;
}

/** The names a mirror is asked for, in turn, for this request (one to three; see mirror-path.ts). */
export function mirrorNames(mirror: MirrorName, original: Request, config: Config): readonly MirrorObjectName[] {
  return resolveMirrorPath(new URL(original.url), config[mirror].prefix, config.mirrorNames).names;
}

/**
 * The request for `backend`; for a mirror, for the object `name` (the first of
 * mirrorNames when left out). Origin's is ready at once (no promise on the
 * path every request takes); a mirror's may need the GCS key first.
 */
export function buildBackendRequest(backend: BackendName, original: Request, context: BackendRequestContext, name?: MirrorObjectName): Request | Promise<Request> {
  if (!isMirror(backend)) return originRequest(original, context);
  return mirrorRequest(backend, original, context, name ?? mirrorNames(backend, original, context.config)[0]!);
}

/**
 * The client's request, as a new Request with the method the service judged
 * it by: the runtime hands the service `get` as `GET` (fetch's normalisation of
 * the standard methods) but would send the client's own `get` on, which origin
 * does not take as a GET.
 */
function originRequest(original: Request, context: BackendRequestContext): Request {
  if (original.headers.has(OVERRIDE_TOKEN_HEADER)) original.headers.delete(OVERRIDE_TOKEN_HEADER);
  applyEdgeContract(original.headers, context.connection, context.cookiesKept, context.accountSession);
  // Built from the URL: built from the request itself, js-compute keeps the client's own spelling of the method.
  const method = original.method;
  if (method !== 'GET' && method !== 'HEAD') {
    // `duplex` is what the fetch standard asks of a streamed body (Node checks it; js-compute streams either way).
    return new Request(original.url, { method, headers: original.headers, body: original.body, duplex: 'half' } as RequestInit);
  }
  // A GET or HEAD goes without a body, so without the client's framing of one: a Content-Length with no body after it
  // leaves origin waiting for bytes that never come.
  for (const framing of ['Content-Length', 'Transfer-Encoding']) if (original.headers.has(framing)) original.headers.delete(framing);
  return new Request(original.url, { method, headers: original.headers });
}

async function mirrorRequest(mirror: MirrorName, original: Request, context: BackendRequestContext, name: MirrorObjectName): Promise<Request> {
  const settings = context.config[mirror];
  const url = new URL(original.url);
  const path = name.requestPath;
  const headers = new Headers();
  for (const name of MIRROR_FORWARDED_HEADERS) {
    const value = original.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  headers.set(MIRROR_REQUEST_MARK, '1');
  // A bucket is chosen by Host: never the user's (S3 would look for a bucket named www.gov.uk).
  const host = settings.host ?? context.bucketHost(mirror);
  if (host === null) {
    throw new BackendUnavailable(`no bucket host: set ${BUCKET_HOST_KEYS[mirror]} in config store failover_config, or an override host on backend ${mirror}`);
  }
  headers.set('Host', host);

  if (mirror === 'mirrorGCS') {
    const bucket = context.config.gcsBucket;
    if (bucket === null) throw new BackendUnavailable('gcs_bucket is not set in config store failover_config');
    const credentials = await context.gcsCredentials();
    if (credentials === null) throw new BackendUnavailable('no HMAC key (gcs_access_id, gcs_secret_key) in secret store failover_secrets');
    const signed = await signGcsRequest({ ...credentials, bucket, path, date: context.date(), method: 'GET' });
    headers.set('Date', signed.date);
    headers.set('Authorization', signed.authorization);
  }
  // Always GET, even for a HEAD or an override of another method: the cache may turn a HEAD into a GET
  // on a miss (which would break a HEAD signature), and a cached copy must be the whole page.
  return new Request(`${url.protocol}//${host}${path}`, { method: 'GET', headers });
}
