/** Starting and stopping several stub backends together. */
import { startStubBackend, type StubBackend, type StubBackendOptions } from './stub-backend.ts';

export interface StubBackendGroup<Id extends string = string> {
  /** The backends by id. */
  readonly byId: Readonly<Record<Id, StubBackend>>;
  /** The backends in the order given. */
  readonly all: readonly StubBackend[];
  /** The backend with this id (throws for an unknown id). */
  get(id: Id): StubBackend;
  /** `resetRecording()` on each. */
  resetRecording(): void;
  /** Closes every backend; waits for all, then throws the first failure if any. Idempotent. */
  closeAll(): Promise<void>;
}

/** Closes every backend given; waits for all, then throws the first failure if any. */
export async function closeAll(backends: Iterable<StubBackend>): Promise<void> {
  const results = await Promise.allSettled([...backends].map((b) => b.close()));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/**
 * Starts one backend per spec (ids must be unique). If any fails to start,
 * the others are closed and the error is thrown.
 *
 *   const stubs = await startStubBackends([{ id: 'origin' }, { id: 'mirrorS3', behaviour: { kind: 'bucket', root } }]);
 *   stubs.get('origin').url; await stubs.closeAll();
 */
export async function startStubBackends<const S extends readonly StubBackendOptions[]>(
  specs: S,
): Promise<StubBackendGroup<S[number]['id']>> {
  type Id = S[number]['id'];
  const ids = specs.map((s) => s.id);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup !== undefined) throw new Error(`startStubBackends: duplicate id ${dup}`);

  const results = await Promise.allSettled(specs.map((s) => startStubBackend(s)));
  const started = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await closeAll(started).catch(() => undefined);
    throw failed.reason;
  }
  const byId = Object.fromEntries(started.map((b) => [b.id, b])) as Record<Id, StubBackend>;
  let closing: Promise<void> | undefined;
  return {
    byId,
    all: started,
    get(id: Id): StubBackend {
      const b = byId[id];
      if (b === undefined) throw new Error(`no stub backend ${String(id)}`);
      return b;
    },
    resetRecording(): void {
      for (const b of started) b.resetRecording();
    },
    closeAll(): Promise<void> {
      closing ??= closeAll(started);
      return closing;
    },
  };
}
