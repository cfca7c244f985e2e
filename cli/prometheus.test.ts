import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
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
