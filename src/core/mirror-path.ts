/**
 * Where a www.gov.uk page lives in the static mirror buckets.
 *
 * The crawler (alphagov/govuk-mirror) saves each page under
 * `<host>/<EscapedPath of the page URL>`, with `index` for a directory and an
 * extension for the answer's content type appended when the last segment lacks
 * one that type lists (see crawler-names.ts). Its output is uploaded to S3 and
 * GCS under a directory (the "prefix", `www.gov.uk` by default). This module
 * turns an incoming request URL into the names the page can be stored under,
 * most likely first (at most three), each as
 *
 *  - the object key (`www.gov.uk/browse/benefits.html`), and
 *  - the path to request from the bucket (`/www.gov.uk/browse/benefits.html`),
 *    which is the key percent-encoded once more, segment by segment, because
 *    S3 and the GCS XML API decode the request path once to find the key.
 *
 * Pure: no `fastly:*` or Node imports; only `URL` and `TextEncoder`. Never
 * throws, whatever it is given.
 *
 * How the crawler's key is modelled (Go's net/url `URL.EscapedPath()`):
 *  - Go keeps the raw path exactly as written (including lowercase hex such as
 *    `%c3%a9`, `%7E`, `%2F`, and raw `! ' ( ) * + , ; : @ $ & = [ ]`) whenever
 *    it contains only bytes Go considers valid in an encoded path.
 *  - Otherwise (the raw path has a space, non-ASCII, a control byte, or one of
 *    `" < > \ ^ \` { | }`) Go re-escapes the *decoded* path with its own
 *    rules: unreserved and `- _ . ~ $ & + , / : ; = @` stay, everything else
 *    becomes `%XX` (uppercase), so `!'()*[]` become `%21 %27 %28 %29 %2A %5B
 *    %5D`, `%7E` becomes `~`, `%41` becomes `A`, UTF-8 bytes become `%XX`.
 *    Deliberate deviation: Go would turn an encoded slash into a real `/` in
 *    this fallback; here an encoded slash always stays `%2F` inside its
 *    segment (a name, never a separator). That can only happen for a path
 *    holding both `%2F` and `|` or `^` (the only bytes outside Go's set that a
 *    WHATWG parser leaves raw), which the mirror won't hold anyway.
 *
 * Decisions for odd input:
 *  - The key is printable ASCII by construction: a path that decodes to
 *    control characters (`/%00`) or to invalid UTF-8 (`/%ff`) keeps them as
 *    percent-encoded text, exactly as Go's EscapedPath does (`%00`, `%ff`).
 *    Those results are `ok: true`: the crawler would have stored the same key.
 *    (A raw control byte in a path given to resolveMirrorPathFromRawPath,
 *    which Go's url.Parse would refuse, is percent-encoded the same way.)
 *  - Invalid percent-encoding (`/%zz`, a trailing `%`) makes Go's url.Parse
 *    fail, so the crawler can never have stored such a page: the result is
 *    `ok: false` (`invalid-percent-encoding`) with one name, still safe (the
 *    stray `%` written as `%25`); fetching it will simply miss.
 *  - A name whose key is longer than 1024 UTF-8 bytes (the S3 and GCS limit)
 *    cannot exist and is left out; when that leaves none, the result is
 *    `ok: false` (`key-too-long`) with the first name still returned unchanged.
 *  - The prefix is trusted config: leading, trailing and repeated slashes are
 *    dropped. An empty prefix puts keys at the bucket root (`index.html`,
 *    request path `/index.html`); a key never starts with `/`.
 *
 * Input: resolveMirrorPath/mirrorObjectKey/mirrorRequestPath take what the
 * edge sees (a full URL string, a `URL`, or a path string, which is parsed as
 * a path of www.gov.uk). resolveMirrorPathFromRawPath skips the URL parser.
 *
 * Safety, for raw path strings that never went through a WHATWG parser too:
 * query and fragment are cut, `\` is a separator, tab/LF/CR are dropped,
 * dot segments (`.`, `..` and their encoded spellings `%2e`, `.%2e`, `%2e.`,
 * `%2e%2e`, any case) are resolved as WHATWG does, never above the root, and
 * any `.`/`..` segment left after escaping is resolved the same way. So every
 * key is `<prefix>/…` and no segment of it is `.` or `..`; in the request
 * path every byte outside `A-Z a-z 0-9 - . _ ~` is percent-encoded, so the
 * bucket's single decoding gives back exactly the key.
 */

import { lastSegmentNames, MAX_OBJECT_NAMES } from './crawler-names.ts';

export const DEFAULT_MIRROR_PREFIX = 'www.gov.uk';

/** S3 and GCS both limit object names to 1024 bytes of UTF-8. */
export const MAX_OBJECT_KEY_BYTES = 1024;

export type MirrorPathProblem = 'invalid-percent-encoding' | 'key-too-long';

/** One name a page can be stored under. */
export interface MirrorObjectName {
  /** The object key in the bucket, e.g. `www.gov.uk/a%20b.html`. */
  readonly key: string;
  /** The path to request from the bucket, e.g. `/www.gov.uk/a%2520b.html`. */
  readonly requestPath: string;
}

export interface MirrorPathOk extends MirrorObjectName {
  readonly ok: true;
  /** Every name the crawler can have stored the page under, most likely first (1 to 3); `key` and `requestPath` are the first. */
  readonly names: readonly MirrorObjectName[];
}

export interface MirrorPathRejected {
  readonly ok: false;
  readonly problem: MirrorPathProblem;
  /** Human-readable reason, safe to log (no secrets, bounded length). */
  readonly detail: string;
  /** A safe key inside the prefix; the crawler cannot have stored it. */
  readonly key: string;
  /** The matching request path; fetching it will miss. */
  readonly requestPath: string;
  /** Just that name: asking for more could only miss more. */
  readonly names: readonly MirrorObjectName[];
}

export type MirrorPathResult = MirrorPathOk | MirrorPathRejected;

/**
 * Where the page for `requestUrl` can live in the mirror (its names, most
 * likely first), with `ok: false` when the crawler cannot have stored it. `requestUrl` is what the edge sees: a full
 * URL string or a `URL`. A string that is not an absolute URL (say `/a b?q`) is
 * parsed as a path of www.gov.uk, so a path string gives the same answer as the
 * full URL; a string no URL parser accepts is taken as a raw path.
 */
export function resolveMirrorPath(
  requestUrl: string | URL,
  prefix: string = DEFAULT_MIRROR_PREFIX,
  order: NameOrder = 'crawler',
): MirrorPathResult {
  return resolveRawPath(extractPath(requestUrl), prefix, order);
}

/**
 * `crawler`: a page's names as the crawler gives them, most likely first
 * (www.gov.uk, where a URL is a page). `path-first`: the path as it is first,
 * then the crawler's others (the assets domain, where every URL names a file
 * the crawler keeps under its own name: `/media/…/Photo.JPG`, `/media/…/data`).
 */
export type NameOrder = 'crawler' | 'path-first';

/**
 * The same for a raw path that has *not* been through a URL parser, taken
 * character for character as Go's url.Parse would take it (so `/a b` gives
 * `a%20b`, `/café` gives `caf%C3%A9`). Query and fragment are cut, `\` is a
 * separator, tab/LF/CR are dropped, and dot segments in every spelling are
 * resolved without climbing above the prefix.
 */
export function resolveMirrorPathFromRawPath(
  rawPath: string,
  prefix: string = DEFAULT_MIRROR_PREFIX,
): MirrorPathResult {
  return resolveRawPath(typeof rawPath === 'string' ? rawPath : '/', prefix);
}

function resolveRawPath(path: string, prefix: string, order: NameOrder = 'crawler'): MirrorPathResult {
  const prefixSegments = splitPrefix(prefix);
  const rawPath = cleanRawPath(path);
  const { segments, directory } = resolveDotSegments(rawPath);

  // Go judges the whole path as written, before any dot segment is resolved: a bad
  // escape anywhere makes url.Parse fail, and one byte it would not keep makes
  // EscapedPath re-escape every segment.
  let problem: MirrorPathProblem | undefined;
  let detail = '';
  const wholePath = fixStrayPercents(rawPath);
  if (wholePath !== rawPath) {
    problem = 'invalid-percent-encoding';
    detail = 'path has a "%" not followed by two hex digits';
  }
  const fixed = segments.map(fixStrayPercents);
  const escaped = goEscapedSegments(fixed, isGoValidEncoded(wholePath));
  const pathSegments = clampDotSegments(escaped);
  const last = directory || pathSegments.length === 0 ? undefined : pathSegments.pop();
  const lastNames = last === undefined ? ['index.html'] : order === 'path-first' ? pathFirst(last) : lastSegmentNames(last);
  const all = lastNames.map((last) => objectName([...prefixSegments, ...pathSegments, last]));
  const first = all[0]!;
  const names = all.filter((name) => utf8Length(name.key) <= MAX_OBJECT_KEY_BYTES);

  if (problem === undefined && names.length === 0) {
    problem = 'key-too-long';
    detail = `object key is ${utf8Length(first.key)} bytes, over the ${MAX_OBJECT_KEY_BYTES}-byte limit`;
  }
  if (problem !== undefined) return { ok: false, problem, detail, ...first, names: [first] };
  return { ok: true, ...names[0]!, names };
}

/** The segment as it is, then the crawler's other names for it, at most MAX_OBJECT_NAMES in all. */
function pathFirst(segment: string): string[] {
  return [segment, ...lastSegmentNames(segment).filter((name) => name !== segment)].slice(0, MAX_OBJECT_NAMES);
}

function objectName(keySegments: readonly string[]): MirrorObjectName {
  return { key: keySegments.join('/'), requestPath: `/${keySegments.map(encodeRequestSegment).join('/')}` };
}

/** The first object key for `requestUrl` (always inside `prefix`; see resolveMirrorPath for when it can't exist). */
export function mirrorObjectKey(requestUrl: string | URL, prefix: string = DEFAULT_MIRROR_PREFIX): string {
  return resolveMirrorPath(requestUrl, prefix).key;
}

/** The path to request first from the bucket for `requestUrl` (starts with `/<encoded prefix>/`). */
export function mirrorRequestPath(requestUrl: string | URL, prefix: string = DEFAULT_MIRROR_PREFIX): string {
  return resolveMirrorPath(requestUrl, prefix).requestPath;
}

/** The prefix as a bucket directory: no leading, trailing or repeated slashes; `''` for the bucket root. */
export function normalizeMirrorPrefix(prefix: string): string {
  return splitPrefix(prefix).join('/');
}

/**
 * Go's `URL.EscapedPath()` for a raw (already percent-encoded) path, or
 * `undefined` when Go's url.Parse would reject it (bad `%` escape). Works on
 * the whole path, so an encoded slash in the fallback case becomes `/`, as in
 * Go; resolveMirrorPath keeps it encoded instead (see the module comment).
 */
export function goEscapedPath(rawPath: string): string | undefined {
  if (fixStrayPercents(rawPath) !== rawPath) return undefined;
  if (isGoValidEncoded(rawPath)) return rawPath;
  return goEscapeBytes(percentDecodeToBytes(rawPath), false);
}

// ---------------------------------------------------------------------------

function splitPrefix(prefix: unknown): string[] {
  if (typeof prefix !== 'string') return splitPrefix(DEFAULT_MIRROR_PREFIX);
  return prefix.split('/').filter((s) => s !== '');
}

const PARSE_ORIGIN = 'https://www.gov.uk';

/**
 * The WHATWG-parsed pathname of the input (still percent-encoded). A string
 * starting with `/` or `\\` is a path (so `//a//b` is the path `//a//b`, not a
 * protocol-relative URL of host `a`).
 */
function extractPath(input: unknown): string {
  if (typeof input === 'string') {
    const isPath = input.startsWith('/') || input.startsWith('\\');
    try {
      return isPath ? new URL(`${PARSE_ORIGIN}${input}`).pathname : new URL(input, `${PARSE_ORIGIN}/`).pathname;
    } catch {
      return isPath ? input : `/${input}`;
    }
  }
  if (typeof input === 'object' && input !== null) {
    const pathname = (input as { pathname?: unknown }).pathname;
    if (typeof pathname === 'string') return pathname;
  }
  return '/';
}

/** Query and fragment cut, tab/LF/CR dropped, `\` made a separator. */
function cleanRawPath(path: string): string {
  const cut = path.search(/[?#]/);
  const noQuery = cut >= 0 ? path.slice(0, cut) : path;
  return noQuery.replace(/[\t\n\r]/g, '').replace(/\\/g, '/');
}

const SINGLE_DOT = /^(?:\.|%2e)$/i;
const DOUBLE_DOT = /^(?:\.|%2e)(?:\.|%2e)$/i;

/**
 * WHATWG-style dot-segment resolution that never climbs above the root, then
 * empty segments dropped (runs of `/` collapse). `directory` is true when the
 * path names a directory (ends in `/`, or in a dot segment).
 */
function resolveDotSegments(path: string): { segments: string[]; directory: boolean } {
  const parts = path.split('/');
  if (parts[0] === '') parts.shift();
  const out: string[] = [];
  let directory = parts.length === 0;
  parts.forEach((part, i) => {
    const isLast = i === parts.length - 1;
    if (DOUBLE_DOT.test(part)) {
      out.pop();
      if (isLast) directory = true;
    } else if (SINGLE_DOT.test(part)) {
      if (isLast) directory = true;
    } else {
      out.push(part);
      if (isLast) directory = part === '';
    }
  });
  return { segments: out.filter((s) => s !== ''), directory };
}

/** Any `.`/`..` left after escaping is resolved too, never above the root. */
function clampDotSegments(segments: string[]): string[] {
  const out: string[] = [];
  for (const s of segments) {
    if (s === '' || s === '.') continue;
    if (s === '..') out.pop();
    else out.push(s);
  }
  return out;
}

/** `%` not starting a valid `%XX` escape becomes `%25`. */
function fixStrayPercents(s: string): string {
  return s.replace(/%(?![0-9A-Fa-f]{2})/g, '%25');
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

function isAlnum(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/** Go net/url shouldEscape(c, encodePath). */
function goShouldEscapePath(c: number): boolean {
  if (isAlnum(c)) return false;
  switch (c) {
    case 0x2d: // -
    case 0x5f: // _
    case 0x2e: // .
    case 0x7e: // ~
    case 0x24: // $
    case 0x26: // &
    case 0x2b: // +
    case 0x2c: // ,
    case 0x2f: // /
    case 0x3a: // :
    case 0x3b: // ;
    case 0x3d: // =
    case 0x40: // @
      return false;
    default:
      return true;
  }
}

/** Go net/url validEncoded(s, encodePath), on UTF-16 code units (non-ASCII is never valid). */
function isGoValidEncoded(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ("!$&'()*+,;=:@[]%".includes(s[i] ?? '')) continue;
    if (c > 0x7f || goShouldEscapePath(c)) return false;
  }
  return true;
}

const encoder = new TextEncoder();

/** Percent-decode into bytes; raw characters are taken as UTF-8. Assumes no stray `%`. */
function percentDecodeToBytes(s: string): number[] {
  const bytes: number[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c === 0x25 && i + 2 < s.length && isHex(s.charCodeAt(i + 1)) && isHex(s.charCodeAt(i + 2))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 3;
    } else if (c < 0x80) {
      bytes.push(c);
      i += 1;
    } else {
      // One code point (a surrogate pair counts as one; a lone surrogate
      // encodes as U+FFFD, so this never throws).
      const cp = s.codePointAt(i) ?? c;
      const len = cp > 0xffff ? 2 : 1;
      for (const b of encoder.encode(s.slice(i, i + len))) bytes.push(b);
      i += len;
    }
  }
  return bytes;
}

const HEX = '0123456789ABCDEF';

function pct(b: number): string {
  return `%${HEX[b >> 4] ?? '0'}${HEX[b & 15] ?? '0'}`;
}

/** Go's escape(bytes, encodePath); with `slashInName`, `/` is escaped too. */
function goEscapeBytes(bytes: readonly number[], slashInName: boolean): string {
  let out = '';
  for (const b of bytes) {
    if (b < 0x80 && !goShouldEscapePath(b) && !(slashInName && b === 0x2f)) out += String.fromCharCode(b);
    else out += pct(b);
  }
  return out;
}

/**
 * The crawler's EscapedPath, segment by segment: raw segments when the whole
 * path as written is validly encoded in Go's sense (`validPath`), else each
 * segment decoded and re-escaped with Go's rules (an encoded slash staying `%2F`).
 */
function goEscapedSegments(segments: readonly string[], validPath: boolean): string[] {
  if (validPath) return [...segments];
  return segments.map((s) => goEscapeBytes(percentDecodeToBytes(s), true));
}

/** Every byte outside RFC 3986 unreserved is percent-encoded (so `%`→`%25`, `+`→`%2B`). */
function encodeRequestSegment(segment: string): string {
  let out = '';
  for (const b of encoder.encode(segment)) {
    if (isAlnum(b) || b === 0x2d || b === 0x2e || b === 0x5f || b === 0x7e) out += String.fromCharCode(b);
    else out += pct(b);
  }
  return out;
}

function utf8Length(s: string): number {
  return encoder.encode(s).length;
}
