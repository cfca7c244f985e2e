/**
 * The assets domain (assets.publishing.service.gov.uk): the same wasm with
 * the configuration of fastly.assets.toml, on both engines. Its mirrors hold
 * the crawler's copy under `assets.publishing.service.gov.uk/`, each asset
 * under its own name, so the path as it is is asked first; the crawler's
 * other names come after it (a file saved by its type's name, a saved redirect).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MIRRORS } from '../../src/core/backends.ts';
import { type Engine, type EngineSpec, engines } from './engines.ts';
import { send } from './request.ts';
import { manifestDocument, manifestWithPorts, startWorld, type World } from './world.ts';

const PREFIX = 'assets.publishing.service.gov.uk';
const MANIFEST = 'fastly.assets.toml';

/** What each mirror holds, by object key (under the prefix). */
const OBJECTS: Record<string, string> = {
  'media/5f3a/report.pdf': '%PDF-1.7 report',
  'media/77aa/Photo.JPG': 'JPEG bytes',
  'media/77aa/data': 'a file without an extension',
  'media/99bb/old.csv.html': '<meta http-equiv="refresh" content="0; url=/media/99bb/new.csv">',
  'static/govuk-frontend-5.0.0.css': 'body{}',
};

describe.each(engines())('on $name: the assets domain, configured by fastly.assets.toml', (spec: EngineSpec) => {
  let world: World;
  let engine: Engine;

  beforeAll(async () => {
    world = await startWorld({ mirrorS3: [], mirrorS3Replica: [], mirrorGCS: [] });
    for (const mirror of MIRRORS) for (const [key, body] of Object.entries(OBJECTS)) await world.buckets[mirror].write(`${PREFIX}/${key}`, body);
    const doc = manifestWithPorts(world.ports, manifestDocument(MANIFEST));
    Object.assign(doc.local_server.config_stores.failover_config.contents, { outage_memory_s: '0', mirror_miss_memory_s: '0' });
    engine = await spec.start(doc);
  }, 180_000);
  afterAll(async () => {
    await engine?.close();
    await world?.close();
  });
  beforeEach(async () => {
    await world.reset();
    await world.set({ origin: { kind: 'status', status: 503 } });
  });

  const asked = () => world.stubs.mirrorS3.requests.map((r) => r.path);

  it.each([
    ['a PDF, under its own name', '/media/5f3a/report.pdf', 'media/5f3a/report.pdf', 1],
    ['an image whose extension is not lower case, under its own name (www would ask .pjpeg first)', '/media/77aa/Photo.JPG', 'media/77aa/Photo.JPG', 1],
    ['a file with no extension, under its own name (www would ask data.html only)', '/media/77aa/data', 'media/77aa/data', 1],
    ['a static asset, its query string dropped', '/static/govuk-frontend-5.0.0.css?v=3', 'static/govuk-frontend-5.0.0.css', 1],
    ['a saved redirect, under the crawler’s HTML name after the path as it is', '/media/99bb/old.csv', 'media/99bb/old.csv.html', 2],
  ])('origin failing: %s comes from mirrorS3', async (_name, path, key, requests) => {
    const r = await send(engine.url, path);
    expect(r.status).toBe(200);
    expect(r.text).toBe(OBJECTS[key]);
    expect(r.header('fastly-backend-name')).toBe('mirrorS3');
    expect(r.header('fastly-failover')).toBe('1');
    expect(r.header('cache-control')).toBe('max-age=900');
    expect(r.timing).toEqual(['origin http-error 503', `mirrorS3 ok 200${requests > 1 ? ` ${key.split('/').at(-1)}` : ''}`]);
    expect(asked()).toHaveLength(requests);
    expect(asked().at(-1)).toBe(`/${PREFIX}/${key}`);
    expect(asked()[0]).toBe(`/${PREFIX}${path.replace(/\?.*$/, '')}`);
  });

  it('an asset no mirror holds: each mirror asked for the path as it is first, then the 503 page', async () => {
    const r = await send(engine.url, '/media/0000/gone.pdf');
    expect(r.status).toBe(503);
    expect(r.header('fastly-backend-name')).toBe('error');
    expect(asked()).toEqual([`/${PREFIX}/media/0000/gone.pdf`, `/${PREFIX}/media/0000/gone.pdf.html`]);
  });

  it('origin healthy: origin answers, no mirror is asked', async () => {
    await world.set({ origin: { kind: 'echo' } });
    // A page of its own: the other tests' origin 503s are cached for a second where a cache exists.
    const r = await send(engine.url, '/media/5f3a/healthy.pdf');
    expect(r.status).toBe(200);
    expect(r.header('fastly-backend-name')).toBe('origin');
    expect(asked()).toEqual([]);
  });

  it('Backend-Override: mirrorS3 reads the asset under its own name', async () => {
    await world.set({ origin: { kind: 'echo' } });
    const r = await send(engine.url, '/media/77aa/data', { headers: { 'Backend-Override': 'mirrorS3' } });
    expect(r.status).toBe(200);
    expect(r.text).toBe(OBJECTS['media/77aa/data']);
    expect(r.header('cache-control')).toBe('private, no-store');
  });
});
