/** The help text, and the error that means "the command line was wrong" (exit code 2). */

export const EXIT = { ok: 0, problem: 1, usage: 2 } as const;

export class UsageError extends Error {
  override name = 'UsageError';
}

export const USAGE = `Usage:
  govuk-failover check <path-or-url> [--service <base url>] [--timeout 20s]
                       [--mirror-prefix <dir>] [--mirror-names crawler|path-first] [<output>]
  govuk-failover drift (--sitemap [--limit 200] | --pages <file> | --pages-from-log <file>... [--limit 1000]
                       | <path>...) [--service <base url>] [--concurrency 8] [--timeout 20s] [<output>]
  govuk-failover freshness [--service <base url>] [--max-age 24h] [--limit 50] [--concurrency 8]
                           [--timeout 20s] [<output>]
  govuk-failover freshness --marker <path> [--service <base url>] [--max-age 24h] [--timeout 20s] [<output>]
  <output>: [--json | --format text|json|prometheus] [--push <pushgateway url>]

check      Requests the page through the edge service once without an override and
           once per backend (Backend-Override: origin, mirrorS3, mirrorS3Replica,
           mirrorGCS), all in parallel, and prints status, time to first byte,
           bytes, Age, Last-Modified, body digest, whether the copy is the same
           as origin's (HTML by its visible text, anything else byte for byte)
           and the Fastly-Backend-Name / Fastly-Failover / Fastly-Restarts /
           Server-Timing headers of each.
           Exit 0 when the page is served and at least one mirror has it, else 1.

drift      Fetches each page from origin and from each mirror (Backend-Override)
           and says, per mirror and page: same, drifted (with the first words
           that differ), missing (403/404, or the service's 503 page) or error.
           HTML is compared by its visible text (scripts, styles, templates,
           comments and attributes ignored, white space collapsed); anything
           else byte for byte. Pages: --sitemap (the most recently changed pages
           in the service's /sitemap.xml, read from origin, sitemap indexes
           followed), --pages <file> (one path or URL a line, # comments),
           --pages-from-log <file>... (the most requested pages in CDN logs),
           or paths on the command line.
           Exit 0 when every mirror holds every page unchanged, else 1.

freshness  Without --marker: compares a sample of the sitemap's recently changed
           pages (spread over the last 2 x --max-age by lastmod) with each mirror,
           and reports each mirror's lag: the age of the oldest change it has not
           got yet. Exit 0 when every lag is within --max-age and every sampled
           page could be read, else 1.
           With --marker: reads that sync marker object from each mirror and
           prints when each mirror was last synced. Exit 0 when every marker is
           younger than --max-age, else 1 (also when a marker cannot be read).

Options:
  --service <url>     The edge service, e.g. https://www.gov.uk (the default), or
                      http://127.0.0.1:7676 for a local one. For check, a full URL
                      as <path-or-url> sets the service too, unless --service is given.
  --timeout <d>       Time limit for each request (default 20s). Units: ms, s, m, h, d.
  --mirror-prefix <dir>
                      check: the mirrors' bucket directory, as the service's
                      mirror_*_prefix (default: assets.publishing.service.gov.uk for that
                      host, else www.gov.uk). Only names the objects in the first line.
  --mirror-names <o>  check: crawler or path-first, as the service's mirror_names
                      (default: path-first for assets.publishing.service.gov.uk, else crawler).
  --sitemap           drift: take the pages from the sitemap, newest lastmod first.
  --limit <n>         drift --sitemap: how many pages (default 200); --pages-from-log:
                      how many (default 1000). freshness: the
                      sample size (default 50).
  --pages <file>      drift: the pages to compare, one path or URL a line.
  --pages-from-log <file>...
                      drift: the most requested 2xx pages in CDN log files (JSON lines
                      with url and status, gzipped or not), as GOV.UK's drift checker
                      picks them: no /assets/, /api/ or /search/, query strings dropped,
                      --limit of them (default 1000).
  --concurrency <n>   drift, freshness: requests at once (default 8, at most 64).
  --max-age <d>       freshness: the largest acceptable lag or marker age (default 24h).
  --marker <path>     freshness: read this sync marker instead of sampling pages, e.g.
                      /mirror-last-sync.json (object www.gov.uk/mirror-last-sync.json,
                      body {"synced_at": "<ISO 8601 time>"}; without it, the
                      object's Last-Modified is used).
  --format <f>        text (a table, the default), json, or prometheus (the text exposition
                      format: govuk_mirror_response_status_code for check,
                      govuk_failover_mirror_* per mirror for drift and freshness, and
                      govuk_failover_check_timestamp_seconds). No progress bar unless text.
  --json              The same as --format json.
  --push <url>        Also send the metrics to this Prometheus Pushgateway (job
                      govuk_failover, one group per check, replaced by each run).
                      Exit 1 when it does not take them.
  -h, --help          Show this help.

Environment:
  GOVUK_FAILOVER_OVERRIDE_TOKEN  Sent as Backend-Override-Token, for a service whose
                                 backend_override setting is "token".

Exit codes: 0 all well, 1 a problem was found (or a request failed), 2 usage error.
`;
