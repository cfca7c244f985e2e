import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isLeftOut, LogPageCounter, pagesFromLogs } from './log-pages.ts';

const line = (url: string, status: number | string = 200) => JSON.stringify({ url, status, method: 'GET' });

function top(lines: readonly string[], limit = 1000) {
  const counter = new LogPageCounter();
  for (const l of lines) counter.add(l);
  return counter.top(limit);
}

describe('the pages a log gives drift', () => {
  it('most requested 2xx paths first, query strings merged, ties in the order first seen', () => {
    const result = top([line('/a'), line('/b?x=1'), line('/b?x=2'), line('/c'), line('/b'), line('/c#top'), line('/d', 404), line('/a', 503), line('/e', 301)]);
    expect(result).toEqual({ paths: ['/b', '/c', '/a'], lines: 9, counted: 6, leftOut: 3, unreadable: 0 });
  });

  it.each([
    ['/assets/static/app.css', true],
    ['/government/assets/x.png', true],
    ['/api/content/x', true],
    ['/search/all', true],
    ['/search', false],
    ['/apiary', false],
    ['/x/api/y', false],
    ['/x/search/y', false],
  ])("%s is left out as the drift checker's query leaves it out: %s", (url, out) => {
    expect(isLeftOut(url)).toBe(out);
  });

  it('skips what is not a log line: not JSON, no url or status, a url that is no path', () => {
    const result = top(['not json', '{}', JSON.stringify({ url: '/x' }), JSON.stringify({ status: 200 }), line('https://www.gov.uk/x'), line('//evil'), '', line('/ok', '200')]);
    expect(result).toEqual({ paths: ['/ok'], lines: 7, counted: 1, leftOut: 0, unreadable: 6 });
  });

  it('keeps the limit', () => {
    expect(top([line('/a'), line('/b'), line('/b'), line('/c')], 2).paths).toEqual(['/b', '/a']);
  });

  it('gives what a plain count gives, for any log (property, seeded: FC_SEED replays)', () => {
    const url = fc.tuple(fc.constantFrom('/a', '/b', '/c', '/assets/a', '/api/x', '/search/y', '/d/e'), fc.constantFrom('', '?q=1', '?q=2', '#f'));
    const entry = fc.record({ url: url.map(([p, q]) => p + q), status: fc.constantFrom(200, 204, 299, 301, 404, 500) });
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 60 }), fc.integer({ min: 1, max: 5 }), (entries, limit) => {
        const counts = new Map<string, number>();
        for (const e of entries) {
          if (e.status < 200 || e.status >= 300 || isLeftOut(e.url)) continue;
          const path = e.url.replace(/[?#].*$/, '');
          counts.set(path, (counts.get(path) ?? 0) + 1);
        }
        const got = top(entries.map((e) => line(e.url, e.status)), limit).paths;
        // As many as the limit allows, each path once, most requested first, and none left behind that was requested more.
        expect(got.length).toBe(Math.min(limit, counts.size));
        expect(new Set(got).size).toBe(got.length);
        const gotCounts = got.map((p) => counts.get(p)!);
        expect(gotCounts).toEqual([...gotCounts].sort((a, b) => b - a));
        const behind = [...counts.entries()].filter(([p]) => !got.includes(p)).map(([, n]) => n);
        for (const n of behind) expect(n).toBeLessThanOrEqual(gotCounts.at(-1)!);
      }),
      { seed: process.env.FC_SEED ? Number(process.env.FC_SEED) : undefined, numRuns: 300 },
    );
  });

  it('reads several files, gzipped or not', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'log-pages-'));
    try {
      await writeFile(join(dir, 'a.log'), `${[line('/a'), line('/b')].join('\n')}\n`);
      await writeFile(join(dir, 'b.log.gz'), gzipSync(`${[line('/b'), line('/c?x'), line('/c')].join('\n')}\n`));
      const result = await pagesFromLogs([join(dir, 'a.log'), join(dir, 'b.log.gz')], 10);
      expect(result.paths).toEqual(['/b', '/c', '/a']);
      expect(result.lines).toBe(5);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
