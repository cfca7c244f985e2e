/**
 * The routes of js-compute-runtime's integration tests of the HTTP cache API
 * (integration-tests/js-compute/fixtures, at commit
 * 1cc96f82e14ff77c83de639f92c3f9ee8f395ff8, 2026-08-20), as this project
 * holds the local runtime to them: each route that asserts something is ported
 * (test-fixtures/fastly-cache-routes.js, asked by fastly-cache.test.ts), or
 * listed with the reason it cannot be expressed here. local-runtime/README.md
 * shows the same list as a table (`routeTable`), and a test keeps the two alike.
 */
import { expect } from 'vitest';

export const JS_COMPUTE_RUNTIME_COMMIT = '1cc96f82e14ff77c83de639f92c3f9ee8f395ff8';

type Source = 'module-mode/src/http-cache.js' | 'app/src/cache-override.js' | 'app/src/stale-if-error.js' | 'app/src/request-cache-key.js';

interface Ported {
  readonly route: string;
  readonly source: Source;
  /** Needs the HTTP cache: the local runtime only (Viceroy has none). */
  readonly cache: boolean;
  /** What Fastly's harness checks of the answer downstream, beyond the route's own checks. */
  readonly downstream?: (response: Response) => void;
}

const HTTP_CACHE: Source = 'module-mode/src/http-cache.js';
const CACHE_OVERRIDE: Source = 'app/src/cache-override.js';
const STALE_IF_ERROR: Source = 'app/src/stale-if-error.js';
const CACHE_KEY: Source = 'app/src/request-cache-key.js';

export const PORTED: readonly Ported[] = [
  ...[
    'hook-errors',
    'invalid-properties',
    'property-errors',
    'candidate-response-properties-uncached',
    'candidate-response-properties-cached',
    'readonly-properties',
    'before-send-errors',
    'before-send',
    'after-send-no-cache',
    'after-send-cache',
    'after-send-cache-expire',
    'after-send-pass',
    'after-send-res-no-body',
    'response-mutations',
    'stale-responses',
    'invalid-transform',
    'body-transform',
    'body-transform-delay',
    'body-transform-error',
    'body-transform-error-delay',
    'body-transform-invalid-chunk',
    'concurrent-transforms',
    'sequential',
    'sequential-three',
    'sequential-request-collapsing-uncacheable',
    'cache-key-on-request',
    'vary-header',
  ].map((name) => ({ route: `/http-cache/${name}`, source: HTTP_CACHE, cache: true })),
  {
    route: '/http-cache/after-send-header-remove',
    source: HTTP_CACHE,
    cache: true,
    downstream: (r) => {
      expect(r.headers.get('custom')).toBe('custom-header');
      expect(r.headers.has('access-control-allow-origin')).toBe(false);
      expect(r.headers.has('access-control-allow-credentials')).toBe(false);
    },
  },
  ...[
    'constructor/called-as-regular-function',
    'constructor/empty-parameter',
    'constructor/invalid-mode',
    'constructor/negative-ttl',
    'constructor/negative-swr',
    'constructor/valid-mode',
    'beforeSend/get',
    'afterSend/get',
  ].map((name) => ({ route: `/cache-override/${name}`, source: CACHE_OVERRIDE, cache: false })),
  ...['fetch/mode-none', 'fetch/mode-pass', 'fetch/null-304-body'].map((name) => ({ route: `/cache-override/${name}`, source: CACHE_OVERRIDE, cache: true })),
  ...[
    'cache-override/constructor-with-staleIfError',
    'cache-override/constructor-without-staleIfError',
    'cache-override/set-staleIfError',
    'response/property-undefined-on-non-cached',
    'response/setter-throws-on-non-cached',
    'response/staleIfErrorAvailable-throws-outside-afterSend',
  ].map((name) => ({ route: `/stale-if-error/${name}`, source: STALE_IF_ERROR, cache: false })),
  ...[
    'fetch/with-cache-override',
    'fetch/staleIfErrorAvailable-after-caching',
    'fetch/staleIfErrorAvailable-false-without-staleIfError',
    'fetch/with-swr-and-staleIfError',
    'fetch/zero-staleIfError',
    'fetch/serve-stale-on-afterSend-exception',
    'fetch/serve-stale-on-beforeSend-exception',
  ].map((name) => ({ route: `/stale-if-error/${name}`, source: STALE_IF_ERROR, cache: true })),
  ...[
    'setCacheKey/called-as-constructor',
    'setCacheKey/called-unbound',
    'setCacheKey/key-parameter-calls-7.1.17-ToString',
    'setCacheKey/key-parameter-not-supplied',
    'setCacheKey/key-valid',
    'constructor/cacheKey',
  ].map((name) => ({ route: `/request/${name}`, source: CACHE_KEY, cache: false })),
];

/** Routes of those files that assert nothing any engine here can show, and why. */
export const NOT_EXPRESSIBLE: readonly { route: string; source: Source; why: string }[] = [
  ...['parallel', 'parallel-three', 'parallel-request-collapsing-uncacheable', 'parallel-request-collapsing-vary', 'sequential-request-collapsing-vary'].map((name) => ({
    route: `/http-cache/${name}`,
    source: HTTP_CACHE,
    why: "marked skip in Fastly's tests.json: production blocks a second lookup of a key one sandbox is already fetching (the vary one: the host did not behave as its test expects), so there is no behaviour of the platform to hold the double to",
  })),
];

/** The Markdown table README.md shows: each route, where it comes from, our test, and where it passes. */
export function routeTable(): string {
  const rows = [
    ...PORTED.map((r) => `| \`${r.route}\` | \`${r.source}\` | \`fastly-cache.test.ts\` › Fastly route \`${r.route}\` | passing on the local runtime${r.cache ? '' : ' and on Viceroy'} |`),
    ...NOT_EXPRESSIBLE.map((r) => `| \`${r.route}\` | \`${r.source}\` | – | not expressible here: ${r.why} |`),
  ];
  return ['| Fastly route | file | our test | status |', '| --- | --- | --- | --- |', ...rows].join('\n');
}
