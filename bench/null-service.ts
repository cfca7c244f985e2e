/**
 * A service that does nothing but forward: the request goes, unchanged, to
 * the backend named in `X-Bench-Backend` (default origin), and the answer
 * comes straight back. Run on the same local runtime as the real service, it
 * measures the runtime's own hop (downstream server, fetch double, cache
 * model), so the benchmark can tell that cost apart from the service's.
 * Bundled by the local runtime like src/index.ts; not part of the product.
 */

interface FetchEventLike {
  readonly request: Request;
  respondWith(response: Response | Promise<Response>): void;
}

type AddEventListener = (type: 'fetch', listener: (event: FetchEventLike) => void) => void;
type EdgeFetch = (request: Request, init: { backend: string }) => Promise<Response>;

const BACKENDS = new Set(['origin', 'mirrorS3', 'mirrorS3Replica', 'mirrorGCS']);

const edgeFetch = fetch as unknown as EdgeFetch;
(addEventListener as unknown as AddEventListener)('fetch', (event) => {
  const wanted = event.request.headers.get('x-bench-backend') ?? 'origin';
  const backend = BACKENDS.has(wanted) ? wanted : 'origin';
  event.respondWith(
    edgeFetch(event.request, { backend }).catch(() => new Response('null service: backend failed\n', { status: 502 })),
  );
});
