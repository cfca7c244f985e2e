/**
 * Where the mirrors keep a service's pages, as `check` names them: the bucket
 * directory and the order of names the service asks for. The same two
 * settings as the service's `mirror_*_prefix` and `mirror_names`; the
 * defaults follow the service's host, since the crawler keeps each host's
 * copy in a directory of that name.
 */
import { MIRROR_PREFIX_ALLOWED, type MirrorNameOrder, parseMirrorNames, parseMirrorPrefix } from '../src/core/config.ts';
import { DEFAULT_MIRROR_PREFIX } from '../src/core/mirror-path.ts';
import { UsageError } from './usage.ts';

/** GOV.UK's assets domain: deployed from fastly.assets.toml, its files under their own names. */
export const ASSETS_HOST = 'assets.publishing.service.gov.uk';

export interface MirrorLayout {
  readonly prefix: string;
  readonly names: MirrorNameOrder;
}

/** The assets domain's layout for its own host; www.gov.uk's for any other (a local service included). */
export function defaultMirrorLayout(service: URL): MirrorLayout {
  return service.hostname === ASSETS_HOST ? { prefix: ASSETS_HOST, names: 'path-first' } : { prefix: DEFAULT_MIRROR_PREFIX, names: 'crawler' };
}

/** The layout from `--mirror-prefix` and `--mirror-names` where given, else the service's default. */
export function mirrorLayout(service: URL, prefixOption: string | undefined, namesOption: string | undefined): MirrorLayout {
  const fallback = defaultMirrorLayout(service);
  let prefix = fallback.prefix;
  if (prefixOption !== undefined) {
    const parsed = parseMirrorPrefix(prefixOption);
    if (parsed === undefined) throw new UsageError(`--mirror-prefix ${JSON.stringify(prefixOption)} is not a bucket directory: give ${MIRROR_PREFIX_ALLOWED}.`);
    prefix = parsed;
  }
  let names = fallback.names;
  if (namesOption !== undefined) {
    const parsed = parseMirrorNames(namesOption);
    if (parsed === undefined) throw new UsageError(`--mirror-names ${JSON.stringify(namesOption)} is not an order: use crawler (www.gov.uk) or path-first (the assets domain).`);
    names = parsed;
  }
  return { prefix, names };
}
