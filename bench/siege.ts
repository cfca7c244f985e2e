/**
 * A siege on the outage memory: origin healthy for every page but the
 * attacker's, one client repeats one page (a page origin fails with a 500, or
 * a page origin answers only after the hedge delay) at 5 and at 50 requests
 * a second, each with a query string of its own so that the cache answers
 * none of them, while users browse other pages (10 a second, each page new),
 * half in the attacker's segment and half in another. What one client sends
 * must not decide what others get: the mirror copies served to users must be
 * 0, and no user's request may find its segment suspect.
 *
 * In the world with real round trips (round-trip-world.ts), so origin (20 ms)
 * is further away than the mirror (15 ms): were a segment held suspect, the
 * mirror's copy would win the race and users would be served it. The
 * service runs as deployed (outage memory and mirror miss memory on), with
 * times scaled by 1/10 as in the outage timeline: hedge 500 ms, window and
 * memory 1 s; the slow page answers after 700 ms. Rates are not scaled.
 */
import type { Behaviour } from '../stubs/index.ts';
import { suspectScopeIn } from '../src/core/diagnostics.ts';
import { timedGet } from './client.ts';
import { round, summarise, type Summary } from './stats.ts';
import { startRoundTripWorld } from './round-trip-world.ts';
import { SCALED_FIRST_BYTE_TIMEOUT_MS, SCALED_HEDGE_MS, TIME_SCALE, VARIANTS } from './timeline.ts';

export type AttackKind = 'failing' | 'slow';

export interface SiegePlan {
  /** Attacker's requests a second, one run each. */
  readonly attackRates: readonly number[];
  readonly userRate: number;
  readonly durationMs: number;
}

export interface SiegeRun {
  readonly attack: AttackKind;
  readonly attackRate: number;
  readonly attackRequests: number;
  /** The attacker's answers by backend (`origin`, `mirrorS3`, …). */
  readonly attackServedBy: Readonly<Record<string, number>>;
  readonly userRequests: number;
  /** Users' answers that were a mirror's copy (must be 0). */
  readonly usersGivenMirrorCopy: number;
  /** Users' requests that found their segment (or the whole origin) suspect (must be 0). */
  readonly usersSeenSuspect: number;
  /** Users' answers that were not a 200 of the page asked for. */
  readonly usersWrong: number;
  readonly userTotal: Summary;
}

export interface SiegeReport {
  readonly plan: SiegePlan;
  readonly scale: number;
  readonly hedgeMs: number;
  readonly slowAnswerMs: number;
  readonly runs: readonly SiegeRun[];
  readonly wallMs: number;
}

const ATTACKED_SEGMENT = '/government';
const OTHER_SEGMENT = '/browse';
const FAILING_PAGE = `${ATTACKED_SEGMENT}/broken-page`;
const SLOW_PAGE = `${ATTACKED_SEGMENT}/slow-search`;
/** The slow page answers this long after it is asked: past the hedge delay. */
export const SLOW_ANSWER_MS = SCALED_HEDGE_MS + 200;
const ATTACKS: readonly AttackKind[] = ['failing', 'slow'];

/** The users' pages of one run: alternately in the attacked segment and in another. */
function userPages(plan: SiegePlan, tag: string): string[] {
  const count = Math.floor((plan.durationMs / 1000) * plan.userRate);
  return Array.from({ length: count }, (_, i) => `${i % 2 === 0 ? ATTACKED_SEGMENT : OTHER_SEGMENT}/siege-${tag}-${i}`);
}

const runTag = (attack: AttackKind, rate: number) => `${attack}-${rate}`;

/** Every page users ask for, for the mirrors' bucket (so that a suspect segment would show as mirror copies). */
export function siegePages(plan: SiegePlan): string[] {
  return [...ATTACKS.flatMap((attack) => plan.attackRates.flatMap((rate) => userPages(plan, runTag(attack, rate)))), FAILING_PAGE, SLOW_PAGE];
}

/** Origin answers every page, but fails the broken one and is slow on the slow one. */
const ORIGIN: Behaviour = {
  kind: 'by-path',
  paths: { [FAILING_PAGE]: { kind: 'status', status: 500 }, [SLOW_PAGE]: { kind: 'delay', ms: SLOW_ANSWER_MS, then: { kind: 'echo' } } },
  otherwise: { kind: 'echo' },
};

/** Starts `send(i)` for i in 0..count-1, `intervalMs` apart from the start; all their results. */
async function paced<T>(count: number, intervalMs: number, send: (i: number) => Promise<T>): Promise<T[]> {
  const started = performance.now();
  const inflight: Promise<T>[] = [];
  for (let i = 0; i < count; i++) {
    const wait = started + i * intervalMs - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    inflight.push(send(i));
  }
  return Promise.all(inflight);
}

async function runOne(serviceUrl: string, attack: AttackKind, attackRate: number, plan: SiegePlan): Promise<SiegeRun> {
  const target = attack === 'failing' ? FAILING_PAGE : SLOW_PAGE;
  const timeoutMs = SCALED_FIRST_BYTE_TIMEOUT_MS * 4;
  const pages = userPages(plan, runTag(attack, attackRate));
  const attackCount = Math.floor((plan.durationMs / 1000) * attackRate);
  const [attacks, users] = await Promise.all([
    paced(attackCount, 1000 / attackRate, (i) => timedGet(serviceUrl, `${target}?q=${attackRate}-${i}`, timeoutMs)),
    paced(pages.length, 1000 / plan.userRate, (i) => timedGet(serviceUrl, pages[i]!, timeoutMs, {}, { keepBody: true })),
  ]);
  const attackServedBy: Record<string, number> = {};
  for (const t of attacks) {
    const by = String(t.headers['fastly-backend-name'] ?? 'none');
    attackServedBy[by] = (attackServedBy[by] ?? 0) + 1;
  }
  const userTotals = users.filter((t) => Number.isFinite(t.totalMs)).map((t) => t.totalMs);
  const total = summarise(userTotals);
  return {
    attack,
    attackRate,
    attackRequests: attacks.length,
    attackServedBy,
    userRequests: users.length,
    usersGivenMirrorCopy: users.filter((t) => String(t.headers['fastly-backend-name'] ?? '').startsWith('mirror')).length,
    usersSeenSuspect: users.filter((t) => suspectScopeIn(String(t.headers['server-timing'] ?? '')) !== null).length,
    usersWrong: users.filter((t, i) => t.status !== 200 || !t.body?.includes(pages[i]!)).length,
    userTotal: { n: total.n, p50: round(total.p50, 2) ?? Number.NaN, p95: round(total.p95, 2) ?? Number.NaN, min: round(total.min, 2) ?? Number.NaN, max: round(total.max, 2) ?? Number.NaN, mean: round(total.mean, 2) ?? Number.NaN },
  };
}

export async function measureSiege(plan: SiegePlan, bucketRoot: string, say: (line: string) => void = () => undefined): Promise<SiegeReport> {
  const started = performance.now();
  const memory = VARIANTS.find((v) => v.id === 'memory')!;
  say('siege: starting stubs, links and the runtime');
  const world = await startRoundTripWorld({ origin: ORIGIN, bucketRoot, config: memory.config, originFirstByteTimeoutMs: SCALED_FIRST_BYTE_TIMEOUT_MS });
  const runs: SiegeRun[] = [];
  try {
    for (const attack of ATTACKS) {
      for (const rate of plan.attackRates) {
        const run = await runOne(world.service.url, attack, rate, plan);
        runs.push(run);
        say(`siege, one ${attack} page at ${rate}/s: ${run.attackRequests} attacker requests, ${run.userRequests} users: ${run.usersGivenMirrorCopy} given a mirror copy, ${run.usersSeenSuspect} seen suspect`);
        // The memory's window and memory time pass before the next run, so each starts clean.
        await new Promise((resolve) => setTimeout(resolve, 1100));
      }
    }
  } finally {
    await world.close();
  }
  return { plan, scale: TIME_SCALE, hedgeMs: SCALED_HEDGE_MS, slowAnswerMs: SLOW_ANSWER_MS, runs, wallMs: Math.round(performance.now() - started) };
}
