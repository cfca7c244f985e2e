/**
 * A service that does nothing but forward: the request goes, unchanged, to
 * the backends named in `X-Bench-Backend` (default origin), in order; the
 * first answer below 500 comes straight back (a refusal or a 5xx moves on to
 * the next name, as the least any failover must do). Run on the same runtime
 * as the real service (the local runtime, or Viceroy once compiled by
 * js-compute-runtime), it measures the runtime's own hops, so the benchmark
 * can tell that cost apart from the service's. Not part of the product.
 */

interface FetchEventLike {
  readonly request: Request;
  respondWith(response: Response | Promise<Response>): void;
}

type AddEventListener = (type: 'fetch', listener: (event: FetchEventLike) => void) => void;
type EdgeFetch = (request: Request, init: { backend: string }) => Promise<Response>;

const BACKENDS = new Set(['origin', 'mirrorS3', 'mirrorS3Replica', 'mirrorGCS']);

const edgeFetch = fetch as unknown as EdgeFetch;

async function forward(request: Request, backends: readonly string[]): Promise<Response> {
  let last: Response | undefined;
  for (const backend of backends) {
    try {
      last = await edgeFetch(new Request(request.url, { method: request.method, headers: request.headers }), { backend });
      if (last.status < 500) return last;
    } catch {
      last = undefined;
    }
  }
  return last ?? new Response('null service: every backend failed\n', { status: 502 });
}

(addEventListener as unknown as AddEventListener)('fetch', (event) => {
  const named = (event.request.headers.get('x-bench-backend') ?? 'origin').split(',').map((b) => b.trim());
  const backends = named.filter((b) => BACKENDS.has(b));
  event.respondWith(forward(event.request, backends.length ? backends : ['origin']));
});
