/** Backend health and existence, from `fastly:backend`. */
import { Backend } from 'fastly:backend';
import type { BackendName } from '../core/backends.ts';
import type { Health } from '../core/policy.ts';

export function backendHealth(name: BackendName): Health {
  try {
    return Backend.fromName(name).health();
  } catch {
    return 'unknown';
  }
}

export function backendExists(name: BackendName): boolean {
  try {
    return Backend.exists(name);
  } catch {
    return false;
  }
}
