/** `fastly:secret-store` — stores from `[local_server.secret_stores]`. */
import { requestHost } from '../context.ts';

const TOKEN = Symbol('local-runtime.secret');

export class SecretStoreEntry {
  readonly #bytes: Uint8Array;

  constructor(bytes: Uint8Array, token?: symbol) {
    if (token !== TOKEN) throw new TypeError('Illegal constructor');
    this.#bytes = bytes;
  }

  plaintext(): string {
    return new TextDecoder().decode(this.#bytes);
  }

  rawBytes(): Uint8Array<ArrayBuffer> {
    return new Uint8Array(this.#bytes);
  }
}

export class SecretStore {
  readonly #entries: ReadonlyMap<string, Uint8Array>;

  constructor(name: string) {
    const host = requestHost('The SecretStore builtin');
    const n = String(name);
    if (n === '') throw new TypeError('SecretStore constructor: name can not be an empty string');
    if (n.length > 255) throw new TypeError('SecretStore constructor: name can not be more than 255 characters');
    if (!/^[A-Za-z0-9_\- \t\n\f\r.]*$/.test(n)) {
      throw new TypeError('SecretStore constructor: name can contain only ascii alphanumeric characters, underscores, dashes, and ascii whitespace');
    }
    const entries = host.secretStores.get(n);
    if (!entries) throw new TypeError(`SecretStore constructor: No SecretStore named '${n}' exists`);
    this.#entries = entries;
  }

  get(key: string): Promise<SecretStoreEntry | null> {
    try {
      const k = String(key);
      if (k === '') throw new TypeError('SecretStore key can not be an empty string');
      if (k.length > 255) throw new TypeError('SecretStore key can not be more than 255 characters');
      const bytes = this.#entries.get(k);
      return Promise.resolve(bytes ? new SecretStoreEntry(bytes, TOKEN) : null);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  static fromBytes(bytes: ArrayBufferView | ArrayBuffer): SecretStoreEntry {
    const view = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return new SecretStoreEntry(new Uint8Array(view), TOKEN);
  }
}
