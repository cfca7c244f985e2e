/**
 * Which URL to request: the edge service's base URL plus the page's path,
 * from `<path-or-url>` and `--service`.
 */
import { UsageError } from './usage.ts';

export const DEFAULT_SERVICE = 'https://www.gov.uk';

/** The service's base URL (scheme, host, port), or a UsageError naming what was wrong. */
export function parseService(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--service ${JSON.stringify(text)} is not a URL. Give a base URL such as https://www.gov.uk or http://127.0.0.1:7676.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--service ${JSON.stringify(text)} must be an http:// or https:// URL.`);
  }
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '') {
    throw new UsageError(`--service ${JSON.stringify(text)} must be a base URL without a path or query, such as ${url.origin}.`);
  }
  return new URL(url.origin);
}

/**
 * The URL of `path` on the service, and never on another host. Resolving a
 * path against the service (`new URL(path, service)`) would let the path name
 * its own host: `//evil.example/x`, `/\\evil.example/x` and `/\t/evil.example`
 * are all "network-path references" to a URL parser. Paths come from sitemaps
 * and CDN log lines (what any client asked), and requests carry the override
 * token, so the path is appended to the service's origin instead: `//x` is the
 * page `//x` of the service. A path without its leading `/` gets one.
 */
export function pageUrl(service: URL, path: string): URL {
  const url = new URL(`${service.origin}${path.startsWith('/') ? '' : '/'}${path}`);
  if (url.origin !== service.origin) throw new Error(`internal error: ${JSON.stringify(path)} left the service ${service.origin}`);
  return url;
}

export interface Target {
  /** The edge service, e.g. https://www.gov.uk */
  readonly service: URL;
  /** Path and query as given, e.g. /browse/benefits */
  readonly path: string;
  /** The URL every request goes to. */
  readonly url: URL;
}

/**
 * `/browse/benefits` is a path on `--service` (default www.gov.uk);
 * `https://host/browse/benefits` is a full URL, whose origin is the service
 * unless `--service` is given.
 */
export function parseTarget(pathOrUrl: string, service: string | undefined): Target {
  let path: string;
  let base: URL | undefined = service === undefined ? undefined : parseService(service);
  if (pathOrUrl.startsWith('/')) {
    if (pathOrUrl.startsWith('//')) {
      throw new UsageError(`${JSON.stringify(pathOrUrl)} starts with "//"; give a path such as /browse/benefits or a full URL such as https://www.gov.uk/browse/benefits.`);
    }
    path = pathOrUrl;
  } else if (/^[a-z][a-z0-9+.-]*:/i.test(pathOrUrl)) {
    let url: URL;
    try {
      url = new URL(pathOrUrl);
    } catch {
      throw new UsageError(`${JSON.stringify(pathOrUrl)} is not a valid URL.`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new UsageError(`${JSON.stringify(pathOrUrl)} is not an http:// or https:// URL.`);
    }
    path = `${url.pathname}${url.search}`;
    base ??= new URL(url.origin);
  } else {
    throw new UsageError(
      `${JSON.stringify(pathOrUrl)} is neither a path nor a URL: give a path starting with / (such as /${pathOrUrl.replace(/^\/*/, '')}) or a full URL such as https://www.gov.uk/browse/benefits.`,
    );
  }
  base ??= new URL(DEFAULT_SERVICE);
  let url: URL;
  try {
    url = pageUrl(base, path);
  } catch {
    throw new UsageError(`${JSON.stringify(pathOrUrl)} does not make a valid URL on ${base.origin}.`);
  }
  return { service: base, path, url };
}
