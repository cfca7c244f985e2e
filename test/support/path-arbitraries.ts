/**
 * Generators of page paths as links and clients write them: plain names,
 * spaces and reserved characters, percent-escapes valid and invalid (encoded
 * dots, slashes and control characters among them), unicode, dot segments in
 * every spelling, runs of slashes, very long segments, trailing dots and
 * extensions (`.html`, `.pdf`, `.csv`, `.tar.gz`, upper case, none).
 */
import fc from 'fast-check';

const PLAIN = 'abcxyzABCXYZ0123456789-_.~'.split('');
/** Characters that mean something, or must be escaped, somewhere between a link and a bucket. */
const SPECIAL = [' ', ';', '+', ',', '=', '@', '$', '&', ':', '!', "'", '(', ')', '*', '[', ']', '|', '^', '"', '<', '>', '{', '}', '`', '\\'];
const DOT_SEGMENTS = ['', '.', '..', '...', '%2e', '%2E', '.%2e', '%2e.', '%2E%2e', '%2e%2e%2e', '..%2f', '%2e%2e%2f'];
const INVALID_ESCAPES = ['%', '%z', '%zz', '%g0', '%2', '%%', '%x1', '%-1'];
/** Extensions a last segment may carry. */
export const EXTENSIONS = [
  '.html', '.htm', '.ehtml', '.shtml', '.HTML', '.pdf', '.PDF', '.csv', '.tar.gz', '.jpg', '.JPG', '.jpeg', '.png', '.xml',
  '.json', '.txt', '.docx', '.xlsx', '.odt', '.kml', '.xlt', '.dot', '.xsd', '.sch', '.woff2', '.gz', '.cy', '.', '..', '.%2e',
];

export interface PathOptions {
  /** Raw control characters (other than TAB, CR and LF, which no line protocol can carry) may appear. */
  readonly rawControls?: boolean;
  /** Raw TAB, CR and LF may appear too. */
  readonly rawLineBreaks?: boolean;
}

const hexByte = fc
  .tuple(fc.integer({ min: 0, max: 255 }), fc.boolean())
  .map(([byte, upper]) => {
    const hex = byte.toString(16).padStart(2, '0');
    return `%${upper ? hex.toUpperCase() : hex}`;
  });

/** Any code point from U+0080 up, astral ones included (never a lone surrogate). */
const unicodeChar = fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }).filter((c) => (c.codePointAt(0) ?? 0) >= 0x80);

function segmentChar(options: PathOptions): fc.Arbitrary<string> {
  const controls = [
    ...(options.rawControls ? ['\u0000', '\u0001', '\u001b', '\u001f', '\u007f'] : []),
    ...(options.rawLineBreaks ? ['\t', '\n', '\r'] : []),
  ];
  return fc.oneof(
    { weight: 40, arbitrary: fc.constantFrom(...PLAIN) },
    { weight: 15, arbitrary: fc.constantFrom(...SPECIAL) },
    { weight: 12, arbitrary: hexByte },
    // Rare, so that most paths are ones Go can parse: one in three or so has one.
    { weight: 1, arbitrary: fc.constantFrom(...INVALID_ESCAPES) },
    { weight: 8, arbitrary: unicodeChar },
    ...(controls.length > 0 ? [{ weight: 2, arbitrary: fc.constantFrom(...controls) }] : []),
  );
}

export function segment(options: PathOptions = {}): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 8, arbitrary: fc.array(segmentChar(options), { minLength: 1, maxLength: 10 }).map((cs) => cs.join('')) },
    { weight: 3, arbitrary: fc.constantFrom(...DOT_SEGMENTS) },
    // Long enough to take a key past the 1024-byte limit on its own.
    { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 200, max: 1100 }), fc.constantFrom('a', 'é', '%41', ' ')).map(([n, c]) => c.repeat(Math.ceil(n / c.length))) },
  );
}

/** A path as a link or a client writes it; always starts with `/`. */
export function pagePath(options: PathOptions = {}): fc.Arbitrary<string> {
  const last = fc.tuple(segment(options), fc.option(fc.constantFrom(...EXTENSIONS), { nil: '' })).map(([s, ext]) => s + ext);
  return fc
    .tuple(
      fc.array(segment(options), { maxLength: 5 }),
      last,
      fc.constantFrom('', '', '', '/', '//'),
      fc.constantFrom('', '', '', '?q=1', '?a=../../x&b=%2e%2e', '#top', '?q#/../y'),
    )
    .map(([dirs, name, trailing, suffix]) => `/${[...dirs, name].join('/')}${trailing}${suffix}`);
}
