/**
 * Asking a mirror for a page under each of its names in turn (mirror-path.ts:
 * one to three, most likely first). An answer that says "no object of that
 * name" (policy.ts: 404, or 403 AccessDenied) leads to the next name on the
 * same mirror; any other answer, the last name's answer, or a failure ends the
 * walk, and the failover engine judges it as the mirror's one attempt, so the
 * hedge bounds the whole walk and a 5xx or a refusal moves on to the next
 * mirror at once. A page found under its first name costs one request, as a
 * page with a single name does.
 */
import { type AttemptRecord, contacted, KnownMissing, LaterRequestFailure } from './attempt.ts';
import type { MirrorName } from './backends.ts';
import { peekBody } from './body-peek.ts';
import type { Clock } from './clock.ts';
import { discard } from './failover.ts';
import { type MirrorMisses, NO_MISSES } from './mirror-misses.ts';
import type { MirrorObjectName } from './mirror-path.ts';
import { isMissingObject, needsErrorCode } from './policy.ts';

/** How much of a 403's body is read for its error code (S3's and GCS's error documents are a few hundred bytes). */
export const ERROR_CODE_BYTES = 4096;

export interface MirrorWalkDeps {
  readonly clock: Clock;
  /** The names to ask `mirror` for, in order. */
  names(mirror: MirrorName): readonly MirrorObjectName[];
  /** Sends one request for one name. Rejects on transport failure. */
  ask(mirror: MirrorName, name: MirrorObjectName): Promise<Response>;
  /** What each mirror said it lacks a moment ago (mirror-misses.ts); absent: nothing is remembered. */
  readonly misses?: MirrorMisses;
}

export interface MirrorWalks {
  /** One mirror's attempt: its names in turn, until one is there or the walk ends. */
  send(mirror: MirrorName): Promise<Response>;
  /** The request has its answer: no walk asks another name; each mirror attempt is told the keys it asked. */
  finish(attempts: readonly AttemptRecord[]): void;
}

export function mirrorWalks(deps: MirrorWalkDeps): MirrorWalks {
  const asked = new Map<MirrorName, string[]>();
  let finished = false;

  const misses = deps.misses ?? NO_MISSES;
  const remembering = misses !== NO_MISSES;
  const send = async (mirror: MirrorName): Promise<Response> => {
    const all = deps.names(mirror);
    const names = remembering ? all.filter((name) => !misses.known(mirror, name.key)) : all;
    if (names.length === 0) throw new KnownMissing(`${mirror} answered a moment ago that it lacks ${all.length === 1 ? 'the page' : `all ${all.length} names of the page`}`);
    const keys: string[] = [];
    asked.set(mirror, keys);
    for (const [i, name] of names.entries()) {
      keys.push(name.key);
      const startedAt = deps.clock.now();
      let response: Response;
      try {
        response = await deps.ask(mirror, name);
      } catch (error) {
        throw i === 0 ? error : new LaterRequestFailure(error, deps.clock.now() - startedAt);
      }
      const last = i === names.length - 1;
      // The last name's answer is judged only to be remembered: the failover engine judges it as the mirror's.
      if (finished || (last && !remembering)) return response;
      const judged = await judge(response);
      if (judged.missing) misses.remember(mirror, name.key);
      if (last || !judged.missing || finished) return judged.response;
      discard(judged.response);
    }
    throw new Error('a mirror was given no name to ask for');
  };

  return {
    send,
    finish(attempts) {
      finished = true;
      for (const attempt of attempts) {
        const keys = asked.get(attempt.backend as MirrorName);
        if (keys && contacted(attempt)) attempt.objects = [...keys];
      }
    },
  };
}

/** Whether a mirror's answer says the object is not there, reading a 403's error code (the answer comes back whole). */
async function judge(response: Response): Promise<{ missing: boolean; response: Response }> {
  if (!needsErrorCode(response.status)) return { missing: isMissingObject(response.status, undefined), response };
  const peeked = await peekBody(response, ERROR_CODE_BYTES);
  return { missing: isMissingObject(response.status, errorCode(peeked.head)), response: peeked.response };
}

const decoder = new TextDecoder();

/** The `<Code>` of an S3 or GCS XML error document, if the bytes hold one. */
export function errorCode(head: Uint8Array): string | undefined {
  return /<Code>\s*([A-Za-z0-9.]{1,64})\s*<\/Code>/.exec(decoder.decode(head))?.[1];
}
