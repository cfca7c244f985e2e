/** The loopback port a manifest's `[local_server.backends]` gives each backend. */
import { loadManifest } from '../local-runtime/index.ts';
import { BACKEND_ORDER, type BackendName } from '../src/core/backends.ts';

export function manifestPorts(path: string): Record<BackendName, number> {
  const { backends } = loadManifest(path);
  return Object.fromEntries(
    BACKEND_ORDER.map((name) => {
      const backend = backends.get(name);
      if (!backend) throw new Error(`${path} has no [local_server.backends.${name}]`);
      return [name, Number(backend.url.port)];
    }),
  ) as Record<BackendName, number>;
}
