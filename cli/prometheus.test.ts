import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import type { LagReport } from './freshness-sample.ts';
import { lagMetrics } from './mirror-metrics.ts';
import { exposition } from './prometheus.ts';

describe('exposition', () => {
  it('writes HELP and TYPE lines, and label values a parser reads back exactly, quotes, backslashes and newlines included', () => {
    const awkward = 'a "quoted" \\ path\nwith a newline';
    const text = exposition([
      { name: 'govuk_failover_example', help: 'An example.\nTwo lines.', type: 'gauge', samples: [{ labels: { mirror: 'mirrorS3', note: awkward }, value: 1.5 }, { labels: {}, value: 0 }] },
    ]);
    expect(text.split('\n').slice(0, 2)).toEqual(['# HELP govuk_failover_example An example.\\nTwo lines.', '# TYPE govuk_failover_example gauge']);
    const [family] = parsePrometheusTextFormat(text);
    expect(family!.name).toBe('govuk_failover_example');
    expect(family!.metrics.map((m) => [m.labels ?? {}, Number(m.value)])).toEqual([
      [{ mirror: 'mirrorS3', note: awkward }, 1.5],
      [{}, 0],
    ]);
  });

  it('refuses a name Prometheus would not take', () => {
    expect(() => exposition([{ name: 'govuk-failover', help: '', type: 'gauge', samples: [] }])).toThrow('not a metric name');
    expect(() => exposition([{ name: 'ok', help: '', type: 'gauge', samples: [{ labels: { 'bad-label': 'x' }, value: 1 }] }])).toThrow('not a label name');
  });
});

describe('freshness metrics from the sample', () => {
  it('a mirror no sampled page could be judged on has no lag sample and is stale; one behind within the limit is neither', () => {
    const report: LagReport = {
      service: 'http://127.0.0.1:7676',
      sitemap: 'http://127.0.0.1:7676/sitemap.xml',
      checkedAt: '2026-11-21T12:00:00.000Z',
      maxAgeMs: 86_400_000,
      sample: { pages: 2, newest: null, oldest: null, listed: 2, sitemaps: 1 },
      mirrors: [
        { mirror: 'mirrorS3', state: 'behind', lagMs: 3_600_000, compared: 2, behind: [], errors: [] },
        { mirror: 'mirrorS3Replica', state: 'unknown', lagMs: null, compared: 0, behind: [], errors: [{ path: '/a', reason: 'timeout' }, { path: '/b', reason: 'timeout' }] },
        { mirror: 'mirrorGCS', state: 'up-to-date', lagMs: null, compared: 2, behind: [], errors: [] },
      ],
      notCompared: [],
      sitemapProblems: [],
      ok: false,
      summary: 'PROBLEM: mirrorS3Replica could not be judged.',
    };
    const text = exposition(lagMetrics(report, new Date('2026-11-21T12:00:00Z')));
    const values = (name: string) =>
      Object.fromEntries((parsePrometheusTextFormat(text).find((f) => f.name === name)?.metrics ?? []).map((m) => [m.labels?.mirror, Number(m.value)]));
    expect(values('govuk_failover_mirror_lag_seconds')).toEqual({ mirrorS3: 3600, mirrorGCS: 0 });
    expect(values('govuk_failover_mirror_stale')).toEqual({ mirrorS3: 0, mirrorS3Replica: 1, mirrorGCS: 0 });
    expect(values('govuk_failover_mirror_read_errors')).toEqual({ mirrorS3: 0, mirrorS3Replica: 2, mirrorGCS: 0 });
    expect(values('govuk_failover_mirror_pages_compared')).toEqual({ mirrorS3: 2, mirrorS3Replica: 2, mirrorGCS: 2 });
  });
});
