/**
 * Backend health and existence, from `fastly:backend`. Which backends exist
 * is fixed for a service version, so what one look-up learnt (reading a
 * backend's health finds out whether it exists) spares the next host call.
 */
import { Backend } from 'fastly:backend';
import type { BackendName } from '../core/backends.ts';
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
