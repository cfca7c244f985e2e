import { describe, expect, it } from 'vitest';
import { githubSlug, headingAnchors, markdownLinks } from './markdown-links.ts';

describe('githubSlug', () => {
  it.each([
    ['Behaviour', 'behaviour'],
    ['`check`: is the page served, and do the mirrors have it?', 'check-is-the-page-served-and-do-the-mirrors-have-it'],
    ['Checked against Viceroy 0.22.0', 'checked-against-viceroy-0220'],
    ["Held to Fastly's own tests of the HTTP cache", 'held-to-fastlys-own-tests-of-the-http-cache'],
    ['`freshness --marker <path>`: a sync marker, when there is one', 'freshness---marker-path-a-sync-marker-when-there-is-one'],
    ['Mirror names: what a page under another name costs', 'mirror-names-what-a-page-under-another-name-costs'],
    ['Edge safety: the siege and the miss flood', 'edge-safety-the-siege-and-the-miss-flood'],
  ])('%s → %s', (heading, slug) => {
    expect(githubSlug(heading)).toBe(slug);
  });
});

describe('headingAnchors', () => {
  it('numbers repeated headings and ignores headings inside fenced code', () => {
    const page = ['# A', '## Figures', '```sh', '# not a heading', '```', '### Figures'].join('\n');
    expect([...headingAnchors(page)]).toEqual(['a', 'figures', 'figures-1']);
  });
});

describe('markdownLinks', () => {
  it('finds inline links and reference definitions, not links in code', () => {
    const page = [
      'See [the rules](docs/behaviour.md#rules) and [x](#local).',
      '`[not](a-link.md)` and',
      '```',
      '[nor](this.md)',
      '```',
      '[ref]: docs/testing.md',
    ].join('\n');
    expect(markdownLinks(page)).toEqual([
      { line: 1, target: 'docs/behaviour.md#rules' },
      { line: 1, target: '#local' },
      { line: 6, target: 'docs/testing.md' },
    ]);
  });
});
