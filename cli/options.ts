/** The command line, parsed into what each command needs; anything wrong is a UsageError. */
import { closeSync, openSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseDuration } from './duration.ts';
import { type MirrorLayout, mirrorLayout } from './mirror-layout.ts';
import { DEFAULT_LOG_LIMIT } from './log-pages.ts';
import { parsePageArguments, parsePagesFile } from './page-list.ts';
import { DEFAULT_MARKER_PATH } from './sync-marker.ts';
import { DEFAULT_SERVICE, pageUrl, parseService, parseTarget, type Target } from './target.ts';
import { UsageError } from './usage.ts';

export const DEFAULT_TIMEOUT = '20s';
export const DEFAULT_MAX_AGE = '24h';
/** drift --sitemap: how many of the most recently changed pages. */
export const DEFAULT_DRIFT_LIMIT = 200;
/** freshness without --marker: how many sitemap pages to sample. */
export const DEFAULT_SAMPLE_SIZE = 50;
export const DEFAULT_CONCURRENCY = 8;
export const MAX_CONCURRENCY = 64;
export const MAX_PAGES = 100_000;

/** Where drift's pages come from. */
export type PageSource =
  | { readonly kind: 'sitemap'; readonly limit: number }
  | { readonly kind: 'file'; readonly file: string; readonly paths: readonly string[] }
  | { readonly kind: 'arguments'; readonly paths: readonly string[] }
  | { readonly kind: 'log'; readonly files: readonly string[]; readonly limit: number };

/** How a report is given: `text` (a table), `json`, or `prometheus` (the text exposition format); `push`: also to a Pushgateway. */
export type Format = 'text' | 'json' | 'prometheus';

export interface Output {
  readonly format: Format;
  readonly push: URL | undefined;
}

interface Requests extends Output {
  readonly service: URL;
  readonly timeoutMs: number;
  readonly concurrency: number;
}

export type Command =
  | { readonly name: 'help' }
  | ({ readonly name: 'check'; readonly target: Target; readonly layout: MirrorLayout; readonly timeoutMs: number } & Output)
  | ({ readonly name: 'drift'; readonly source: PageSource } & Requests)
  | ({ readonly name: 'freshness'; readonly url: URL; readonly maxAgeMs: number; readonly timeoutMs: number } & Output)
  | ({ readonly name: 'lag'; readonly sampleSize: number; readonly maxAgeMs: number } & Requests);

const COMMON = {
  service: { type: 'string' },
  timeout: { type: 'string', default: DEFAULT_TIMEOUT },
  json: { type: 'boolean', default: false },
  format: { type: 'string' },
  push: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export function parseCommand(argv: readonly string[]): Command {
  const [name, ...rest] = argv;
  if (name === undefined) throw new UsageError('no command given: use check, drift or freshness.');
  if (name === '-h' || name === '--help' || name === 'help') return { name: 'help' };
  if (name === 'check') return parseCheck(rest);
  if (name === 'drift') return parseDrift(rest);
  if (name === 'freshness') return parseFreshness(rest);
  throw new UsageError(`unknown command ${JSON.stringify(name)}: use check, drift or freshness.`);
}

function parseCheck(args: string[]): Command {
  const { values, positionals } = parse(args, { ...COMMON, 'mirror-prefix': { type: 'string' }, 'mirror-names': { type: 'string' } });
  if (values.help) return { name: 'help' };
  if (positionals.length !== 1) {
    throw new UsageError(`check needs exactly one page, as a path (/browse/benefits) or a URL (https://www.gov.uk/browse/benefits); got ${positionals.length}.`);
  }
  const target = parseTarget(positionals[0] ?? '', values.service);
  return {
    name: 'check',
    target,
    layout: mirrorLayout(target.service, values['mirror-prefix'], values['mirror-names']),
    timeoutMs: duration('--timeout', values.timeout),
    ...output(values),
  };
}

const MANY_REQUESTS = {
  concurrency: { type: 'string' },
  limit: { type: 'string' },
} as const;

function parseDrift(args: string[]): Command {
  const { values, positionals } = parse(args, {
    ...COMMON,
    ...MANY_REQUESTS,
    pages: { type: 'string' },
    sitemap: { type: 'boolean', default: false },
    'pages-from-log': { type: 'string', multiple: true },
  });
  if (values.help) return { name: 'help' };
  const logFiles = values['pages-from-log'];
  if (logFiles !== undefined) {
    // `--pages-from-log a.json b.json.gz`: the files after the first are positionals.
    if (values.sitemap || values.pages !== undefined) throw new UsageError(`drift takes pages from one place only; got --pages-from-log and ${values.sitemap ? '--sitemap' : '--pages'}.`);
    const files = [...logFiles, ...positionals];
    for (const file of files) readable('--pages-from-log', file, 'a log file of JSON lines with url and status, gzipped or not');
    return { name: 'drift', source: { kind: 'log', files, limit: count('--limit', values.limit ?? String(DEFAULT_LOG_LIMIT), MAX_PAGES) }, ...requests(values) };
  }
  const given = [values.sitemap && '--sitemap', values.pages !== undefined && '--pages', positionals.length > 0 && 'paths'].filter(Boolean);
  if (given.length !== 1) {
    throw new UsageError(
      given.length === 0
        ? 'drift needs pages: --sitemap (the most recently changed pages), --pages FILE (one path a line), --pages-from-log FILE… (the most requested pages in CDN log lines), or paths such as /browse/benefits.'
        : `drift takes pages from one place only; got ${given.join(' and ')}.`,
    );
  }
  if (values.limit !== undefined && !values.sitemap) throw new UsageError('--limit applies to --sitemap and --pages-from-log only (the number of pages).');
  let source: PageSource;
  if (values.sitemap) source = { kind: 'sitemap', limit: count('--limit', values.limit ?? String(DEFAULT_DRIFT_LIMIT), MAX_PAGES) };
  else if (values.pages !== undefined) source = { kind: 'file', file: values.pages, paths: pagesFile(values.pages) };
  else source = { kind: 'arguments', paths: parsePageArguments(positionals) };
  if (source.kind !== 'sitemap' && source.paths.length > MAX_PAGES) throw new UsageError(`at most ${MAX_PAGES} pages at a time; got ${source.paths.length}.`);
  return { name: 'drift', source, ...requests(values) };
}

function parseFreshness(args: string[]): Command {
  const { values, positionals } = parse(args, {
    ...COMMON,
    ...MANY_REQUESTS,
    'max-age': { type: 'string', default: DEFAULT_MAX_AGE },
    marker: { type: 'string' },
  });
  if (values.help) return { name: 'help' };
  if (positionals.length > 0) throw new UsageError(`freshness takes no page; got ${JSON.stringify(positionals[0])}. Use --marker to read a sync marker object.`);
  const maxAgeMs = duration('--max-age', values['max-age']);
  if (values.marker === undefined) {
    return { name: 'lag', sampleSize: count('--limit', values.limit ?? String(DEFAULT_SAMPLE_SIZE), MAX_PAGES), maxAgeMs, ...requests(values) };
  }
  for (const option of ['limit', 'concurrency'] as const) {
    if (values[option] !== undefined) throw new UsageError(`--${option} is for the sitemap sample, which --marker does not use; give one or the other.`);
  }
  if (!values.marker.startsWith('/') || values.marker.startsWith('//')) {
    throw new UsageError(`--marker ${JSON.stringify(values.marker)} must be a path on the site, such as ${DEFAULT_MARKER_PATH}.`);
  }
  const service = parseService(values.service ?? DEFAULT_SERVICE);
  return {
    name: 'freshness',
    url: pageUrl(service, values.marker),
    maxAgeMs,
    timeoutMs: duration('--timeout', values.timeout),
    ...output(values),
  };
}

function requests(values: { service?: string; timeout: string; concurrency?: string; json: boolean; format?: string; push?: string }): Requests {
  return {
    service: parseService(values.service ?? DEFAULT_SERVICE),
    timeoutMs: duration('--timeout', values.timeout),
    concurrency: count('--concurrency', values.concurrency ?? String(DEFAULT_CONCURRENCY), MAX_CONCURRENCY),
    ...output(values),
  };
}

const FORMATS: readonly Format[] = ['text', 'json', 'prometheus'];

/** `--format` (and `--json`, the same as `--format json`), and `--push`. */
function output(values: { json: boolean; format?: string; push?: string }): Output {
  if (values.format !== undefined && !(FORMATS as readonly string[]).includes(values.format)) {
    throw new UsageError(`--format ${JSON.stringify(values.format)} is not a format: use text, json or prometheus.`);
  }
  if (values.json && values.format !== undefined && values.format !== 'json') throw new UsageError(`--json and --format ${values.format} ask for two formats; give one.`);
  const format: Format = values.json ? 'json' : ((values.format as Format | undefined) ?? 'text');
  return { format, push: values.push === undefined ? undefined : pushUrl(values.push) };
}

function pushUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--push ${JSON.stringify(text)} is not a URL: give the Pushgateway's address, such as http://pushgateway:9091.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--push ${JSON.stringify(text)} must be an http or https URL.`);
  if (url.search !== '' || url.hash !== '') throw new UsageError(`--push ${JSON.stringify(text)} must have no query or fragment: give the Pushgateway's address.`);
  return url;
}

/** A UsageError unless `file` can be opened for reading. */
function readable(option: string, file: string, what: string): void {
  try {
    closeSync(openSync(file, 'r'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`${option} ${JSON.stringify(file)} cannot be read (${code ?? (error as Error).message}): give ${what}.`);
  }
}

function pagesFile(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`--pages ${JSON.stringify(file)} cannot be read (${code ?? (error as Error).message}): give a text file with one path a line.`);
  }
  return parsePagesFile(text, file);
}

function count(option: string, text: string, max: number): number {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > max) throw new UsageError(`${option} ${JSON.stringify(text)} must be a whole number from 1 to ${max}.`);
  return n;
}

type OptionSpec = NonNullable<Parameters<typeof parseArgs>[0]>['options'];

function parse<T extends OptionSpec>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    // Node's own wording names neither the command's options nor, for a missing value, what to give.
    const code = (error as { code?: string }).code;
    const message = error instanceof Error ? error.message : '';
    // Node quotes the option as given ('-x', '--bogus') or as declared ('--marker <value>', '-h, --help').
    const option = /'(?:-\w, )?(--?[\w-]+)/.exec(message)?.[1];
    const specs: Record<string, { type: string }> = options ?? {};
    const allowed = Object.entries(specs)
      .filter(([name]) => name !== 'help')
      .map(([name, spec]) => (spec.type === 'string' ? `--${name} <value>` : `--${name}`))
      .join(', ');
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option) throw new UsageError(`unknown option ${option}: this command takes ${allowed}, --help.`);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option && message.includes('does not take an argument')) {
      throw new UsageError(`${option} takes no value: give it alone, as ${option}.`);
    }
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option) throw new UsageError(`${option} needs a value (${option} <value>); this command takes ${allowed}.`);
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

function duration(option: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new UsageError(`${option} ${JSON.stringify(text)} is not a duration: give a number and a unit (ms, s, m, h, d), such as 20s or 24h.`);
  return ms;
}
