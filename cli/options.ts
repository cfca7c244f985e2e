/** The command line, parsed into what each command needs; anything wrong is a UsageError. */
import { parseArgs } from 'node:util';
import { parseDuration } from './duration.ts';
import { DEFAULT_MARKER_PATH } from './sync-marker.ts';
import { DEFAULT_SERVICE, parseService, parseTarget, type Target } from './target.ts';
import { UsageError } from './usage.ts';

export const DEFAULT_TIMEOUT = '20s';
export const DEFAULT_MAX_AGE = '24h';

export type Command =
  | { readonly name: 'help' }
  | { readonly name: 'check'; readonly target: Target; readonly timeoutMs: number; readonly json: boolean }
  | { readonly name: 'freshness'; readonly url: URL; readonly maxAgeMs: number; readonly timeoutMs: number; readonly json: boolean };

const COMMON = {
  service: { type: 'string' },
  timeout: { type: 'string', default: DEFAULT_TIMEOUT },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export function parseCommand(argv: readonly string[]): Command {
  const [name, ...rest] = argv;
  if (name === undefined) throw new UsageError('no command given: use check or freshness.');
  if (name === '-h' || name === '--help' || name === 'help') return { name: 'help' };
  if (name === 'check') return parseCheck(rest);
  if (name === 'freshness') return parseFreshness(rest);
  throw new UsageError(`unknown command ${JSON.stringify(name)}: use check or freshness.`);
}

function parseCheck(args: string[]): Command {
  const { values, positionals } = parse(args, COMMON);
  if (values.help) return { name: 'help' };
  if (positionals.length !== 1) {
    throw new UsageError(`check needs exactly one page, as a path (/browse/benefits) or a URL (https://www.gov.uk/browse/benefits); got ${positionals.length}.`);
  }
  return {
    name: 'check',
    target: parseTarget(positionals[0] ?? '', values.service),
    timeoutMs: duration('--timeout', values.timeout),
    json: values.json,
  };
}

function parseFreshness(args: string[]): Command {
  const { values, positionals } = parse(args, {
    ...COMMON,
    'max-age': { type: 'string', default: DEFAULT_MAX_AGE },
    marker: { type: 'string', default: DEFAULT_MARKER_PATH },
  });
  if (values.help) return { name: 'help' };
  if (positionals.length > 0) throw new UsageError(`freshness takes no page; got ${JSON.stringify(positionals[0])}. Use --marker to read another object.`);
  if (!values.marker.startsWith('/') || values.marker.startsWith('//')) {
    throw new UsageError(`--marker ${JSON.stringify(values.marker)} must be a path on the site, such as ${DEFAULT_MARKER_PATH}.`);
  }
  const service = parseService(values.service ?? DEFAULT_SERVICE);
  return {
    name: 'freshness',
    url: new URL(values.marker, service),
    maxAgeMs: duration('--max-age', values['max-age']),
    timeoutMs: duration('--timeout', values.timeout),
    json: values.json,
  };
}

type OptionSpec = NonNullable<Parameters<typeof parseArgs>[0]>['options'];

function parse<T extends OptionSpec>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

function duration(option: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new UsageError(`${option} ${JSON.stringify(text)} is not a duration: give a number and a unit (ms, s, m, h, d), such as 20s or 24h.`);
  return ms;
}
