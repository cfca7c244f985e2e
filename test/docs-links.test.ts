/**
 * The manual's links resolve: every relative link in README.md, BENCHMARKS.md,
 * docs/ and local-runtime/README.md names a file or folder that exists, and
 * every anchor names a heading of its page, spelt as GitHub spells it. The
 * README links to every page of docs/.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { headingAnchors, markdownLinks } from './support/markdown-links.ts';

const ROOT = resolve(import.meta.dirname, '..');
const DOCS = join(ROOT, 'docs');
const PAGES = [
  'README.md',
  'BENCHMARKS.md',
  'local-runtime/README.md',
  ...readdirSync(DOCS)
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

const anchorsOf = new Map<string, Set<string>>();
function anchors(file: string): Set<string> {
  let found = anchorsOf.get(file);
  if (!found) {
    found = headingAnchors(readFileSync(file, 'utf8'));
    anchorsOf.set(file, found);
  }
  return found;
}

/** What is wrong with one link, or undefined when it resolves. */
function problemOf(page: string, target: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return undefined; // https:, mailto:: not ours to check here
  const [pathPart, anchor] = target.split('#', 2) as [string, string | undefined];
  const file = pathPart === '' ? join(ROOT, page) : resolve(dirname(join(ROOT, page)), decodeURIComponent(pathPart));
  if (!file.startsWith(ROOT)) return `leaves the repository (${relative(ROOT, file)})`;
  if (!existsSync(file)) return `no such file: ${relative(ROOT, file)}`;
  if (anchor === undefined) return undefined;
  if (!file.endsWith('.md')) return `an anchor on a file that is not Markdown: ${relative(ROOT, file)}`;
  if (!anchors(file).has(anchor)) return `no heading in ${relative(ROOT, file)} gives #${anchor}`;
  return undefined;
}

describe('the manual', () => {
  it.each(PAGES)('%s: every relative link and anchor resolves', (page) => {
    const links = markdownLinks(readFileSync(join(ROOT, page), 'utf8'));
    const problems = links.flatMap(({ line, target }) => {
      const problem = problemOf(page, target);
      return problem ? [`${page}:${line} (${target}): ${problem}`] : [];
    });
    expect(problems).toEqual([]);
  });

  it('README.md links to every page of docs/', () => {
    const targets = new Set(
      markdownLinks(readFileSync(join(ROOT, 'README.md'), 'utf8')).map(({ target }) => target.split('#')[0]),
    );
    const unlinked = PAGES.filter((page) => page.startsWith('docs/') && !targets.has(page));
    expect(unlinked).toEqual([]);
  });

  it('README.md gives the two commands in its first lines', () => {
    const head = readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n').slice(0, 8).join('\n');
    expect(head).toMatch(/^npm install && npm start\b/m);
    expect(head).toMatch(/^npm test\b/m);
  });
});
