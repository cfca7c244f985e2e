/// <reference types="@fastly/js-compute" />
/*
 * The HTTP cache facts that js-compute-runtime's own integration tests assert
 * against Fastly's production Compute (integration-tests/js-compute/fixtures:
 * module-mode/src/http-cache.js, app/src/cache-override.js,
 * app/src/stale-if-error.js, app/src/request-cache-key.js), restated in our
 * own code as routes of a service: each route has the path of the Fastly
 * route it ports, does what that route does, and checks what it checks; it
 * answers "ok" when every check holds, else a 500 naming the first that did
 * not. local-runtime/fastly-cache.test.ts asks each route of the local
 * runtime, and those that need no HTTP cache of Viceroy too.
 *
 * Fastly's routes fetch http-me.fastly.dev (a dynamic backend, or its static
 * `httpme` backend); here the static backend `httpme` is a stand-in on
 * loopback (test-helpers.ts, startHttpMe) with the features the routes use:
 * `/anything` echoes the request as JSON, `/now` answers something new every
 * time, `?status=`, `?header=Name:Value` and `/body=` shape the answer.
 */
import { CacheOverride } from 'fastly:cache-override';

const HTTP_ME = 'httpme';
const ORIGIN = 'http://http-me.test';
let unique = 0;
/** A URL never asked before, so that every route starts from an empty cache. */
const freshUrl = (path = `/${Date.now()}-${++unique}`) => `${ORIGIN}/anything${path}`;
const get = (input, init = {}) => fetch(input, { backend: HTTP_ME, ...init });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------
// Checks, each throwing an Error that says what was expected.

function check(condition, what) {
  if (!condition) throw new Error(`check failed: ${what}`);
}
function same(actual, expected, what) {
  if (!deepEqual(actual, expected)) throw new Error(`${what}: expected ${show(expected)}, got ${show(actual)}`);
}
function deepEqual(a, b) {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => deepEqual(a[k], b[k]));
}
function show(v) {
  return typeof v === 'function' ? `[function ${v.name}]` : typeof v === 'symbol' ? String(v) : JSON.stringify(v);
}
/** Runs `fn` (sync or async) and checks that it fails with an instance of `type`, and with `message` when given. */
async function fails(fn, type, message, what) {
  let error;
  let failed = false;
  try {
    await fn();
  } catch (e) {
    failed = true;
    error = e;
  }
  check(failed, `${what}: expected it to fail with ${type.name}`);
  check(error instanceof type, `${what}: expected a ${type.name}, got ${error?.name}: ${error?.message}`);
  if (message !== undefined) same(error.message, message, `${what}: message`);
  return error;
}
function failsNow(fn, type, message, what) {
  let error;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  check(error !== undefined, `${what}: expected it to throw`);
  if (type) check(error instanceof type, `${what}: expected a ${type.name}, got ${error?.name}: ${error?.message}`);
  if (message !== undefined) same(error.message, message, `${what}: message`);
  return error;
}

const routes = new Map();

// ---------------------------------------------------------------------------
// module-mode/src/http-cache.js

routes.set('/http-cache/hook-errors', async () => {
  const url = freshUrl();
  await fails(() => get(url, { cacheOverride: new CacheOverride({ beforeSend() { throw new Error('before send error'); } }) }), Error, 'before send error', 'beforeSend throws');
  await fails(() => get(url, { cacheOverride: new CacheOverride({ afterSend() { throw new Error('after send error'); } }) }), Error, 'after send error', 'afterSend throws');
});

routes.set('/http-cache/invalid-properties', async () => {
  const url = freshUrl();
  await fails(() => get(url, { cacheOverride: new CacheOverride({ afterSend(res) { res.status = 'invalid'; } }) }), RangeError, undefined, 'status = "invalid"');
  await fails(() => get(url, { cacheOverride: new CacheOverride({ afterSend(res) { res.ttl = 'invalid'; } }) }), TypeError, undefined, 'ttl = "invalid"');
});

routes.set('/http-cache/property-errors', async () => {
  const url = freshUrl();
  const setting = (what, set) => fails(() => get(url, { cacheOverride: new CacheOverride({ afterSend: set }) }), TypeError, undefined, what);
  await setting('swr = "invalid"', (res) => { res.swr = 'invalid'; });
  await setting('vary = a Set', (res) => { res.vary = new Set(['not-an-array']); });
  await setting('surrogateKeys = a Set', (res) => { res.surrogateKeys = new Set(['not-an-array']); });
  await setting('pci = "invalid"', (res) => { res.pci = 'invalid'; });
  await setting('vary = numbers', (res) => { res.vary = [1, 2, 3]; });
  await setting('surrogateKeys = numbers', (res) => { res.surrogateKeys = [1, 2, 3]; });
});

/** What a candidate (or the answer it became) reports for an origin 200 without cache headers. */
function checkFreshProperties(res, who) {
  same(res.cached, false, `${who}.cached`);
  same(res.stale, false, `${who}.stale`);
  same(res.ttl, 3600, `${who}.ttl`);
  same(res.age, 0, `${who}.age`);
  same(res.vary, [], `${who}.vary`);
  same(res.surrogateKeys.length, 1, `${who}.surrogateKeys.length`);
  same(typeof res.surrogateKeys[0], 'string', `typeof ${who}.surrogateKeys[0]`);
  check(res.surrogateKeys[0].length > 10, `${who}.surrogateKeys[0] is longer than 10 characters`);
}

routes.set('/http-cache/candidate-response-properties-uncached', async () => {
  let candidate;
  const res = await get(freshUrl(), {
    cacheOverride: new CacheOverride({
      afterSend(r) {
        candidate = r;
        checkFreshProperties(r, 'candidate');
        return { cache: false };
      },
    }),
  });
  checkFreshProperties(res, 'res');
  check(res === candidate, 'not stored: the candidate itself is the answer');
});

routes.set('/http-cache/candidate-response-properties-cached', async () => {
  let candidate;
  const res = await get(freshUrl(), {
    cacheOverride: new CacheOverride({
      afterSend(r) {
        candidate = r;
        return { cache: true };
      },
    }),
  });
  check(res !== candidate, 'stored: the answer is read back from the cache, a new response');
  same(candidate.cached, false, 'candidate.cached');
  same(candidate.stale, false, 'candidate.stale');
  for (const name of ['ttl', 'age', 'vary', 'surrogateKeys']) same(candidate[name], undefined, `candidate.${name} once handed over`);
  checkFreshProperties(res, 'res');
});

routes.set('/http-cache/readonly-properties', async () => {
  const url = freshUrl();
  const cacheOverride = new CacheOverride({ afterSend(res) { res.ttl = 3600; return { cache: true }; } });
  const res1 = await get(url, { cacheOverride });
  same(res1.age, 0, 'res1.age');
  await sleep(1000);
  const res2 = await get(url, { cacheOverride });
  same(res2.cached, true, 'res2.cached');
  same(res2.stale, false, 'res2.stale');
  check(res2.age > 0, 'res2.age > 0 a second later');
  failsNow(() => { res2.cached = false; }, TypeError, undefined, 'res2.cached = false');
  failsNow(() => { res2.stale = true; }, TypeError, undefined, 'res2.stale = true');
  failsNow(() => { res2.age = 0; }, TypeError, undefined, 'res2.age = 0');
});

routes.set('/http-cache/before-send-errors', async () => {
  await fails(() => get(freshUrl(), { cacheOverride: { beforeSend() { throw new Error('before send error'); } } }), Error, 'before send error', 'beforeSend throws');
  await fails(() => get(freshUrl(), { cacheOverride: { beforeSend() { return Promise.reject(new Error('before send reject')); } } }), Error, 'before send reject', 'beforeSend rejects');
});

routes.set('/http-cache/before-send', async () => {
  let called = false;
  const res = await get(freshUrl(), {
    cacheOverride: {
      beforeSend(req) {
        called = true;
        req.headers.set('X-Test', 'modified value');
      },
    },
  });
  same(called, true, 'beforeSend called');
  check((await res.text()).includes('modified value'), 'the header set in beforeSend reached the backend');
});

routes.set('/http-cache/after-send-no-cache', async () => {
  const url = freshUrl();
  let called = false;
  const cacheOverride = new CacheOverride({
    afterSend(res) {
      called = true;
      res.headers.set('Cache-Control', 'private, no-store');
      res.ttl = 3600 - res.age;
      return { cache: false };
    },
  });
  let res = await get(url, { cacheOverride });
  same(called, true, 'afterSend called');
  same(res.headers.get('Cache-Control'), 'private, no-store', 'Cache-Control');
  called = false;
  res = await get(url, { cacheOverride });
  same(called, true, 'afterSend called again: nothing was stored');
  same(res.headers.get('Cache-Control'), 'private, no-store', 'Cache-Control');
  same(res.headers.get('x-cache'), 'MISS', 'x-cache');
});

routes.set('/http-cache/after-send-header-remove', async () => {
  const res = await get(freshUrl(), {
    cacheOverride: {
      afterSend(r) {
        r.headers.set('Connection', 'Close');
        r.headers.set('Custom', 'custom-header');
        r.headers.delete('access-control-allow-origin');
        r.headers.delete('access-control-allow-credentials');
        return { cache: 'uncacheable' };
      },
    },
  });
  same(res.headers.get('Custom'), 'custom-header', 'Custom');
  same(res.headers.get('access-control-allow-origin'), null, 'access-control-allow-origin');
  // Fastly's route hands this answer downstream, where the test checks the same headers again.
  return res;
});

routes.set('/http-cache/after-send-cache', async () => {
  const url = freshUrl();
  let called = false;
  const cacheOverride = new CacheOverride({
    afterSend(res) {
      called = true;
      res.headers.set('Cache-Control', 'private, no-store');
      res.ttl = 3600 - res.age;
      return { cache: true };
    },
  });
  let res = await get(url, { cacheOverride });
  same(called, true, 'afterSend called');
  same(res.headers.get('Cache-Control'), 'private, no-store', 'Cache-Control');
  called = false;
  res = await get(url, { cacheOverride });
  same(res.cached, true, 'cached: stored although its headers say private, no-store');
  same(res.headers.get('x-cache'), 'HIT', 'x-cache');
  same(called, false, 'afterSend not called on a hit');
  same(res.headers.get('Cache-Control'), 'private, no-store', 'Cache-Control');
});

routes.set('/http-cache/after-send-cache-expire', async () => {
  const url = freshUrl();
  let called = false;
  let res = await get(url, {
    cacheOverride: {
      afterSend(r) {
        called = true;
        r.headers.set('Cache-Control', 'max-age=2');
        return { cache: true };
      },
    },
  });
  same(called, true, 'afterSend called');
  same(res.cached, false, 'res.cached');
  same(res.headers.get('x-cache'), 'MISS', 'x-cache');
  same(res.headers.get('Cache-Control'), 'max-age=2', 'Cache-Control');
  await sleep(500);
  called = false;
  const watching = { afterSend() { called = true; } };
  res = await get(url, { cacheOverride: watching });
  same(called, false, 'afterSend not called: still stored');
  check(res.age > 0 && res.age < 2, `0 < age < 2 (${res.age})`);
  same(res.cached, true, 'res.cached');
  same(res.headers.get('x-cache'), 'HIT', 'x-cache');
  same(res.headers.get('Cache-Control'), 'max-age=2', 'Cache-Control');
  await sleep(2000);
  res = await get(url, { cacheOverride: watching });
  same(called, true, 'afterSend called: the copy expired after the 2 s its header gave it');
  same(res.cached, false, 'res.cached');
  same(res.age, 0, 'res.age');
});

routes.set('/http-cache/after-send-pass', async () => {
  const url = freshUrl();
  await get(url, { cacheOverride: { afterSend(res) { res.headers.set('x-hooked', ''); } } });
  let res = await get(url);
  same(res.headers.has('x-hooked'), true, 'a fetch without hooks finds the stored copy');
  res = await get(url, { cacheOverride: 'pass' });
  same(res.headers.has('x-hooked'), false, 'pass goes past the cache');
});

routes.set('/http-cache/after-send-res-no-body', async () => {
  const url = freshUrl();
  let called = false;
  const res = await get(url, {
    cacheOverride: {
      async afterSend(r) {
        called = true;
        same(r.body, null, 'candidate.body');
        same(await r.text(), '', 'candidate.text()');
        return { cache: false };
      },
    },
  });
  same(called, true, 'afterSend called');
  same(`${ORIGIN}${(await res.json()).url}`, url, 'the answer has its body');
});

routes.set('/http-cache/response-mutations', async () => {
  let called = false;
  const res = await get(freshUrl(), {
    cacheOverride: {
      afterSend(r) {
        called = true;
        r.status = 201;
        r.headers.set('X-Custom', 'test');
        r.ttl = 4000;
        r.swr = 400;
        r.pci = true;
        r.surrogateKeys = ['key1', 'key2'];
        r.vary = ['Accept', 'User-Agent'];
      },
    },
  });
  same(called, true, 'afterSend called');
  same(res.status, 201, 'status');
  same(res.headers.get('X-Custom'), 'test', 'X-Custom');
  same(res.ttl, 4000, 'ttl');
  same(res.swr, 400, 'swr');
  same(res.pci, true, 'pci');
  same([...res.surrogateKeys].sort().join(','), 'key1,key2', 'surrogateKeys');
  same([...res.vary].sort().join(','), 'Accept,User-Agent', 'vary');
});

routes.set('/http-cache/stale-responses', async () => {
  const url = freshUrl();
  const res1 = await get(url, { cacheOverride: { afterSend(res) { res.ttl = 1; res.swr = 2; } } });
  same(res1.cached, false, 'res1.cached');
  same(res1.stale, false, 'res1.stale');
  await res1.arrayBuffer();
  await sleep(1500);
  let staleAfterSend = false;
  const res2 = await get(url, { cacheOverride: { afterSend() { staleAfterSend = true; } } });
  same(staleAfterSend, false, 'the stale copy is answered before the refresh runs the hook');
  same(res2.cached, true, 'res2.cached');
  same(res2.stale, true, 'res2.stale');
  await res2.arrayBuffer();
  await sleep(1500);
  let afterSend = false;
  const res3 = await get(url, { cacheOverride: { afterSend() { afterSend = true; } } });
  same(res3.cached, true, 'res3.cached: the refreshed copy');
  same(res3.stale, false, 'res3.stale');
  same(afterSend, false, 'afterSend not called on the hit');
  same(staleAfterSend, true, 'the refresh ran the stale request\'s afterSend');
});

routes.set('/http-cache/invalid-transform', async () => {
  await fails(() => get(freshUrl(), { cacheOverride: new CacheOverride({ afterSend() { return { bodyTransformFn: 'not a transform function' }; } }) }), TypeError, undefined, 'bodyTransformFn not a function');
});

const upperCase = (buffer) => new TextEncoder().encode(new TextDecoder().decode(buffer).toUpperCase());
const lowerCase = (buffer) => new TextEncoder().encode(new TextDecoder().decode(buffer).toLowerCase());

routes.set('/http-cache/body-transform', async () => {
  const res = await get(freshUrl(), { cacheOverride: new CacheOverride({ afterSend() { return { bodyTransformFn: upperCase, cache: true }; } }) });
  const text = await res.text();
  check(text.length > 200, 'a whole body');
  same(text, text.toUpperCase(), 'the transformed body');
});

routes.set('/http-cache/body-transform-delay', async () => {
  const res = await get(freshUrl(), {
    cacheOverride: new CacheOverride({
      afterSend() {
        return {
          async bodyTransformFn(buffer) {
            await sleep(1000);
            return upperCase(buffer);
          },
          cache: true,
        };
      },
    }),
  });
  const text = await res.text();
  check(text.length > 200, 'a whole body');
  same(text, text.toUpperCase(), 'the transformed body');
});

routes.set('/http-cache/body-transform-error', async () => {
  const cacheOverride = new CacheOverride({ afterSend() { return { bodyTransformFn() { throw new Error('Transform failed'); } }; } });
  await fails(() => get(freshUrl(), { cacheOverride }).then((res) => res.text()), Error, 'Transform failed', 'the transform throws');
});

routes.set('/http-cache/body-transform-error-delay', async () => {
  const cacheOverride = new CacheOverride({
    afterSend() {
      return {
        async bodyTransformFn() {
          await sleep(1000);
          throw new Error('Transform failed');
        },
      };
    },
  });
  await fails(() => get(freshUrl(), { cacheOverride }).then((res) => res.text()), Error, 'Transform failed', 'the transform rejects');
});

routes.set('/http-cache/body-transform-invalid-chunk', async () => {
  const cacheOverride = new CacheOverride({ afterSend() { return { bodyTransformFn() { return 'string instead of uint8array'; } }; } });
  await fails(() => get(freshUrl(), { cacheOverride }).then((res) => res.text()), Error, undefined, 'the transform returns a string');
});

routes.set('/http-cache/concurrent-transforms', async () => {
  const [res1, res2] = await Promise.all([
    get(freshUrl(), { cacheOverride: new CacheOverride({ afterSend() { return { bodyTransformFn: upperCase, cache: true }; } }) }),
    get(freshUrl(), { cacheOverride: new CacheOverride({ afterSend() { return { bodyTransformFn: lowerCase, cache: true }; } }) }),
  ]);
  const [text1, text2] = [await res1.text(), await res2.text()];
  check(text1.length > 200 && text1 === text1.toUpperCase(), 'the first body upper-cased');
  check(text2.length > 200 && text2 === text2.toLowerCase(), 'the second body lower-cased');
});

routes.set('/http-cache/sequential', async () => {
  const url = freshUrl();
  let count = 0;
  const cacheOverride = new CacheOverride({
    beforeSend(req) {
      count++;
      req.headers.set('X-Count', `COUNT ${count}`);
    },
  });
  const res1 = await get(url, { cacheOverride });
  const res2 = await get(url, { cacheOverride });
  same(count, 1, 'beforeSend calls');
  same(res1.cached || res2.cached, true, 'one of them cached');
  same(res1.cached && res2.cached, false, 'not both');
  check((await res1.text()).includes('COUNT 1'), 'res1 body');
  check((await res2.text()).includes('COUNT 1'), 'res2 body: the first answer, stored');
});

routes.set('/http-cache/sequential-three', async () => {
  const url = freshUrl();
  let backendCalls = 0;
  const cacheOverride = new CacheOverride({
    beforeSend() {
      backendCalls++;
    },
    afterSend() {
      return new Promise((resolve) => setTimeout(() => resolve({ cache: true }), 100));
    },
  });
  const res1 = await get(url, { cacheOverride });
  const res2 = await get(url, { cacheOverride });
  const res3 = await get(url, { cacheOverride });
  same(backendCalls, 1, 'backend calls');
  same([res1.cached, res2.cached, res3.cached], [false, true, true], 'cached');
});

routes.set('/http-cache/sequential-request-collapsing-uncacheable', async () => {
  const url = freshUrl();
  let backendCalls = 0;
  const cacheOverride = new CacheOverride({
    beforeSend() {
      backendCalls++;
    },
    afterSend() {
      return { cache: 'uncacheable' };
    },
  });
  const res1 = await get(url, { cacheOverride });
  const res2 = await get(url, { cacheOverride });
  const res3 = await get(url, { cacheOverride });
  same(backendCalls, 3, 'backend calls: each request goes');
  same([res1.cached, res2.cached, res3.cached], [false, false, false], 'cached');
  await sleep(50);
  const res4 = await get(url, { cacheOverride });
  same(backendCalls, 4, 'backend calls');
  same(res4.cached, false, 'res4.cached');
});

routes.set('/http-cache/cache-key-on-request', async () => {
  const url = freshUrl();
  const key = `custom-cache-key-${Date.now()}-${++unique}`;
  let backendCalls = 0;
  const cacheOverride = new CacheOverride({
    beforeSend() {
      backendCalls++;
    },
  });
  const req1 = new Request(`${url}?req=1`);
  req1.setCacheKey(key);
  const res1 = await get(req1, { cacheOverride });
  same(backendCalls, 1, 'backend calls');
  same(res1.cached, false, 'res1.cached');
  const req2 = new Request(`${url}?req=2`);
  req2.setCacheKey(key);
  const res2 = await get(req2, { cacheOverride });
  same(backendCalls, 1, 'backend calls: the same key');
  same(res2.cached, true, 'res2.cached');
  same(await res1.text(), await res2.text(), 'the same stored answer');
});

routes.set('/http-cache/vary-header', async () => {
  const url = `${ORIGIN}/now/${Date.now()}-${++unique}?header=Vary:my-header`;
  let backendCalls = 0;
  const cacheOverride = new CacheOverride({
    beforeSend() {
      backendCalls++;
    },
  });
  const req1 = new Request(url);
  req1.headers.set('my-header', 'original');
  const res1 = await get(req1, { cacheOverride });
  same(backendCalls, 1, 'backend calls');
  same(res1.cached, false, 'res1.cached');
  const req2 = new Request(url);
  req2.headers.set('my-header', 'different');
  const res2 = await get(req2, { cacheOverride });
  same(backendCalls, 2, 'backend calls: another value of a varied header');
  same(res2.cached, false, 'res2.cached');
});

// ---------------------------------------------------------------------------
// app/src/cache-override.js

routes.set('/cache-override/constructor/called-as-regular-function', () => {
  failsNow(() => CacheOverride(), TypeError, 'calling a builtin CacheOverride constructor without new is forbidden', 'CacheOverride()');
});
routes.set('/cache-override/constructor/empty-parameter', () => {
  failsNow(() => new CacheOverride(), TypeError, 'CacheOverride constructor: At least 1 argument required, but only 0 passed', 'new CacheOverride()');
});
routes.set('/cache-override/constructor/invalid-mode', () => {
  failsNow(() => new CacheOverride(''), TypeError, `CacheOverride constructor: 'mode' has to be "none", "pass", or "override", but got ""`, 'mode ""');
  failsNow(() => new CacheOverride('be nice to the cache'), TypeError, `CacheOverride constructor: 'mode' has to be "none", "pass", or "override", but got "be nice to the cache"`, 'an unknown mode');
});
routes.set('/cache-override/constructor/negative-ttl', () => {
  failsNow(() => new CacheOverride('override', { ttl: -1 }), TypeError, 'CacheOverride: ttl must be a non-negative integer', 'ttl -1');
});
routes.set('/cache-override/constructor/negative-swr', () => {
  failsNow(() => new CacheOverride('override', { swr: -1 }), TypeError, 'CacheOverride: swr must be a non-negative integer', 'swr -1');
});
routes.set('/cache-override/constructor/valid-mode', () => {
  new CacheOverride('none');
  new CacheOverride('pass');
  new CacheOverride('override', {});
  new CacheOverride({});
});
routes.set('/cache-override/beforeSend/get', () => {
  const fn = () => undefined;
  same(new CacheOverride('override', { beforeSend: fn }).beforeSend, fn, 'beforeSend');
  same(new CacheOverride('override', {}).beforeSend, undefined, 'no beforeSend');
});
routes.set('/cache-override/afterSend/get', () => {
  const fn = () => undefined;
  same(new CacheOverride('override', { afterSend: fn }).afterSend, fn, 'afterSend');
  same(new CacheOverride('override', {}).afterSend, undefined, 'no afterSend');
});
routes.set('/cache-override/fetch/mode-none', async () => {
  for (const cacheOverride of [new CacheOverride('none'), 'none']) {
    const res = await get(`${ORIGIN}/now?status=200`, { cacheOverride });
    same(res.headers.has('x-cache'), true, `mode none (${typeof cacheOverride}): x-cache`);
  }
});
routes.set('/cache-override/fetch/mode-pass', async () => {
  for (const cacheOverride of [new CacheOverride('pass'), 'pass']) {
    const res = await get(`${ORIGIN}/now?status=200`, { cacheOverride });
    same(res.headers.has('x-cache'), false, `mode pass (${typeof cacheOverride}): no x-cache`);
  }
});
routes.set('/cache-override/fetch/null-304-body', async () => {
  const res = await fetch(new Request(`${ORIGIN}/body=foo?status=304`, { method: 'POST', backend: HTTP_ME, cacheOverride: new CacheOverride({ async afterSend(r) { r.ttl = 1000000000; } }) }));
  same(res.body, null, 'a 304 has no body');
});

// ---------------------------------------------------------------------------
// app/src/stale-if-error.js

routes.set('/stale-if-error/cache-override/constructor-with-staleIfError', () => {
  same(new CacheOverride('override', { staleIfError: 300 }).staleIfError, 300, 'staleIfError');
});
routes.set('/stale-if-error/cache-override/constructor-without-staleIfError', () => {
  same(new CacheOverride('override', { ttl: 300 }).staleIfError, undefined, 'staleIfError');
});
routes.set('/stale-if-error/cache-override/set-staleIfError', () => {
  const override = new CacheOverride('override', {});
  override.staleIfError = 600;
  same(override.staleIfError, 600, 'staleIfError');
});
routes.set('/stale-if-error/response/property-undefined-on-non-cached', () => {
  same(new Response('test body', { status: 200, headers: { 'Content-Type': 'text/plain' } }).staleIfError, undefined, 'staleIfError');
});
routes.set('/stale-if-error/response/setter-throws-on-non-cached', () => {
  const response = new Response('test body');
  failsNow(() => { response.staleIfError = 300; }, TypeError, 'Response set: staleIfError must be set only on unsent cache transaction responses', 'setting staleIfError');
});
routes.set('/stale-if-error/response/staleIfErrorAvailable-throws-outside-afterSend', () => {
  failsNow(() => new Response('test body').staleIfErrorAvailable(), TypeError, 'Response: staleIfErrorAvailable() must can only be called on candidate responses inside afterSend callback', 'staleIfErrorAvailable()');
});
routes.set('/stale-if-error/fetch/with-cache-override', async () => {
  const res = await get(`${ORIGIN}/now?stale-if-error-test-1-${++unique}`, { cacheOverride: new CacheOverride('override', { ttl: 300, staleIfError: 600 }) });
  same(res.staleIfError, 600, 'staleIfError');
  same(typeof res.ttl, 'number', 'typeof ttl');
});
routes.set('/stale-if-error/fetch/staleIfErrorAvailable-after-caching', async () => {
  const key = `stale-if-error-available-test-${Date.now()}-${++unique}`;
  const prime = new Request(`${ORIGIN}/now`, { backend: HTTP_ME, cacheOverride: new CacheOverride('override', { ttl: 1, staleIfError: 600 }) });
  prime.setCacheKey(key);
  await fetch(prime);
  await sleep(1500);
  let available;
  let value;
  const checking = new Request(`${ORIGIN}/now`, {
    backend: HTTP_ME,
    cacheOverride: new CacheOverride('override', {
      staleIfError: 600,
      afterSend(candidate) {
        available = candidate.staleIfErrorAvailable();
        value = candidate.staleIfError;
      },
    }),
  });
  checking.setCacheKey(key);
  await fetch(checking);
  same(available, true, 'staleIfErrorAvailable() with a stale copy inside its window');
  same(value, 600, 'candidate.staleIfError');
});
routes.set('/stale-if-error/fetch/staleIfErrorAvailable-false-without-staleIfError', async () => {
  let available;
  await get(`${ORIGIN}/now?stale-if-error-test-no-sie-${Date.now()}-${++unique}`, {
    cacheOverride: new CacheOverride('override', {
      ttl: 10,
      afterSend(candidate) {
        available = candidate.staleIfErrorAvailable();
      },
    }),
  });
  same(available, false, 'staleIfErrorAvailable() with nothing stored');
});
routes.set('/stale-if-error/fetch/with-swr-and-staleIfError', async () => {
  const res = await get(`${ORIGIN}/now?stale-if-error-test-4-${++unique}`, { cacheOverride: new CacheOverride('override', { ttl: 60, swr: 300, staleIfError: 600 }) });
  same([res.ttl, res.swr, res.staleIfError], [60, 300, 600], 'ttl, swr, staleIfError');
});
routes.set('/stale-if-error/fetch/zero-staleIfError', async () => {
  const res = await get(`${ORIGIN}/now?stale-if-error-test-5-${++unique}`, { cacheOverride: new CacheOverride('override', { ttl: 300, staleIfError: 0 }) });
  same(res.staleIfError, 0, 'staleIfError');
});

/** A copy stored with ttl 1 s and a long stale-if-error window, then a request whose hook fails 1.5 s later. */
async function staleOnHookFailure(hook, message) {
  const key = `stale-if-error-${hook}-exception-${Date.now()}-${++unique}`;
  const good = new Request(`${ORIGIN}/now`, { backend: HTTP_ME, cacheOverride: new CacheOverride('override', { ttl: 1, staleIfError: 3600 }) });
  good.setCacheKey(key);
  const goodResponse = await fetch(good);
  same(goodResponse.status, 200, 'the first answer');
  const initialBody = await goodResponse.text();
  await sleep(1500);
  const failing = new Request(`${ORIGIN}/now`, {
    backend: HTTP_ME,
    cacheOverride: new CacheOverride('override', {
      staleIfError: 3600,
      [hook]() {
        throw new Error(message);
      },
    }),
  });
  failing.setCacheKey(key);
  const staleResponse = await fetch(failing);
  same(staleResponse.status, 200, 'the stale copy is served');
  same(await staleResponse.text(), initialBody, 'its body is the stored one');
  check(staleResponse.maskedError instanceof Error, 'maskedError is the Error');
  same(staleResponse.maskedError.message, message, 'maskedError.message');
}
routes.set('/stale-if-error/fetch/serve-stale-on-afterSend-exception', () => staleOnHookFailure('afterSend', 'afterSend hook intentionally failed'));
routes.set('/stale-if-error/fetch/serve-stale-on-beforeSend-exception', () => staleOnHookFailure('beforeSend', 'beforeSend hook intentionally failed'));

// ---------------------------------------------------------------------------
// app/src/request-cache-key.js

routes.set('/request/setCacheKey/called-as-constructor', () => {
  failsNow(() => new Request.prototype.setCacheKey('1', '1'), TypeError, undefined, 'new setCacheKey()');
});
routes.set('/request/setCacheKey/called-unbound', () => {
  failsNow(() => Request.prototype.setCacheKey.call(undefined, '1', '2'), TypeError, undefined, 'setCacheKey on undefined');
});
routes.set('/request/setCacheKey/key-parameter-calls-7.1.17-ToString', () => {
  const sentinel = Symbol('sentinel');
  const request = new Request('https://www.fastly.com');
  const thrown = failsNow(() => request.setCacheKey({ toString() { throw sentinel; } }), undefined, undefined, 'a key whose toString throws');
  same(thrown, sentinel, 'the toString exception itself');
  failsNow(() => request.setCacheKey(Symbol()), Error, "can't convert symbol to string", 'a Symbol key');
});
routes.set('/request/setCacheKey/key-parameter-not-supplied', () => {
  failsNow(() => new Request('https://www.fastly.com').setCacheKey(), TypeError, 'setCacheKey: At least 1 argument required, but only 0 passed', 'setCacheKey()');
});
routes.set('/request/setCacheKey/key-valid', () => {
  const request = new Request('https://www.fastly.com');
  request.setCacheKey('meow');
  same(request.headers.get('fastly-xqd-cache-key'), '404CDD7BC109C432F8CC2443B45BCFE95980F5107215C645236E577929AC3E52', 'fastly-xqd-cache-key');
});
routes.set('/request/constructor/cacheKey', () => {
  const request = new Request('https://www.fastly.com', { cacheKey: 'meow' });
  same(request.headers.get('fastly-xqd-cache-key'), '404CDD7BC109C432F8CC2443B45BCFE95980F5107215C645236E577929AC3E52', 'fastly-xqd-cache-key');
});

// ---------------------------------------------------------------------------

async function handle(event) {
  const path = new URL(event.request.url).pathname;
  const route = routes.get(path);
  if (!route) return new Response(`no route ${path}\n`, { status: 404 });
  try {
    return (await route()) ?? new Response('ok');
  } catch (error) {
    const name = typeof error === 'object' && error !== null ? error.name : typeof error;
    const message = typeof error === 'object' && error !== null ? error.message : String(error);
    return new Response(`${path} failed: ${name}: ${message}\n`, { status: 500 });
  }
}

addEventListener('fetch', (event) => event.respondWith(handle(event)));
