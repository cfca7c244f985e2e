/**
 * Reads the `[local_server]` part of a `fastly.toml` the way Viceroy does
 * (src/config*.rs in fastly/Viceroy): the same keys, the same rejections.
 *
 * One deliberate difference: relative `file` paths are resolved against the
 * manifest's directory (Viceroy uses its working directory, which is the
 * manifest's directory when started by `fastly compute serve`).
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import type { BackendDef, Health } from './context.ts';

export interface Manifest {
  /** The file it was read from, if any. */
  file?: string;
  backends: Map<string, BackendDef>;
  configStores: Map<string, Map<string, string>>;
  secretStores: Map<string, Map<string, Uint8Array>>;
}

export class ManifestError extends Error {
  override name = 'ManifestError';
}

const MAX_MANIFEST_VERSION = 3;
const CONFIG_KEY_MAX = 256;
const CONFIG_VALUE_MAX = 8000;

type Table = Record<string, unknown>;

function isTable(v: unknown): v is Table {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

// Set while validating text parsed with integersAsBigInt, where TOML integers
// are bigints and TOML floats (even `100.0`) are numbers.
let tomlIntegersOnly = false;

function isInteger(v: unknown): v is number | bigint {
  return typeof v === 'bigint' || (!tomlIntegersOnly && typeof v === 'number' && Number.isInteger(v));
}

/** Reads and validates a manifest file. */
export function loadManifest(path: string): Manifest {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'no such file' : e.message;
    throw new ManifestError(`error reading '${path}': ${why}`);
  }
  return parseManifest(text, file);
}

/** Parses manifest text; `file` names it in errors and anchors relative paths. */
export function parseManifest(text: string, file = 'fastly.toml'): Manifest {
  let doc: Table;
  try {
    doc = parseToml(text, { integersAsBigInt: true }) as Table;
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    throw new ManifestError(`${file}: error parsing \`fastly.toml\`: ${msg}`);
  }
  tomlIntegersOnly = true;
  try {
    return manifestFromObject(doc, file);
  } finally {
    tomlIntegersOnly = false;
  }
}

/**
 * Validates an already-parsed manifest (the object smol-toml returns, or one
 * written by hand in a test). Integers may be numbers or bigints.
 */
export function manifestFromObject(doc: unknown, file = 'fastly.toml'): Manifest {
  const baseDir = dirname(resolve(file));
  const fail = (msg: string): never => {
    throw new ManifestError(`${file}: ${msg}`);
  };
  if (!isTable(doc)) fail('error parsing `fastly.toml`: expected a table at the top level');
  const top = doc as Table;

  const mv = top.manifest_version;
  if (mv !== undefined) {
    if (!isInteger(mv) || Number(mv) < 0) fail('error parsing `fastly.toml`: `manifest_version` must be a non-negative integer');
    if (Number(mv) > MAX_MANIFEST_VERSION) {
      fail(`unsupported manifest version ${Number(mv)}; max supported version is ${MAX_MANIFEST_VERSION}`);
    }
  }
  for (const key of ['name', 'description', 'language'] as const) {
    if (top[key] !== undefined && typeof top[key] !== 'string') fail(`error parsing \`fastly.toml\`: \`${key}\` must be a string`);
  }
  if (top.authors !== undefined && !(Array.isArray(top.authors) && top.authors.every((a) => typeof a === 'string'))) {
    fail('error parsing `fastly.toml`: `authors` must be an array of strings');
  }

  const manifest: Manifest = { file, backends: new Map(), configStores: new Map(), secretStores: new Map() };
  const ls = top.local_server;
  if (ls === undefined) return manifest;
  if (!isTable(ls)) fail('error parsing `fastly.toml`: `local_server` must be a table');
  const local = ls as Table;

  // Viceroy reads these sections; the ones this runtime does not emulate are
  // accepted (so a manifest Viceroy takes is taken here) but not validated.
  for (const key of ['backends', 'dictionaries', 'config_stores', 'secret_stores', 'acls', 'device_detection', 'geolocation', 'object_stores', 'object_store', 'kv_stores', 'shielding_sites']) {
    if (local[key] !== undefined && !isTable(local[key])) {
      fail(`error parsing \`fastly.toml\`: \`local_server.${key}\` must be a table`);
    }
  }
  if (local.dictionaries !== undefined && local.config_stores !== undefined) {
    fail('error parsing `fastly.toml`: duplicate field `dictionaries` (`config_stores` is an alias of it)');
  }

  for (const [name, def] of Object.entries((local.backends as Table | undefined) ?? {})) {
    const where = `invalid configuration for '${name}' ([local_server.backends.${name}])`;
    try {
      manifest.backends.set(name, parseBackend(name, def, baseDir));
    } catch (err) {
      fail(`${where}: ${(err as Error).message}`);
    }
  }

  const cfgKey = local.config_stores !== undefined ? 'config_stores' : 'dictionaries';
  for (const [name, def] of Object.entries((local[cfgKey] as Table | undefined) ?? {})) {
    const where = `invalid configuration for '${name}' ([local_server.${cfgKey}.${name}])`;
    try {
      manifest.configStores.set(name, parseConfigStore(def, baseDir));
    } catch (err) {
      fail(`${where}: ${(err as Error).message}`);
    }
  }

  for (const [name, def] of Object.entries((local.secret_stores as Table | undefined) ?? {})) {
    const where = `invalid configuration for '${name}' ([local_server.secret_stores.${name}])`;
    try {
      manifest.secretStores.set(name, parseSecretStore(name, def, baseDir));
    } catch (err) {
      fail(`${where}: ${(err as Error).message}`);
    }
  }
  return manifest;
}

function readText(baseDir: string, file: string): string {
  try {
    return readFileSync(resolve(baseDir, file), 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new Error(e.code === 'ENOENT' ? `cannot read '${file}': no such file` : `cannot read '${file}': ${e.message}`);
  }
}

function parseBackend(name: string, def: unknown, baseDir: string): BackendDef {
  if (!isTable(def)) throw new Error('definition was not provided as a TOML table');
  const t: Table = { ...def };
  const take = (k: string): unknown => {
    const v = t[k];
    delete t[k];
    return v;
  };

  const rawUrl = take('url');
  if (rawUrl === undefined) throw new Error("missing 'url' field");
  if (typeof rawUrl !== 'string') throw new Error("'url' field was not a string");
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new Error(`invalid url: ${rawUrl}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`invalid url: ${rawUrl} (the scheme must be http or https)`);
  }

  const overrideHost = take('override_host');
  if (overrideHost !== undefined) {
    if (typeof overrideHost !== 'string') throw new Error("'override_host' field was not a string");
    if (overrideHost.trim() === '') throw new Error("'override_host' field is empty");
    if (/[\r\n\0]/.test(overrideHost)) throw new Error(`invalid override_host: ${JSON.stringify(overrideHost)}`);
  }

  const certHost = take('cert_host');
  if (certHost !== undefined) {
    if (typeof certHost !== 'string') throw new Error("'cert_host' field was not a string");
    if (certHost.trim() === '') throw new Error("'cert_host' field is empty");
  }

  const useSni = take('use_sni');
  if (useSni !== undefined && typeof useSni !== 'boolean') throw new Error("'use_sni' field was not a boolean");

  const clientCert = take('client_certificate');
  const clientCertificate = clientCert === undefined ? undefined : parseClientCert(clientCert, baseDir);

  const caCert = take('ca_certificate');
  const caCertificates = caCert === undefined ? [] : parseCaCert(caCert, baseDir);

  const grpc = take('grpc');
  if (grpc !== undefined && typeof grpc !== 'boolean') throw new Error("'grpc' field was not a boolean");

  const timeout = (k: string): number | undefined => {
    const v = take(k);
    if (v === undefined) return undefined;
    if (!isInteger(v) || Number(v) < 0) throw new Error(`Illegal timeout value (must be an integer >= 0) for '${k}'`);
    return Number(v);
  };
  const firstByteTimeoutMs = timeout('first_byte_timeout_ms');
  const betweenBytesTimeoutMs = timeout('between_bytes_timeout_ms');

  const rawHealth = take('health');
  let health: Health = 'unknown';
  if (rawHealth !== undefined) {
    const h = typeof rawHealth === 'string' ? rawHealth.toLowerCase() : undefined;
    if (h !== 'unknown' && h !== 'healthy' && h !== 'unhealthy') {
      const shown = typeof rawHealth === 'string' ? rawHealth : 'not a string';
      throw new Error(`'health' field has invalid value '${shown}' (expected 'unknown', 'healthy', or 'unhealthy')`);
    }
    health = h;
  }

  const leftover = Object.keys(t)[0];
  if (leftover !== undefined) throw new Error(`unrecognized key '${leftover}'`);

  return {
    name,
    url,
    overrideHost: overrideHost as string | undefined,
    certHost: certHost as string | undefined,
    useSni: (useSni as boolean | undefined) ?? true,
    grpc: (grpc as boolean | undefined) ?? false,
    firstByteTimeoutMs,
    betweenBytesTimeoutMs,
    health,
    caCertificates,
    clientCertificate,
  };
}

function parseClientCert(v: unknown, baseDir: string): { certificate: string; key: string } {
  if (!isTable(v)) throw new Error('Expected a TOML table, found something else');
  const field = (k: string, file: boolean): string | undefined => {
    const x = v[k];
    if (x === undefined) return undefined;
    if (typeof x !== 'string') throw new Error(`Expected a string value for key ${k}, got something else`);
    return file ? readText(baseDir, x) : x;
  };
  const certificate = field('certificate_file', true) ?? field('certificate', false);
  const key = field('key_file', true) ?? field('key', false);
  if (!certificate || !certificate.includes('-----BEGIN')) throw new Error('No certificates found in client cert definition');
  if (!key || !key.includes('-----BEGIN')) throw new Error('No keys found for client certificate');
  return { certificate, key };
}

function parseCaCert(v: unknown, baseDir: string): string[] {
  if (typeof v === 'string') {
    if (v.trim() === '') throw new Error("'ca_certificate' field is empty");
    return [v];
  }
  if (Array.isArray(v)) return v.flatMap((x) => parseCaCert(x, baseDir));
  if (isTable(v)) {
    const { file, value, ...rest } = v;
    if (file !== undefined) {
      if (typeof file !== 'string') throw new Error("'ca_certificate' field was invalid: invalid format for file reference");
      if (Object.keys(rest).length > 0 || value !== undefined) {
        throw new Error(`'ca_certificate' field was invalid: unknown ca_certificate keys: ${JSON.stringify(Object.keys({ ...rest, ...(value === undefined ? {} : { value }) }))}`);
      }
      return parseCaCert(readText(baseDir, file), baseDir);
    }
    if (value === undefined) throw new Error("'ca_certificate' field was invalid: 'ca_certificate' was a dictionary without a 'file' or 'value' field");
    if (typeof value !== 'string') throw new Error("'ca_certificate' field was invalid: invalid format for 'value' field");
    return parseCaCert(value, baseDir);
  }
  throw new Error("'ca_certificate' field was invalid: unknown format; should be a certificate string, a dictionary with a file reference, or an array of the previous");
}

function checkConfigEntries(contents: Map<string, string>): void {
  for (const [key, value] of contents) {
    if ([...key].length > CONFIG_KEY_MAX) throw new Error(`Item key named '${key}' is too long, max size is ${CONFIG_KEY_MAX}`);
    if ([...value].length > CONFIG_VALUE_MAX) throw new Error(`Item value named '${key}' is too long, max size is ${CONFIG_VALUE_MAX}`);
  }
}

function parseConfigStore(def: unknown, baseDir: string): Map<string, string> {
  if (!isTable(def)) throw new Error('definition was not provided as a TOML table');
  const { format, ...rest } = def;
  if (format === undefined) throw new Error("missing 'format' field");
  if (typeof format !== 'string') throw new Error("'format' field was not a string");
  const contents = new Map<string, string>();
  let leftover: Table;
  if (format === 'inline-toml') {
    const { contents: raw, ...others } = rest;
    leftover = others;
    if (raw === undefined) throw new Error("missing 'contents' field");
    if (!isTable(raw)) throw new Error("'contents' was not provided as a TOML table");
    for (const [k, v] of Object.entries(raw)) {
      if (typeof v !== 'string') throw new Error(`inline dictionary value was not a string (key '${k}')`);
      contents.set(k, v);
    }
  } else if (format === 'json') {
    const { file, ...others } = rest;
    leftover = others;
    if (file === undefined) throw new Error("missing 'file' field");
    if (typeof file !== 'string') throw new Error("'file' field was not a string");
    if (file === '') throw new Error("'file' field is empty");
    let json: unknown;
    const text = readText(baseDir, file);
    try {
      json = JSON.parse(text);
    } catch {
      throw new Error(`'${file}': The file is of the wrong format. The file is expected to contain a single JSON Object`);
    }
    if (!isTable(json)) throw new Error(`'${file}': The file is of the wrong format. The file is expected to contain a single JSON Object`);
    for (const [k, v] of Object.entries(json)) {
      if (typeof v !== 'string') {
        throw new Error(`'${file}': Item value under key named '${k}' is of the wrong format. The value is expected to be a JSON String`);
      }
      contents.set(k, v);
    }
  } else if (format === '') {
    throw new Error("'format' field is empty");
  } else {
    throw new Error(`'${format}' is not a valid format for the dictionary. Supported format(s) are: 'inline-toml', 'json'.`);
  }
  const extra = Object.keys(leftover)[0];
  if (extra !== undefined) throw new Error(`unrecognized key '${extra}'`);
  checkConfigEntries(contents);
  return contents;
}

function isValidSecretName(name: string): boolean {
  return name.length > 0 && Buffer.byteLength(name) <= 255 && /^[A-Za-z0-9_.-]+$/.test(name);
}

function parseSecretStore(storeName: string, def: unknown, baseDir: string): Map<string, Uint8Array> {
  if (!isValidSecretName(storeName)) throw new Error(`Invalid secret store name: ${storeName}`);
  let items: unknown[];
  const file = isTable(def) && typeof def.file === 'string' ? def.file : undefined;
  const format = isTable(def) && typeof def.format === 'string' ? def.format : undefined;
  if (file !== undefined && format !== undefined) {
    if (format !== 'json') throw new Error(`'${format}' is not a valid format for the secret store. Supported format(s) are: 'json'.`);
    let json: unknown;
    try {
      json = JSON.parse(readText(baseDir, file));
    } catch (err) {
      if ((err as Error).message.startsWith('cannot read')) throw err;
      json = undefined;
    }
    if (!isTable(json) || !Object.values(json).every((v) => typeof v === 'string')) {
      throw new Error(`'${file}': The file is of the wrong format. The file is expected to contain a single JSON object.`);
    }
    items = Object.entries(json).map(([key, data]) => ({ key, data }));
  } else if (file === undefined && format === undefined) {
    if (!Array.isArray(def)) throw new Error('There is no array of objects for the given store.');
    items = def;
  } else {
    throw new Error("When using a top-level 'file' to load data, both 'file' and 'format' must be set.");
  }

  const store = new Map<string, Uint8Array>();
  for (const item of items) {
    if (!isTable(item)) throw new Error('There is an object in the given store that is not a table of keys.');
    const key = item.key;
    if (key === undefined) throw new Error('The `key` key for an object is not set. It must be used.');
    if (typeof key !== 'string') throw new Error('The `key` value for an object is not a string.');
    if (!isValidSecretName(key)) throw new Error(`Invalid secret name: ${key}`);
    const sources = (['file', 'data', 'env'] as const).filter((k) => item[k] !== undefined);
    if (sources.length === 0) throw new Error(`None of \`file\`, \`data\`, or \`env\` keys for the object \`${key}\` is set. One must be used.`);
    if (sources.length > 1) throw new Error(`More than one of \`file\`, \`data\`, or \`env\` keys for the object \`${key}\` are set. Only one can be used.`);
    const source = sources[0]!;
    const value = item[source];
    if (typeof value !== 'string') throw new Error(`The \`${source}\` value for the object \`${key}\` is not a string.`);
    let bytes: Uint8Array;
    if (source === 'file') {
      try {
        bytes = new Uint8Array(readFileSync(resolve(baseDir, value)));
      } catch (err) {
        throw new Error(`cannot read '${value}': ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
      }
    } else if (source === 'data') {
      bytes = new TextEncoder().encode(value);
    } else {
      // Viceroy reads an unset variable as the empty string.
      bytes = new TextEncoder().encode(process.env[value] ?? '');
    }
    store.set(key, bytes);
  }
  return store;
}
