/** The help text, and the error that means "the command line was wrong" (exit code 2). */

export const EXIT = { ok: 0, problem: 1, usage: 2 } as const;

export class UsageError extends Error {
  override name = 'UsageError';
}

export const USAGE = `Usage:
  govuk-failover check <path-or-url> [--service <base url>] [--timeout 20s] [--json]
  govuk-failover freshness [--service <base url>] [--max-age 24h] [--marker <path>] [--timeout 20s] [--json]

check      Requests the page through the edge service once without an override and
           once per backend (Backend-Override: origin, mirrorS3, mirrorS3Replica,
           mirrorGCS), all in parallel, and prints status, time to first byte,
           bytes, Age, Last-Modified, body digest (same as origin's or not) and
           the Fastly-Backend-Name / Fastly-Failover / Fastly-Restarts /
           Server-Timing headers of each.
           Exit 0 when the page is served and at least one mirror has it, else 1.

freshness  Reads the mirror sync marker from each mirror (through the override)
           and prints when each mirror was last synced.
           Exit 0 when every marker is younger than --max-age, else 1
           (also when a marker cannot be read).

Options:
  --service <url>   The edge service, e.g. https://www.gov.uk (the default), or
                    http://127.0.0.1:7676 for a local one. For check, a full URL
                    as <path-or-url> sets the service too, unless --service is given.
  --timeout <d>     Time limit for each request (default 20s). Units: ms, s, m, h, d.
  --max-age <d>     freshness: oldest acceptable sync (default 24h).
  --marker <path>   freshness: the marker's path on the site (default
                    /mirror-last-sync.json, object www.gov.uk/mirror-last-sync.json,
                    body {"synced_at": "<ISO 8601 time>"}; without it, the
                    object's Last-Modified is used).
  --json            Print the result as JSON on stdout.
  -h, --help        Show this help.

Environment:
  GOVUK_FAILOVER_OVERRIDE_TOKEN  Sent as Backend-Override-Token, for a service whose
                                 backend_override setting is "token".

Exit codes: 0 all well, 1 a problem was found (or a request failed), 2 usage error.
`;
