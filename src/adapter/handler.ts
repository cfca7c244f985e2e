/** Maps one Fastly fetch event onto the pure service. */
import { env } from 'fastly:env';
import type { BackendName } from '../core/backends.ts';
import type { CacheRule } from '../core/cache-policy.ts';
import { systemClock } from '../core/clock.ts';
import { describe } from '../core/config.ts';
import { queryOf, withoutQueries } from '../core/log-line.ts';
import { serve, serviceFailure, type ServiceEnv } from '../core/service.ts';
import { backendBucketHost, backendHealth } from './backends.ts';
import { loadConfig } from './config-store.ts';
import { edgeFacts, writeLog } from './log.ts';
import { coreCacheMarks } from './outage-marks.ts';
import { readSecret } from './secrets.ts';
import { answerSource, sendToBackend } from './send.ts';

/**
 * Answers a fetch event. The log line is written once the answer is on its
 * way, so serialising and writing it is not part of the user's wait: the
 * tasks held back run from a reaction to the answer registered after
 * respondWith's own, so in js-compute they follow the answer being sent.
 */
export function answerFetchEvent(event: FetchEvent): void {
  const later: (() => void)[] = [];
  const answer = handleFetchEvent(event, (task) => later.push(task));
  event.respondWith(answer);
  const runLater = () => {
    for (const task of later) task();
  };
  event.waitUntil(answer.then(runLater, runLater));
}

async function handleFetchEvent(event: FetchEvent, afterAnswer: (task: () => void) => void): Promise<Response> {
  const arrival = { date: new Date(), clockMs: systemClock.now() };
  const { config, problems } = loadConfig();
  const serviceEnv: ServiceEnv = {
    config,
    configProblems: problems,
    clock: systemClock,
    requestId: env('FASTLY_TRACE_ID') ?? crypto.randomUUID(),
    connection: { clientAddress: event.client.address, serverHostname: env('FASTLY_HOSTNAME') ?? '' },
    date: () => new Date(),
    health: backendHealth,
    bucketHost: backendBucketHost,
    send: (backend: BackendName, request: Request, cache: CacheRule) => sendToBackend(backend, request, cache, () => config.httpCacheApi),
    secret: readSecret,
    log: (line) => afterAnswer(() => writeLog(config.logEndpoint, line())),
    edgeFacts: (withPersonalData) => edgeFacts(event.client, withPersonalData),
    answerSource,
    popMarks: coreCacheMarks,
    background: (task) => event.waitUntil(task),
    headersAlwaysSent: true,
  };
  try {
    return await serve(event.request, serviceEnv);
  } catch (error) {
    // A bug must still give the user the branded page, never a raw error.
    const message = describe(error);
    // Standard error is a log too (log tail, Viceroy's output): no query string there either, unless configured.
    console.error(`govuk-failover: unexpected error: ${withoutQueries(message, config.logPersonalData, queryOf(event.request.url))}`);
    return serviceFailure(event.request, message, serviceEnv, arrival);
  }
}
