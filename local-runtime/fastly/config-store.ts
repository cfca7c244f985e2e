/** `fastly:config-store` — stores from `[local_server.config_stores]`. */
import { requestHost } from '../context.ts';

function checkName(name: string): void {
  if (name === '') throw new TypeError('ConfigStore constructor: name can not be an empty string');
  if (name.length > 255) throw new TypeError('ConfigStore constructor: name can not be more than 255 characters');
  if (!/^[A-Za-z]/.test(name)) throw new TypeError('ConfigStore constructor: name must start with an ascii alpabetical character');
  if (!/^[A-Za-z0-9_ \t\n\f\r]*$/.test(name)) {
    throw new TypeError('ConfigStore constructor: name can contain only ascii alphanumeric characters, underscores, and ascii whitespace');
  }
}

export class ConfigStore {
  readonly #entries: ReadonlyMap<string, string>;

  constructor(name: string) {
    const host = requestHost('The ConfigStore builtin');
    const n = String(name);
    checkName(n);
    const entries = host.configStores.get(n);
    if (!entries) throw new TypeError(`ConfigStore constructor: No ConfigStore named '${n}' exists`);
    this.#entries = entries;
  }

  get(key: string): string | null {
    const k = String(key);
    if (k === '') throw new TypeError('ConfigStore key can not be an empty string');
    if (k.length > 255) throw new TypeError('ConfigStore key can not be more than 255 characters');
    return this.#entries.get(k) ?? null;
  }
}
