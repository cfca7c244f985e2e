import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { loadManifest, ManifestError, manifestFromObject, parseManifest } from './manifest.ts';
import { FIXTURE_MANIFEST, FIXTURES } from './test-helpers.ts';

const FILE = join(FIXTURES, 'fastly.toml');

describe('manifest', () => {
  beforeEach(() => {
    process.env.LOCAL_RUNTIME_TEST_SECRET = 'from-env';
  });
  afterEach(() => {
    delete process.env.LOCAL_RUNTIME_TEST_SECRET;
  });

  it('reads backends, config stores and secret stores from a file', () => {
    const m = loadManifest(FIXTURE_MANIFEST);
    const origin = m.backends.get('origin')!;
    expect(origin.url.href).toBe('http://127.0.0.1:9/');
    expect(origin.overrideHost).toBe('origin.example.test');
    expect(origin.firstByteTimeoutMs).toBe(5000);
    expect(origin.betweenBytesTimeoutMs).toBeUndefined();
    expect(origin.health).toBe('healthy');
    expect(origin.useSni).toBe(true);
    expect(m.backends.get('mirror')!.health).toBe('unhealthy');
    expect(Object.fromEntries(m.configStores.get('settings')!)).toEqual({ mode: 'normal', greeting: 'hello' });
    expect(Object.fromEntries(m.configStores.get('fromjson')!)).toEqual({ colour: 'blue', size: 'large' });
    const secrets = m.secretStores.get('secrets')!;
    const text = (b: Uint8Array | undefined) => new TextDecoder().decode(b);
    expect(text(secrets.get('token'))).toBe('s3cr3t');
    expect(text(secrets.get('fromfile'))).toBe('file-secret');
    expect(text(secrets.get('fromenv'))).toBe('from-env');
    expect(text(m.secretStores.get('jsonsecrets')!.get('apiKey'))).toBe('k-123');
  });

  it('has no backends without [local_server]', () => {
    const m = parseManifest('name = "x"\n', FILE);
    expect(m.backends.size).toBe(0);
    expect(m.configStores.size).toBe(0);
  });

  it('names the file when it is missing', () => {
    expect(() => loadManifest('/nonexistent/fastly.toml')).toThrowError(/error reading '\/nonexistent\/fastly.toml': no such file/);
  });

  it('rejects malformed TOML with the file name', () => {
    expect(() => parseManifest('[local_server\nurl = ', '/x/fastly.toml')).toThrowError(ManifestError);
    expect(() => parseManifest('[local_server\nurl = ', '/x/fastly.toml')).toThrowError(/^\/x\/fastly.toml: error parsing `fastly.toml`/);
  });

  it('rejects unknown backend keys, naming the backend and key', () => {
    const toml = '[local_server.backends.origin]\nurl = "http://a.test"\nshrimp = true\n';
    expect(() => parseManifest(toml, FILE)).toThrowError(
      /fastly.toml: invalid configuration for 'origin' \(\[local_server.backends.origin\]\): unrecognized key 'shrimp'/,
    );
  });

  it('rejects what Viceroy rejects in backends', () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{}, /missing 'url' field/],
      [{ url: 5 }, /'url' field was not a string/],
      [{ url: 'not a url' }, /invalid url/],
      [{ url: 'http://a.test', override_host: '' }, /'override_host' field is empty/],
      [{ url: 'http://a.test', override_host: 3 }, /'override_host' field was not a string/],
      [{ url: 'http://a.test', use_sni: 'yes' }, /'use_sni' field was not a boolean/],
      [{ url: 'http://a.test', first_byte_timeout_ms: -1 }, /Illegal timeout value/],
      [{ url: 'http://a.test', between_bytes_timeout_ms: 1.5 }, /Illegal timeout value/],
      [{ url: 'http://a.test', health: 'sick' }, /'health' field has invalid value 'sick'/],
      [{ url: 'http://a.test', health: true }, /'health' field has invalid value 'not a string'/],
    ];
    for (const [def, err] of bad) {
      expect(() => manifestFromObject({ local_server: { backends: { b: def } } }, FILE), JSON.stringify(def)).toThrowError(err);
    }
    // TOML floats are not integers, even when whole.
    expect(() => parseManifest('[local_server.backends.b]\nurl = "http://a.test"\nfirst_byte_timeout_ms = 100.0\n', FILE)).toThrowError(
      /Illegal timeout value/,
    );
    const ok = parseManifest('[local_server.backends.b]\nurl = "http://a.test"\nfirst_byte_timeout_ms = 100\ngrpc = false\nuse_sni = false\ncert_host = "c.test"\n', FILE);
    expect(ok.backends.get('b')!.firstByteTimeoutMs).toBe(100);
    expect(ok.backends.get('b')!.certHost).toBe('c.test');
  });

  it('rejects bad config stores', () => {
    const bad: [unknown, RegExp][] = [
      [{}, /missing 'format' field/],
      [{ format: 'yaml' }, /'yaml' is not a valid format for the dictionary/],
      [{ format: 'inline-toml' }, /missing 'contents' field/],
      [{ format: 'inline-toml', contents: { a: 1 } }, /inline dictionary value was not a string/],
      [{ format: 'inline-toml', contents: {}, extra: 1 }, /unrecognized key 'extra'/],
      [{ format: 'json' }, /missing 'file' field/],
      [{ format: 'json', file: 'data/missing.json' }, /cannot read 'data\/missing.json': no such file/],
      [{ format: 'json', file: 'data/secret.txt' }, /expected to contain a single JSON Object/],
    ];
    for (const [def, err] of bad) {
      expect(() => manifestFromObject({ local_server: { config_stores: { s: def } } }, FILE), JSON.stringify(def)).toThrowError(err);
    }
    expect(() => manifestFromObject({ local_server: { config_stores: {}, dictionaries: {} } }, FILE)).toThrowError(/duplicate field/);
    // `dictionaries` is the older name for the same section.
    const m = manifestFromObject({ local_server: { dictionaries: { d: { format: 'inline-toml', contents: { k: 'v' } } } } }, FILE);
    expect(m.configStores.get('d')!.get('k')).toBe('v');
  });

  it('rejects bad secret stores', () => {
    const bad: [unknown, RegExp][] = [
      [{ key: 'a', data: 'x' }, /There is no array of objects/],
      [[{ data: 'x' }], /The `key` key for an object is not set/],
      [[{ key: 'a' }], /None of `file`, `data`, or `env` keys for the object `a` is set/],
      [[{ key: 'a', data: 'x', env: 'Y' }], /More than one of `file`, `data`, or `env`/],
      [[{ key: 'a', data: 5 }], /The `data` value for the object `a` is not a string/],
      [[{ key: 'bad key', data: 'x' }], /Invalid secret name: bad key/],
      [{ file: 'data/secrets.json' }, /both 'file' and 'format' must be set/],
      [{ file: 'data/secrets.json', format: 'toml' }, /'toml' is not a valid format for the secret store/],
    ];
    for (const [def, err] of bad) {
      expect(() => manifestFromObject({ local_server: { secret_stores: { s: def } } }, FILE), JSON.stringify(def)).toThrowError(err);
    }
  });

  it('rejects manifest versions newer than Viceroy knows', () => {
    expect(() => parseManifest('manifest_version = 4\n', FILE)).toThrowError(/unsupported manifest version 4; max supported version is 3/);
  });
});
