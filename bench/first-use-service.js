/// <reference types="@fastly/js-compute" />
/**
 * The first-use probe's service (see first-use.ts): each request times one
 * operation twice, in a fresh instance, and answers the two times as JSON.
 * Everything named here was also run once at build time (Wizer), as the
 * service's warm-up does, so what the first call costs is not compiling.
 * Not part of the product.
 */
import { ConfigStore } from 'fastly:config-store';
import { CoreCache } from 'fastly:cache';
import { Backend } from 'fastly:backend';

const DIGITS = /^\d{1,10}$/;
const literal = (raw) => /^[a-z]{1,10}$/.test(raw);
const record = () => ({ time: 't', attempts: [{ backend: 'origin', outcome: 'ok', status: 200, ms: 1 }], status: 200 });

/** Pure operations, warmed at build time. */
const PURE = {
  'a regular expression (compiled at build time)': () => DIGITS.test('500'),
  'a regular expression literal in a function (run at build time)': () => literal('abc'),
  'JSON.stringify of a small record': () => JSON.stringify(record()),
  'a fraction printed (String(3.2))': (n) => String(Math.round(n * 10) / 10),
  'a whole number printed (String(32))': () => String(32),
  'Date.prototype.toISOString': () => new Date().toISOString(),
  'a template string': (n) => `a-${n | 0}-b`,
};
for (const [name, op] of Object.entries(PURE)) op(3.14, name);

/** Host calls: refused at build time, so only run per request. */
const HOST = {
  'new ConfigStore(name)': () => new ConfigStore('probe_config'),
  'ConfigStore.get (store opened first)': (store) => store.get('key'),
  'CoreCache.lookup (a miss)': (_, i) => CoreCache.lookup(`first-use-probe/${i}`),
  'Backend.fromName(name).health()': () => Backend.fromName('origin').health(),
};

const time = (fn) => {
  const started = performance.now();
  fn();
  return (performance.now() - started) * 1000;
};

addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  const name = url.searchParams.get('op');
  const pure = PURE[name];
  const host = HOST[name];
  if (!pure && !host) {
    event.respondWith(new Response(JSON.stringify({ operations: [...Object.keys(PURE), ...Object.keys(HOST)] }), { headers: { 'content-type': 'application/json' } }));
    return;
  }
  const n = 3 + (performance.now() % 1);
  const store = name === 'ConfigStore.get (store opened first)' ? new ConfigStore('probe_config') : undefined;
  const op = pure ? () => pure(n) : (i) => host(store, i);
  const firstUs = time(() => op(1));
  const secondUs = time(() => op(2));
  event.respondWith(new Response(JSON.stringify({ firstUs, secondUs }), { headers: { 'content-type': 'application/json' } }));
});
