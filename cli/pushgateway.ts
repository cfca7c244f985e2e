/**
 * `--push`: the check's metrics sent to a Prometheus Pushgateway, so the
 * checks can run as a CronJob beside govuk-mirror's and be alerted on. One
 * group per check (`/metrics/job/govuk_failover/check/<check>`), replaced
 * whole by each run (PUT), so a metric a run no longer has does not linger.
 */
import { type CheckName, PUSH_JOB } from './mirror-metrics.ts';
import { EXPOSITION_CONTENT_TYPE } from './prometheus.ts';

/** Where a check's group lives on the Pushgateway at `base`. */
export function pushUrlFor(base: URL, check: CheckName): URL {
  const path = `${base.pathname.replace(/\/+$/, '')}/metrics/job/${encodeURIComponent(PUSH_JOB)}/check/${encodeURIComponent(check)}`;
  return new URL(path, base);
}

/** Pushes the exposition text; the problem in one sentence when the Pushgateway did not take it. */
export async function pushMetrics(base: URL, check: CheckName, body: string, timeoutMs: number): Promise<string | undefined> {
  const url = pushUrlFor(base, check);
  try {
    const response = await fetch(url, { method: 'PUT', headers: { 'Content-Type': EXPOSITION_CONTENT_TYPE }, body, signal: AbortSignal.timeout(timeoutMs) });
    const text = (await response.text()).trim().slice(0, 200);
    if (response.ok) return undefined;
    return `the Pushgateway at ${url.href} answered ${response.status}${text ? ` (${text})` : ''}; the metrics were not pushed.`;
  } catch (error) {
    const reason = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
    return `could not push to the Pushgateway at ${url.href} (${reason}); check the --push address.`;
  }
}
