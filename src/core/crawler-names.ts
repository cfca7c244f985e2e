/**
 * The names under which the mirror crawler (alphagov/govuk-mirror) can have
 * saved a page, as far as they depend on the page's last path segment.
 *
 * The crawler names each object from the content type of the answer it got:
 * Go's `mime.ExtensionsByType(type)` lists the extensions for that type (Go's
 * own table plus a few the crawler registers; `.shtml` left out); when the
 * last segment's extension (`filepath.Ext`, case-sensitive) is in the list the
 * name stays, otherwise the list's last entry is appended; when the list is
 * empty the name stays. A redirect is saved as a small HTML page, so under
 * the HTML name. The service does not know the content type, so it asks for
 * the likely names in turn, most likely first:
 *
 *  - a last segment ending in `.htm`, `.html` or `.ehtml`: that name only
 *    (HTML keeps it, and a saved redirect is HTML too);
 *  - one ending in a known document extension, in any case: the file's name
 *    for that extension's usual type (`report.pdf`, `Report.PDF.pdf`), then
 *    the HTML name (`report.pdf.html`: the saved redirect), then the name as
 *    it is (a type Go lists no extension for);
 *  - anything else: the HTML name (`benefits.html`, `foo.cy.html`) only.
 *
 * Pure, and never more than MAX_OBJECT_NAMES names.
 */

/** At most this many names are asked of one mirror for one request. */
export const MAX_OBJECT_NAMES = 3;

/**
 * The extensions Go lists for `text/html`, less `.shtml`, which the crawler drops:
 * a page whose last segment ends in one of these keeps its name. Case-sensitive.
 */
export const HTML_EXTENSIONS: ReadonlySet<string> = new Set(['ehtml', 'htm', 'html']);

/** What the crawler does with a file of a document extension's usual content type. */
interface FileNaming {
  /** Go lists this (lower-case) extension for the type, so `x.<ext>` keeps its name. */
  readonly listed: boolean;
  /** The extension appended to a name whose own is not listed (any other case), or null when Go lists none for the type. */
  readonly appended: string | null;
}

const listedWith = (appended: string): FileNaming => ({ listed: true, appended });
const unlistedWith = (appended: string): FileNaming => ({ listed: false, appended });
const NO_LIST: FileNaming = { listed: false, appended: null };

/**
 * The document extensions (lower case; the VCL's list), each with what Go 1.26's
 * table and the crawler's additions give for the type a server usually sends
 * (`application/pdf` for `.pdf`, `image/jpeg` for `.jpg`, `application/msword`
 * for `.dot`…). The Go differential test checks every entry against Go.
 */
const DOCUMENT_NAMING: ReadonlyMap<string, FileNaming> = new Map([
  ['atom', listedWith('atom')], ['chm', NO_LIST], ['css', listedWith('css')], ['csv', listedWith('csv')],
  ['diff', NO_LIST], ['doc', listedWith('doc')], ['docx', listedWith('docx')], ['dot', unlistedWith('doc')],
  ['dxf', NO_LIST], ['eps', listedWith('ps')], ['gif', listedWith('gif')], ['gml', NO_LIST],
  ['ico', listedWith('ico')], ['ics', listedWith('ics')], ['jpeg', listedWith('pjpeg')], ['jpg', listedWith('pjpeg')],
  ['js', listedWith('mjs')], ['json', listedWith('json')], ['kml', NO_LIST], ['odp', listedWith('odp')],
  ['ods', listedWith('ods')], ['odt', listedWith('odt')], ['pdf', listedWith('pdf')], ['png', listedWith('png')],
  ['ppt', listedWith('ppt')], ['pptx', listedWith('pptx')], ['ps', listedWith('ps')], ['rdf', listedWith('rdf')],
  ['rtf', listedWith('rtf')], ['sch', unlistedWith('xml')], ['svg', listedWith('svg')], ['txt', listedWith('txt')],
  ['wsdl', NO_LIST], ['xls', listedWith('xls')], ['xlsm', NO_LIST], ['xlsx', listedWith('xlsx')],
  ['xlt', unlistedWith('xls')], ['xml', listedWith('xml')], ['xsd', unlistedWith('xml')], ['xslt', NO_LIST],
  ['woff', listedWith('woff')], ['woff2', listedWith('woff2')], ['zip', listedWith('zip')],
]);

/** The document extensions the service knows, lower case (a last segment's is matched in any case). */
export const DOCUMENT_EXTENSIONS: ReadonlySet<string> = new Set(DOCUMENT_NAMING.keys());

/**
 * The names the crawler can have given a page whose last (escaped) path segment
 * is `segment`, most likely first, without repeats; 1 to MAX_OBJECT_NAMES of them.
 */
export function lastSegmentNames(segment: string): string[] {
  const extension = extensionOf(segment);
  if (HTML_EXTENSIONS.has(extension)) return [segment];
  const page = `${segment}.html`;
  const naming = DOCUMENT_NAMING.get(extension.toLowerCase());
  if (naming === undefined) return [page];
  const keepsName = naming.appended === null || (naming.listed && extension === extension.toLowerCase());
  const file = keepsName ? segment : `${segment}.${naming.appended}`;
  return [...new Set([file, page, segment])].slice(0, MAX_OBJECT_NAMES);
}

/** Go's `filepath.Ext` without its dot: what follows the segment's last `.`, or `''`. */
function extensionOf(segment: string): string {
  const dot = segment.lastIndexOf('.');
  return dot < 0 ? '' : segment.slice(dot + 1);
}
