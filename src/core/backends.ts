/**
 * The backends the service knows, in failover order. The names are the
 * Fastly backend names (fastly.toml, `[local_server.backends.<name>]`).
 */
export const BACKEND_ORDER = ['origin', 'mirrorS3', 'mirrorS3Replica', 'mirrorGCS'] as const;

export type BackendName = (typeof BACKEND_ORDER)[number];

export type MirrorName = Exclude<BackendName, 'origin'>;

export const MIRRORS: readonly MirrorName[] = ['mirrorS3', 'mirrorS3Replica', 'mirrorGCS'];

export function isMirror(name: BackendName): name is MirrorName {
  return name !== 'origin';
}

/** Case-insensitive lookup of a backend name; `undefined` when it is not one of ours. */
export function findBackendName(value: string): BackendName | undefined {
  const wanted = value.trim().toLowerCase();
  return BACKEND_ORDER.find((name) => name.toLowerCase() === wanted);
}
