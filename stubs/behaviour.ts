/**
 * What a stub backend does with each request: a discriminated union, one
 * member per kind of (mis)behaviour, switchable at run time with
 * `StubBackend.setBehaviour`.
 */
import { validateHeaderName, validateHeaderValue } from 'node:http';

/** Extra response headers. A list value sends the header several times. */
export type HeaderMap = Readonly<Record<string, string | readonly string[]>>;

/** Answers (default 200) with an HTML page naming the backend id and the request path. */
export interface EchoBehaviour {
  readonly kind: 'echo';
  readonly status?: number;
  /** Added to, or replacing, the default headers (e.g. `No-Fallback`, `Cache-Control`). */
  readonly headers?: HeaderMap;
  /** Replaces the generated body. */
  readonly body?: string;
}

/** Answers with the given status and a small HTML body naming the backend id and the status. */
export interface StatusBehaviour {
  readonly kind: 'status';
  readonly status: number;
  readonly headers?: HeaderMap;
}

/** Serves a directory as an S3 / GCS bucket would over HTTP (see `bucket.ts`). */
export interface BucketBehaviour {
  readonly kind: 'bucket';
  /** The directory holding the objects: key `a/b.html` is the file `<root>/a/b.html`. */
  readonly root: string;
  /** Status for a key with no object: 403 (default, a private S3 bucket) or 404. */
  readonly missingStatus?: 403 | 404;
  /** Which provider's headers and error bodies to imitate (default `s3`). */
  readonly flavour?: 's3' | 'gcs';
  /** Extra headers on 200 / 304 answers (e.g. `Cache-Control`). */
  readonly headers?: HeaderMap;
}

/** Nothing listens on the port: connections are refused (ECONNREFUSED). Top level only. */
export interface RefuseBehaviour {
  readonly kind: 'refuse';
}

/** Accepts the connection and the request, never sends headers. */
export interface HangBehaviour {
  readonly kind: 'hang';
}

/** Sends 200 headers with a Content-Length larger than what follows, part of the body, then closes the socket. */
export interface ResetMidBodyBehaviour {
  readonly kind: 'reset-mid-body';
  /** Body bytes sent before the socket is destroyed (default 512). */
  readonly bytesBeforeReset?: number;
  readonly headers?: HeaderMap;
}

/** Sends 200 headers and a first chunk of the body, then stalls. */
export interface SlowBodyBehaviour {
  readonly kind: 'slow-body';
  /** Body bytes sent before stalling (default 1024; 0 sends headers only). */
  readonly stallAfterBytes?: number;
  readonly headers?: HeaderMap;
}

/** Waits `ms` milliseconds, then behaves as `then`. */
export interface DelayBehaviour {
  readonly kind: 'delay';
  readonly ms: number;
  readonly then: Behaviour;
}

/**
 * Picks one of `choices` per request with a PRNG seeded by `seed` (restarted
 * every time the behaviour is set), optionally weighted.
 */
export interface RandomBehaviour {
  readonly kind: 'random';
  readonly choices: readonly Behaviour[];
  readonly seed: number;
  /** Relative weights, one per choice (default: all equal). */
  readonly weights?: readonly number[];
}

/**
 * A behaviour per request path (the raw path, query string dropped, matched
 * exactly), and `otherwise` for every other path: a site with real pages, or
 * a bucket with one faulty object. No `random` inside (its draws would
 * depend on which paths are asked for).
 */
export interface ByPathBehaviour {
  readonly kind: 'by-path';
  readonly paths: Readonly<Record<string, Behaviour>>;
  readonly otherwise: Behaviour;
}

export type Behaviour =
  | ByPathBehaviour
  | EchoBehaviour
  | StatusBehaviour
  | BucketBehaviour
  | RefuseBehaviour
  | HangBehaviour
  | ResetMidBodyBehaviour
  | SlowBodyBehaviour
  | DelayBehaviour
  | RandomBehaviour;

export type BehaviourKind = Behaviour['kind'];

export const DEFAULT_BEHAVIOUR: Behaviour = { kind: 'echo' };

/** Bounds, so that nothing a test sets up can run away. */
export const BEHAVIOUR_LIMITS = {
  maxDelayMs: 600_000,
  maxPartialBytes: 1024 * 1024,
  maxChoices: 1000,
  maxNesting: 8,
  maxBodyBytes: 8 * 1024 * 1024,
} as const;

export class InvalidBehaviourError extends Error {
  override name = 'InvalidBehaviourError';
}

/** Throws `InvalidBehaviourError` when `b` cannot be acted on. Does not touch the file system. */
export function validateBehaviour(b: Behaviour): void {
  check(b, 'behaviour', 0);
}

function check(b: Behaviour, where: string, depth: number): void {
  const fail = (msg: string): never => {
    throw new InvalidBehaviourError(`${where}: ${msg}`);
  };
  if (typeof b !== 'object' || b === null) fail('not an object');
  if (depth > BEHAVIOUR_LIMITS.maxNesting) fail(`nested more than ${BEHAVIOUR_LIMITS.maxNesting} deep`);
  const headers = (h: HeaderMap | undefined): void => {
    if (h === undefined) return;
    for (const [name, value] of Object.entries(h)) {
      try {
        validateHeaderName(name);
        for (const v of typeof value === 'string' ? [value] : value) validateHeaderValue(name, v);
      } catch (err) {
        fail(`bad header ${JSON.stringify(name)}: ${(err as Error).message}`);
      }
    }
  };
  const int = (value: number | undefined, name: string, min: number, max: number): void => {
    if (value === undefined) return;
    if (!Number.isInteger(value) || value < min || value > max) fail(`${name} must be an integer in [${min}, ${max}], got ${value}`);
  };
  switch (b.kind) {
    case 'echo':
      int(b.status, 'status', 200, 599);
      headers(b.headers);
      if (b.body !== undefined && typeof b.body !== 'string') fail('body must be a string');
      if (b.body !== undefined && Buffer.byteLength(b.body) > BEHAVIOUR_LIMITS.maxBodyBytes) fail('body too large');
      return;
    case 'status':
      if (b.status === undefined) fail('status is required');
      int(b.status, 'status', 200, 599);
      headers(b.headers);
      return;
    case 'bucket':
      if (typeof b.root !== 'string' || b.root === '') fail('root must be a directory path');
      if (b.missingStatus !== undefined && b.missingStatus !== 403 && b.missingStatus !== 404) fail('missingStatus must be 403 or 404');
      if (b.flavour !== undefined && b.flavour !== 's3' && b.flavour !== 'gcs') fail("flavour must be 's3' or 'gcs'");
      headers(b.headers);
      return;
    case 'refuse':
      if (depth > 0) fail("'refuse' is a state of the listener, so it can only be the top-level behaviour (use 'reset-mid-body' or 'hang' for per-request faults)");
      return;
    case 'hang':
      return;
    case 'reset-mid-body':
      int(b.bytesBeforeReset, 'bytesBeforeReset', 0, BEHAVIOUR_LIMITS.maxPartialBytes);
      headers(b.headers);
      return;
    case 'slow-body':
      int(b.stallAfterBytes, 'stallAfterBytes', 0, BEHAVIOUR_LIMITS.maxPartialBytes);
      headers(b.headers);
      return;
    case 'delay':
      if (typeof b.ms !== 'number' || !Number.isFinite(b.ms) || b.ms < 0 || b.ms > BEHAVIOUR_LIMITS.maxDelayMs) {
        fail(`ms must be a number in [0, ${BEHAVIOUR_LIMITS.maxDelayMs}], got ${b.ms}`);
      }
      if (b.then === undefined) fail('then is required');
      check(b.then, `${where}.then`, depth + 1);
      return;
    case 'by-path': {
      if (typeof b.paths !== 'object' || b.paths === null) fail('paths must be an object of path → behaviour');
      if (b.otherwise === undefined) fail('otherwise is required');
      const entries = Object.entries(b.paths);
      if (entries.length > BEHAVIOUR_LIMITS.maxChoices) fail(`at most ${BEHAVIOUR_LIMITS.maxChoices} paths`);
      for (const [path, behaviour] of [...entries, ['(otherwise)', b.otherwise] as const]) {
        if (path !== '(otherwise)' && (!path.startsWith('/') || path.includes('?'))) fail(`path ${JSON.stringify(path)} must start with / and have no query`);
        if (containsRandom(behaviour)) fail(`paths[${JSON.stringify(path)}]: 'random' cannot be used inside 'by-path'`);
        check(behaviour, `${where}.paths[${JSON.stringify(path)}]`, depth + 1);
      }
      return;
    }
    case 'random': {
      if (!Array.isArray(b.choices) || b.choices.length === 0) fail('choices must be a non-empty array');
      if (b.choices.length > BEHAVIOUR_LIMITS.maxChoices) fail(`at most ${BEHAVIOUR_LIMITS.maxChoices} choices`);
      if (!Number.isInteger(b.seed)) fail(`seed must be an integer, got ${b.seed}`);
      if (b.weights !== undefined) {
        if (b.weights.length !== b.choices.length) fail('weights must have one entry per choice');
        if (b.weights.some((w) => typeof w !== 'number' || !Number.isFinite(w) || w < 0)) fail('weights must be finite and >= 0');
        if (b.weights.reduce((a, w) => a + w, 0) <= 0) fail('weights must not all be 0');
      }
      b.choices.forEach((c, i) => check(c, `${where}.choices[${i}]`, depth + 1));
      return;
    }
    default: {
      const unknown: never = b;
      fail(`unknown kind ${JSON.stringify((unknown as { kind?: unknown }).kind)}`);
    }
  }
}

function containsRandom(b: Behaviour): boolean {
  if (b.kind === 'random') return true;
  if (b.kind === 'delay') return containsRandom(b.then);
  if (b.kind === 'by-path') return containsRandom(b.otherwise) || Object.values(b.paths).some(containsRandom);
  return false;
}

/** The behaviour `b` gives a request for `rawPath` (only `by-path` looks at it). */
export function behaviourForPath(b: Behaviour, rawPath: string): Behaviour {
  if (b.kind !== 'by-path') return b;
  const q = rawPath.indexOf('?');
  const path = q === -1 ? rawPath : rawPath.slice(0, q);
  return behaviourForPath(Object.hasOwn(b.paths, path) ? (b.paths[path] as Behaviour) : b.otherwise, rawPath);
}

/** Every bucket root mentioned anywhere in `b`. */
export function bucketRoots(b: Behaviour): string[] {
  switch (b.kind) {
    case 'by-path':
      return [...Object.values(b.paths), b.otherwise].flatMap(bucketRoots);
    case 'bucket':
      return [b.root];
    case 'delay':
      return bucketRoots(b.then);
    case 'random':
      return b.choices.flatMap(bucketRoots);
    default:
      return [];
  }
}

/** A short human-readable description, for logs and demo output. */
export function describeBehaviour(b: Behaviour): string {
  switch (b.kind) {
    case 'by-path':
      return `by path: ${Object.keys(b.paths).length} path(s), otherwise ${describeBehaviour(b.otherwise)}`;
    case 'echo':
      return `echo ${b.status ?? 200}`;
    case 'status':
      return `status ${b.status}`;
    case 'bucket':
      return `bucket ${b.flavour ?? 's3'} ${b.root} (missing: ${b.missingStatus ?? 403})`;
    case 'refuse':
    case 'hang':
      return b.kind;
    case 'reset-mid-body':
      return `reset-mid-body after ${b.bytesBeforeReset ?? DEFAULT_RESET_BYTES} bytes`;
    case 'slow-body':
      return `slow-body stalling after ${b.stallAfterBytes ?? DEFAULT_STALL_BYTES} bytes`;
    case 'delay':
      return `delay ${b.ms}ms then ${describeBehaviour(b.then)}`;
    case 'random':
      return `random(seed ${b.seed}) of [${b.choices.map(describeBehaviour).join(', ')}]`;
  }
}

export const DEFAULT_RESET_BYTES = 512;
export const DEFAULT_STALL_BYTES = 1024;
