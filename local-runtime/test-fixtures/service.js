// A tiny service for the local runtime's own tests (plain JS so that the
// Node tsconfig need not know the `fastly:*` module types).
import { Backend } from 'fastly:backend';
import { CoreCache } from 'fastly:cache';
import { CacheOverride } from 'fastly:cache-override';
import { ConfigStore } from 'fastly:config-store';
import { SecretStore } from 'fastly:secret-store';
import { Logger } from 'fastly:logger';
import { env } from 'fastly:env';

// Host calls at initialisation (Wizer time) throw these; Backend lookups and
// logging there even trap the build (see conformance.test.ts), so they are not tried here.
const initErrors = {};
const initLogger = new Logger('made-at-init');
for (const [name, call] of Object.entries({
  configStore: () => new ConfigStore('settings'),
  secretStore: () => new SecretStore('secrets'),
  fetch: () => fetch('http://example.test/', { backend: 'origin' }),
  request: () => new Request('http://example.test/'),
  response: () => new Response('made at init'),
  headers: () => [...new Headers({ a: 'b' })].length,
  hostname: () => env('FASTLY_HOSTNAME') ?? 'undefined',
  coreCache: () => CoreCache.lookup('at-init'),
})) {
  try {
    const value = call();
    initErrors[name] = typeof value === 'string' || typeof value === 'number' ? `no error: ${value}` : 'no error';
  } catch (err) {
    initErrors[name] = `${err.name}: ${err.message}`;
  }
}

function describeError(err) {
  return { name: err?.name, message: err?.message, isDOMException: err instanceof DOMException };
}

/** Runs `call`; its value, or the error it threw. */
function outcome(call) {
  try {
    const value = call();
    return { value: value === undefined ? 'undefined' : value };
  } catch (err) {
    return { error: describeError(err) };
  }
}

/** A Core cache entry as the service sees it, closed after reading. */
async function coreCacheEntry(key) {
  const entry = CoreCache.lookup(key);
  if (entry === null) return null;
  const state = entry.state();
  const seen = {
    found: state.found(),
    usable: state.usable(),
    stale: state.stale(),
    mustInsertOrUpdate: state.mustInsertOrUpdate(),
    maxAge: entry.maxAge(),
    age: entry.age(),
    length: entry.length(),
    userMetadata: new TextDecoder().decode(entry.userMetadata()),
    hits: outcome(() => entry.hits()),
    staleWhileRevalidate: outcome(() => entry.staleWhileRevalidate()),
    body: await new Response(entry.body()).text(),
  };
  entry.close();
  seen.closeTwice = outcome(() => entry.close());
  seen.afterClose = outcome(() => entry.maxAge());
  return seen;
}

function json(value, status = 200) {
  return new Response(JSON.stringify(value), { status, headers: { 'content-type': 'application/json' } });
}

function cacheOverrideFrom(q) {
  const mode = q.get('mode');
  if (!mode) return undefined;
  if (mode !== 'override') return new CacheOverride(mode);
  const init = {};
  if (q.has('ttl')) init.ttl = Number(q.get('ttl'));
  if (q.has('swr')) init.swr = Number(q.get('swr'));
  if (q.has('sie')) init.staleIfError = Number(q.get('sie'));
  if (q.has('before')) {
    init.beforeSend = (req) => {
      req.headers.set('x-before-send', q.get('before'));
    };
  }
  if (q.has('after')) {
    const after = q.get('after');
    init.afterSend = (candidate) => {
      candidate.headers.set('x-after-send', `${candidate.status}`);
      if (q.has('setTtl')) candidate.ttl = Number(q.get('setTtl'));
      if (q.has('setSie')) candidate.staleIfError = Number(q.get('setSie'));
      if (after === 'throw-5xx' && candidate.status >= 500 && candidate.staleIfErrorAvailable()) {
        throw new Error('origin 5xx');
      }
      if (after === 'cache') return { cache: true };
      if (after === 'nocache') return { cache: false };
      return undefined;
    };
  }
  return new CacheOverride('override', init);
}

/** A property read, or the error it throws, for the conformance test to compare. */
function attempt(read) {
  try {
    return read();
  } catch (err) {
    return { error: describeError(err) };
  }
}

async function handle(event) {
  const req = event.request;
  const url = new URL(req.url);
  const q = url.searchParams;
  const [, route, ...rest] = url.pathname.split('/');

  switch (route) {
    case 'info':
      return json({
        url: req.url,
        method: req.method,
        client: event.client.address,
        isRequest: req instanceof Request,
        isCacheable: String(req.isCacheable),
        backend: req.backend === undefined ? null : String(req.backend),
        hostname: env('FASTLY_HOSTNAME'),
        traceId: env('FASTLY_TRACE_ID'),
        traceIdAgain: env('FASTLY_TRACE_ID'),
        pop: env('FASTLY_POP') ?? null,
        initErrors,
      });

    case 'header-names':
      return json({ names: [...req.headers.keys()] });

    case 'proxy': {
      // /proxy/<backend>/<path...>?mode=...  → fetch https://www.example.test/<path>
      const backend = rest[0];
      const path = rest.slice(1).join('/');
      const headers = new Headers();
      if (q.has('host')) headers.set('host', q.get('host'));
      let cacheOverride;
      try {
        cacheOverride = cacheOverrideFrom(q);
      } catch (err) {
        return json({ constructError: describeError(err) }, 500);
      }
      const method = q.get('method') ?? 'GET';
      const init = { method, headers, backend };
      if (cacheOverride) init.cacheOverride = cacheOverride;
      if (method === 'POST') init.body = 'posted-body';
      let response;
      try {
        response = q.has('viaRequest')
          ? await fetch(new Request(`https://www.example.test/${path}`, init))
          : await fetch(`https://www.example.test/${path}`, init);
      } catch (err) {
        return json({ fetchError: describeError(err) }, 502);
      }
      if (q.has('passthrough')) {
        // The fetched response itself, one header changed and one removed.
        response.headers.set('x-set-on-fetched', '1');
        if (q.has('drop')) {
          if (q.has('listFirst')) void [...response.headers.keys()];
          response.headers.delete(q.get('drop'));
          response.headers.set('x-seen-after-delete', String(response.headers.get(q.get('drop'))));
        }
        return response;
      }
      if (q.has('read')) {
        try {
          return json({ status: response.status, text: await response.text() });
        } catch (err) {
          return json({ bodyError: describeError(err) }, 502);
        }
      }
      const out = new Response(response.body, response);
      out.headers.set('x-lr-cached', String(response.cached));
      out.headers.set('x-lr-stale', String(response.stale));
      out.headers.set('x-lr-ttl', String(response.ttl));
      out.headers.set('x-lr-age', String(response.age));
      out.headers.set('x-lr-sie', String(response.staleIfError));
      out.headers.set('x-lr-masked', response.maskedError ? `${response.maskedError.name}` : 'none');
      out.headers.set('x-lr-backend', String(response.backend));
      return out;
    }

    case 'sync-throw': {
      // What fetch does synchronously (e.g. hooks without the HTTP cache).
      try {
        const p = fetch('https://www.example.test/x', { backend: 'origin', cacheOverride: cacheOverrideFrom(q) });
        await p.then((r) => r.text()).catch(() => undefined);
        return json({ threw: false });
      } catch (err) {
        return json({ threw: true, error: describeError(err) });
      }
    }

    case 'health': {
      try {
        const b = Backend.fromName(rest[0]);
        return json({ health: b.health(), name: b.name, str: `${b}`, exists: Backend.exists(rest[0]), port: b.port, isSSL: b.isSSL, firstByteTimeout: b.firstByteTimeout, target: attempt(() => b.target), hostOverride: attempt(() => b.hostOverride) });
      } catch (err) {
        return json({ error: describeError(err), exists: Backend.exists(rest[0]) }, 404);
      }
    }

    case 'config': {
      try {
        return json({ value: new ConfigStore(rest[0]).get(rest[1]) });
      } catch (err) {
        return json({ error: describeError(err) }, 404);
      }
    }

    case 'secret': {
      try {
        const entry = await new SecretStore(rest[0]).get(rest[1]);
        return json(entry === null ? { value: null } : { value: entry.plaintext(), bytes: [...entry.rawBytes()].length });
      } catch (err) {
        return json({ error: describeError(err) }, 404);
      }
    }

    case 'core-cache': {
      // /core-cache/insert?key=&ms=&meta=&body=  /core-cache/lookup?key=  /core-cache/errors
      const key = q.get('key');
      if (rest[0] === 'insert') {
        return json(outcome(() => {
          const options = { maxAge: Number(q.get('ms')) };
          if (q.has('meta')) options.userMetadata = q.get('meta');
          const body = CoreCache.insert(key, options);
          if (q.has('body')) body.append(q.get('body'));
          body.close();
          return q.has('appendAfterClose') ? body.append('more') : undefined;
        }));
      }
      if (rest[0] === 'lookup') return json({ entry: await coreCacheEntry(key) });
      if (rest[0] === 'errors') {
        return json({
          emptyKey: outcome(() => CoreCache.lookup('')),
          longKey: outcome(() => CoreCache.lookup('k'.repeat(8136))),
          overHostLimit: outcome(() => CoreCache.lookup('k'.repeat(4097))),
          atHostLimit: outcome(() => CoreCache.lookup('k'.repeat(4096))),
          insertOneArgument: outcome(() => CoreCache.insert('x')),
          insertNoMaxAge: outcome(() => CoreCache.insert('x', {})),
          insertNegative: outcome(() => CoreCache.insert('x', { maxAge: -1 })),
          insertOverHostLimit: outcome(() => CoreCache.insert('k'.repeat(4097), { maxAge: 1000 })),
        });
      }
      return json({ error: 'unknown core-cache route' }, 404);
    }

    case 'log': {
      (rest[0] === 'made-at-init' ? initLogger : new Logger(rest[0])).log(q.get('line') ?? '');
      return new Response('logged');
    }

    case 'throw':
      throw new Error('boom');

    case 'reject':
      return Promise.reject(new Error('rejected'));

    case 'not-a-response':
      return 'hello';

    default:
      return new Response('not found', { status: 404 });
  }
}

addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (url.pathname === '/no-respond') return;
  if (url.pathname === '/throw-sync') throw new Error('sync boom');
  event.respondWith(handle(event));
});
