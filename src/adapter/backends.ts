/**
 * Backend health and existence, from `fastly:backend`. Which backends exist
 * is fixed for a service version, so what one look-up learnt (reading a
 * backend's health finds out whether it exists) spares the next host call.
 */
import { Backend } from 'fastly:backend';
import { bucketHostOf } from '../core/backend-request.ts';
import type { BackendName, MirrorName } from '../core/backends.ts';
import type { Health } from '../core/policy.ts';

const known = new Map<BackendName, boolean>();

export function backendHealth(name: BackendName): Health {
  try {
    const health = Backend.fromName(name).health();
    known.set(name, true);
    return health;
  } catch {
    return 'unknown';
  }
}

export function backendExists(name: BackendName): boolean {
  const remembered = known.get(name);
  if (remembered !== undefined) return remembered;
  let exists: boolean;
  try {
    exists = Backend.exists(name);
  } catch {
    exists = false;
  }
  known.set(name, exists);
  return exists;
}

/**
 * The bucket host a mirror's backend names: its override host (the host call
 * fails when there is none), else its address when that is a host name.
 */
export function backendBucketHost(name: MirrorName): string | null {
  let backend: Backend;
  try {
    backend = Backend.fromName(name);
  } catch {
    return null;
  }
  let overrideHost: string | null = null;
  try {
    overrideHost = backend.hostOverride || null;
  } catch {
    // No override host on this backend.
  }
  try {
    return bucketHostOf({ overrideHost, target: backend.target });
  } catch {
    return overrideHost;
  }
}
