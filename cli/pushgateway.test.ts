/**
 * `--push` against a real Prometheus Pushgateway (Debian's
 * prometheus-pushgateway, pinned in package.json, fetched by npm run
 * pushgateway:install): every check's group is taken beside the others (a
 * Pushgateway refuses, with 400, a push whose family has another type than
 * another group's), and each run replaces its own group. Without the binary
 * the tests say why and skip; with CI=true they fail.
 */
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIRRORS } from '../src/core/backends.ts';
import { findDebianTool } from '../test/support/debian-tool.ts';
import { type RunningPushgateway, startPushgateway } from '../test/support/pushgateway.ts';
import { runCli, startWorld, type World } from './test-world.ts';

const NOW = new Date('2026-11-21T12:00:00Z');
const PAGE = '<h1>Benefits</h1>';
const pushgateway = findDebianTool('pushgateway');
const inCi = process.env.CI === 'true';
if (!pushgateway.available && !inCi) console.warn(`[pushgateway] real Pushgateway tests skipped: ${pushgateway.reason}`);

/** Each sample on the Pushgateway's /metrics for `name`, as "label=value,…" → value. */
function samples(text: string, name: string): Map<string, number> {
  const family = parsePrometheusTextFormat(text).find((f) => f.name === name);
  return new Map((family?.metrics ?? []).map((m) => [Object.entries(m.labels ?? {}).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`).join(','), Number(m.value)]));
}

describe.skipIf(!pushgateway.available && !inCi)('--push to a real Pushgateway', () => {
  let world: World;
  let gateway: RunningPushgateway;
  beforeAll(async () => {
    if (!pushgateway.available) throw new Error(`CI=true and ${pushgateway.reason}`);
    world = await startWorld({
      originBody: PAGE,
      files: { 'www.gov.uk/benefits.html': PAGE, 'www.gov.uk/mirror-last-sync.json': JSON.stringify({ synced_at: '2026-11-21T09:00:00Z' }) },
    });
    gateway = await startPushgateway(pushgateway.path);
  });
  afterAll(async () => {
    await gateway?.close();
    await world?.close();
  });

  it('takes check, drift and freshness --marker side by side, each in its own group of job govuk_failover', async () => {
    const runs = [
      await runCli(['check', '/benefits', '--service', world.service, '--push', gateway.url], { now: NOW }),
      await runCli(['drift', '/benefits', '--service', world.service, '--push', gateway.url], { now: NOW }),
      await runCli(['freshness', '--marker', '/mirror-last-sync.json', '--service', world.service, '--push', gateway.url], { now: NOW }),
    ];
    for (const run of runs) expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: expect.not.stringContaining('push') });

    const text = await gateway.metrics();
    const pushFailures = samples(text, 'push_failure_time_seconds');
    expect([...pushFailures.keys()].sort()).toEqual(['check=check,instance=,job=govuk_failover', 'check=drift,instance=,job=govuk_failover', 'check=freshness,instance=,job=govuk_failover']);
    expect([...pushFailures.values()]).toEqual([0, 0, 0]);
    expect(samples(text, 'govuk_failover_check_timestamp_seconds')).toEqual(
      new Map(['check', 'drift', 'freshness'].map((check) => [`check=${check},instance=,job=govuk_failover`, NOW.getTime() / 1000])),
    );
    expect(samples(text, 'govuk_mirror_response_status_code').get('backend=mirrorGCS,check=check,instance=,job=govuk_failover')).toBe(200);
    const compared = samples(text, 'govuk_failover_mirror_pages_compared');
    for (const mirror of MIRRORS) {
      expect(compared.get(`check=drift,instance=,job=govuk_failover,mirror=${mirror}`), mirror).toBe(1);
      expect(compared.get(`check=freshness,instance=,job=govuk_failover,mirror=${mirror}`), mirror).toBe(1);
    }
    expect(samples(text, 'govuk_failover_mirror_lag_seconds').get('check=freshness,instance=,job=govuk_failover,mirror=mirrorS3')).toBe(3 * 3600);
  });

  it('replaces a check\'s group with each run: a page gone from one mirror shows at once, and nothing of the last run lingers', async () => {
    await world.buckets.mirrorGCS.remove('www.gov.uk/benefits.html');
    try {
      const run = await runCli(['drift', '/benefits', '--service', world.service, '--push', gateway.url], { now: NOW });
      expect(run.code, 'the push worked; drift found the missing page').toBe(1);
      expect(run.stderr).not.toContain('push');
      const missing = samples(await gateway.metrics(), 'govuk_failover_mirror_pages_missing');
      expect(missing).toEqual(new Map(MIRRORS.map((mirror) => [`check=drift,instance=,job=govuk_failover,mirror=${mirror}`, mirror === 'mirrorGCS' ? 1 : 0])));
    } finally {
      await world.buckets.mirrorGCS.write('www.gov.uk/benefits.html', PAGE);
    }
  });
});
