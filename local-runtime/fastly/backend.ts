/** `fastly:backend` — static backends from the manifest, as Viceroy exposes them. */
import { requestHost, requestHostOrTrap, type BackendDef } from '../context.ts';

const TOKEN = Symbol('local-runtime.backend');

export interface BackendConfiguration {
  name?: string;
  target: string;
  [key: string]: unknown;
}

let explicitOnly = false;
let defaultBackendName: string | undefined;

/** Recorded for completeness; a fetch without a backend is always refused here. */
export function enforceExplicitBackends(defaultBackend?: string): void {
  if (defaultBackend !== undefined && typeof defaultBackend !== 'string') {
    throw new TypeError('enforceExplicitBackends: defaultBackend must be undefined or a string');
  }
  explicitOnly = true;
  defaultBackendName = defaultBackend;
}

/** The default backend named by enforceExplicitBackends, if any (read by the fetch shim). */
export function defaultBackend(): string | undefined {
  return explicitOnly ? defaultBackendName : undefined;
}

export function setDefaultDynamicBackendConfig(_config: unknown): void {}

/** At init time this traps the build, as js-compute's `Backend.exists` host call does. */
function lookup(name: string): BackendDef | undefined {
  return requestHostOrTrap(['fastly_backend', 'exists']).backends.get(name);
}

export class Backend {
  readonly #def: BackendDef;

  constructor(configuration: BackendConfiguration, token?: symbol) {
    if (token !== TOKEN) {
      const target = (configuration as BackendConfiguration | undefined)?.target;
      requestHost('The Backend builtin');
      throw new Error(
        `Backend constructor: Unable to create a dynamic backend for '${String(target)}' - dynamic backends are unsupported on this service. Either explicitly configure backend services or contact Fastly support to enable dynamic backends.`,
      );
    }
    this.#def = (configuration as unknown as { def: BackendDef }).def;
  }

  get name(): string {
    return this.#def.name;
  }
  get isDynamic(): boolean {
    return false;
  }
  get target(): string {
    return this.#def.url.hostname;
  }
  /** Viceroy's host call fails when the backend has no override host; js-compute lets that error through. */
  get hostOverride(): string {
    if (this.#def.overrideHost === undefined) {
      throw new Error('host_override_get: A `None` error. This status code is used to indicate when an optional value did not exist, as opposed to an empty value.\n');
    }
    return this.#def.overrideHost;
  }
  get port(): number {
    const u = this.#def.url;
    return u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
  }
  // Viceroy answers "unsupported" for these, which js-compute turns into null.
  get connectTimeout(): number | null {
    return null;
  }
  get firstByteTimeout(): number | null {
    return null;
  }
  get betweenBytesTimeout(): number | null {
    return null;
  }
  get httpKeepaliveTime(): number {
    return 0;
  }
  get tcpKeepalive(): null {
    return null;
  }
  get isSSL(): boolean {
    return this.#def.url.protocol === 'https:';
  }
  get tlsMinVersion(): null {
    return null;
  }
  get tlsMaxversion(): null {
    return null;
  }

  health(): 'healthy' | 'unhealthy' | 'unknown' {
    return this.#def.health;
  }
  toName(): string {
    return this.#def.name;
  }
  toString(): string {
    return this.#def.name;
  }

  static exists(name: string): boolean {
    return lookup(String(name)) !== undefined;
  }

  static fromName(name: string): Backend {
    const def = lookup(String(name));
    if (!def) throw new Error(`Backend.fromName: backend named '${String(name)}' does not exist`);
    return new Backend({ def } as unknown as BackendConfiguration, TOKEN);
  }

  static health(backend: Backend): 'healthy' | 'unhealthy' | 'unknown' {
    if (!(backend instanceof Backend)) throw new TypeError('Backend.health: backend must be a Backend instance');
    const def = lookup(backend.name);
    if (!def) throw new Error(`Backend.health: backend named '${backend.name}' does not exist`);
    return def.health;
  }
}
