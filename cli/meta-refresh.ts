/**
 * The target of an HTML page's `<meta http-equiv="refresh" content="0; url=…">`:
 * how the crawler saves a redirect (a small page under the old URL).
 */
import { Parser } from 'htmlparser2';

/** The refresh URL as written, or null when the page has none. */
export function metaRefreshTarget(html: string): string | null {
  let target: string | null = null;
  const parser = new Parser({
    onopentag(name, attributes) {
      if (target !== null || name !== 'meta') return;
      if ((attributes['http-equiv'] ?? '').trim().toLowerCase() !== 'refresh') return;
      const match = /^\s*\d*(?:\.\d*)?\s*[;,]?\s*(?:url\s*=\s*)?(['"]?)(.*?)\1\s*$/i.exec(attributes.content ?? '');
      if (match?.[2]) target = match[2];
    },
  });
  parser.end(html);
  return target;
}
