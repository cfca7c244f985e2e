/**
 * A bounded load scenario: 2,000 requests at concurrency 50 through each
 * engine, origin faults chosen at random per request (seeded, so a failure
 * can be replayed). Every answer must be the specified one, no request may
 * hang, and sockets and memory must come back to where they were: the local
 * runtime's JS heap, Viceroy's resident set. Stubs listen on ephemeral ports,
 * so this file can run beside the others.
 */
import { describe, expect, it } from 'vitest';
import type { Behaviour } from '../../stubs/index.ts';
import { engines } from './engines.ts';
import { HEDGE_MS, SLACK_MS } from './fault-matrix.ts';
import { send } from './request.ts';
import { startWorld } from './world.ts';

const REQUESTS = 2000;
const CONCURRENCY = 50;
/** Requests before the baseline is taken: enough for the JIT and the runtimes' pools to settle, so what grows after is what is kept. */
const WARM_UP = 1000;
const SEED = 20261121;

/** Each fault origin may show, and what the user must get for it. */
const FAULTS: { behaviour: Behaviour; expect: { status: number; backend: 'origin' | 'mirrorS3'; complete: boolean } }[] = [
  { behaviour: { kind: 'echo' }, expect: { status: 200, backend: 'origin', complete: true } },
  { behaviour: { kind: 'delay', ms: 30, then: { kind: 'echo' } }, expect: { status: 200, backend: 'origin', complete: true } },
  { behaviour: { kind: 'status', status: 404 }, expect: { status: 404, backend: 'origin', complete: true } },
  { behaviour: { kind: 'status', status: 502 }, expect: { status: 200, backend: 'mirrorS3', complete: true } },
  { behaviour: { kind: 'status', status: 503 }, expect: { status: 200, backend: 'mirrorS3', complete: true } },
  { behaviour: { kind: 'hang' }, expect: { status: 200, backend: 'mirrorS3', complete: true } },
  { behaviour: { kind: 'reset-mid-body' }, expect: { status: 200, backend: 'origin', complete: false } },
];

/** What "memory back to the baseline" means on each engine. */
const MEMORY = {
  'local-runtime': { what: 'JS heap', slackMiB: 4 },
  viceroy: { what: 'viceroy resident set', slackMiB: 32 },
} as const;

function sockets(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'TCPServerWrap').length;
}

/** Resolves once `condition` holds, checking after each timer turn; rejects after `timeoutMs`. */
async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe.each(engines())('on $name', ({ name, start }) => {
it(`answers ${REQUESTS} requests at concurrency ${CONCURRENCY} with random origin faults as specified, and cleans up`, async () => {
  const world = await startWorld({ mirrorS3: [], mirrorS3Replica: [], mirrorGCS: [] });
  // No readthrough cache here: every path is new anyway, and a cache would hold on to memory by design.
  const runtime = await start(world.manifest(), { httpCache: false });
  const idle = () => until(() => Object.values(world.stubs).every((s) => s.openConnections === 0), 10_000, 'backend connections to close');
  /** What the test itself keeps (stub recordings, captured log lines) is dropped before each measurement. */
  const measure = async () => {
    await idle();
    for (const stub of Object.values(world.stubs)) stub.resetRecording();
    runtime.logs.length = 0;
    return { sockets: sockets(), memory: runtime.memory() };
  };

  const sendAll = async (prefix: string, count: number) => {
    await world.set({ origin: { kind: 'random', seed: SEED, choices: FAULTS.map((f) => f.behaviour) }, mirrorS3: { kind: 'echo' } });
    world.stubs.origin.resetRecording();
    const results: { path: string; outcome: Awaited<ReturnType<typeof send>> }[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < count) {
          const path = `/${prefix}/${next++}`;
          results.push({ path, outcome: await send(runtime.url, path, { timeoutMs: 10_000 }) });
        }
      }),
    );
    return { results, elapsed: performance.now() - started, chosen: new Map(world.stubs.origin.requests.map((r) => [r.path, r.choice])) };
  };

  try {
    await sendAll('warm-up', WARM_UP);
    const baseline = await measure();

    const { results, elapsed, chosen } = await sendAll('load', REQUESTS);

    const counts = new Map<string, number>();
    const wrong: string[] = [];
    let slowest = 0;
    for (const { path, outcome: r } of results) {
      const fault = FAULTS[chosen.get(path) ?? -1];
      if (!fault) {
        wrong.push(`${path}: origin never saw it`);
        continue;
      }
      const label = JSON.stringify(fault.behaviour);
      counts.set(label, (counts.get(label) ?? 0) + 1);
      slowest = Math.max(slowest, r.ms);
      const complete = r.outcome.kind === 'response';
      if (r.status !== fault.expect.status || r.header('fastly-backend-name') !== fault.expect.backend || complete !== fault.expect.complete) {
        wrong.push(`${path} (${label}): ${r.outcome.kind} ${r.status} from ${r.header('fastly-backend-name')}`);
      }
    }
    console.log(`[load on ${name}] ${results.length} requests in ${Math.round(elapsed)} ms at concurrency ${CONCURRENCY}; slowest ${Math.round(slowest)} ms; faults: ${[...counts].map(([k, n]) => `${n}× ${k}`).join(', ')}`);

    expect(results).toHaveLength(REQUESTS);
    expect(wrong.slice(0, 10)).toEqual([]);
    expect(results.filter((r) => r.outcome.outcome.kind === 'no-response')).toHaveLength(0);
    expect(slowest, 'no request waits much past the hedge delay').toBeLessThan(HEDGE_MS + SLACK_MS * 2);
    expect(counts.size, 'every fault was exercised').toBe(FAULTS.length);

    results.length = 0;
    chosen.clear();
    const after = await measure();
    console.log(`[load on ${name}] open sockets ${baseline.sockets} → ${after.sockets}; ${MEMORY[name].what} ${(baseline.memory / 2 ** 20).toFixed(1)} MiB → ${(after.memory / 2 ** 20).toFixed(1)} MiB`);
    expect(after.sockets).toBe(baseline.sockets);
    expect(after.memory - baseline.memory, `${MEMORY[name].what} back within ${MEMORY[name].slackMiB} MiB of the baseline`).toBeLessThan(MEMORY[name].slackMiB * 2 ** 20);
  } finally {
    await runtime.close();
    await world.close();
  }
}, 120_000);
});
