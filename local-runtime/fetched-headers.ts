/**
 * A quirk of js-compute 3.46, seen on Viceroy 0.22.0 (conformance.test.ts):
 * a fetched response's headers stay in the host until the service lists
 * them (keys, values, entries, forEach, for-of). A header deleted after that
 * is gone from the service's view, but the response still sends it. Headers
 * set are sent either way. The double marks every fetched response's
 * Headers and sends such "deleted" headers all the same.
 */
interface State {
  listed: boolean;
  /** Deleted after listing: still sent, lower-case name → value. */
  readonly lingering: Map<string, string>;
}

// Shared through a global: the service bundle has its own copy of this module (through shim.ts), the host another.
const KEY = Symbol.for('govuk-failover.local-runtime.fetched-headers');
const states: WeakMap<Headers, State> = ((globalThis as unknown as Record<symbol, WeakMap<Headers, State> | undefined>)[KEY] ??= new WeakMap());
const proto = Headers.prototype;

export function markFetchedHeaders(headers: Headers): void {
  if (states.has(headers)) return;
  const state: State = { listed: false, lingering: new Map() };
  states.set(headers, state);
  const listing = <K extends 'keys' | 'values' | 'entries' | 'forEach'>(method: K) =>
    function (this: Headers, ...args: unknown[]) {
      state.listed = true;
      return (proto[method] as (...a: unknown[]) => unknown).apply(this, args);
    };
  Object.defineProperties(headers, {
    keys: { value: listing('keys') },
    values: { value: listing('values') },
    entries: { value: listing('entries') },
    forEach: { value: listing('forEach') },
    [Symbol.iterator]: { value: listing('entries') },
    delete: {
      value(this: Headers, name: string) {
        const value = proto.get.call(this, name);
        if (state.listed && value !== null) state.lingering.set(name.toLowerCase(), value);
        return proto.delete.call(this, name);
      },
    },
    set: {
      value(this: Headers, name: string, value: string) {
        state.lingering.delete(name.toLowerCase());
        return proto.set.call(this, name, value);
      },
    },
    append: {
      value(this: Headers, name: string, value: string) {
        state.lingering.delete(name.toLowerCase());
        return proto.append.call(this, name, value);
      },
    },
  });
}

/** Headers the response still sends although the service deleted them. */
export function lingeringHeaders(headers: Headers): [string, string][] {
  return [...(states.get(headers)?.lingering ?? [])];
}
