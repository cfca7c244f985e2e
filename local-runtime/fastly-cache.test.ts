/**
 * The local runtime's HTTP cache held to Fastly's own tests: every route of
 * js-compute-runtime's integration tests of the HTTP cache API that asserts
 * something (integration-tests/js-compute/fixtures, at the commit named in
 * local-runtime/README.md), ported as a route of
 * test-fixtures/fastly-cache-routes.js and asked here, each test named by the
 * Fastly route it comes from. Fastly runs those routes on production Compute;
 * here they run on the local runtime, with a stand-in for http-me on
 * loopback, and, where they need no HTTP cache (the constructors, the
 * properties of a Response the service made, cache keys), on Viceroy too,
 * which has no HTTP cache: the local runtime's answer is held to Viceroy's
 * there.
 *
 * A route passes when it answers "ok": the checks run inside it. Several wait
 * in real time as Fastly's do (1 to 3.5 s), so the routes run concurrently.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type FixtureEngine, localFixtureEngine, type RunningFixture, viceroyFixtureEngine } from './fixture-engines.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NOT_EXPRESSIBLE, PORTED, routeTable } from './fastly-cache-routes.ts';
import { backendsManifest, FASTLY_CACHE_ROUTES, type Origin, startHttpMe } from './test-helpers.ts';

const chosen = inject('viceroy');
const ENGINES: FixtureEngine[] = [localFixtureEngine(FASTLY_CACHE_ROUTES, { httpCache: true }), ...('path' in chosen ? [viceroyFixtureEngine(chosen.path, FASTLY_CACHE_ROUTES)] : [])];

describe.each(ENGINES)("on $name: Fastly's HTTP cache tests", (engine) => {
  let httpMe: Origin;
  let rt: RunningFixture;

  beforeAll(async () => {
    await engine.prepare?.();
    httpMe = await startHttpMe();
    rt = await engine.start(backendsManifest({ httpme: { url: httpMe.url } }));
  }, 300_000);
  afterAll(async () => {
    await rt?.close();
    await httpMe?.close();
    engine.cleanup?.();
  });

  const runs = engine.name === 'viceroy' ? PORTED.filter((r) => !r.cache) : PORTED;
  describe.concurrent.each(runs)('Fastly route $route ($source)', ({ route, downstream }) => {
    it('holds', async () => {
      const response = await fetch(`${rt.url}${route}`);
      if (downstream) {
        expect(response.status).toBe(200);
        downstream(response);
      } else {
        expect(`${response.status} ${(await response.text()).trim()}`).toBe('200 ok');
      }
    }, 20_000);
  });
  if (engine.name === 'viceroy') {
    it.skip.each(PORTED.filter((r) => r.cache))('Fastly route $route ($source): needs the HTTP cache, which Viceroy does not have', () => undefined);
  }
  it.skip.each(NOT_EXPRESSIBLE)('Fastly route $route ($source): not expressible here', () => undefined);
});

describe("Fastly's HTTP cache tests: the route table", () => {
  it('README.md lists every route, ported or not expressible, as fastly-cache-routes.ts does', () => {
    const readme = readFileSync(join(import.meta.dirname, 'README.md'), 'utf8');
    expect(readme, `README.md should hold this table:\n${routeTable()}`).toContain(routeTable());
    process.stdout.write(`[fastly routes] ${PORTED.length} routes of js-compute-runtime's HTTP cache tests ported (${PORTED.filter((r) => !r.cache).length} of them also on Viceroy), ${NOT_EXPRESSIBLE.length} not expressible here\n`);
  });
});
