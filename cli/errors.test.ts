/** Usage errors (exit 2) and requests that get no answer: bad URL, unreachable service, TLS, timeout. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStubBackend, type StubBackend } from '../stubs/index.ts';
import { runCli, startWorld, type World } from './test-world.ts';

describe('usage errors: exit 2, the reason, then the usage', () => {
  it.each([
    [[], 'no command given: use check, drift or freshness.'],
    [['status'], 'unknown command "status": use check, drift or freshness.'],
    [['check'], 'check needs exactly one page, as a path (/browse/benefits) or a URL (https://www.gov.uk/browse/benefits); got 0.'],
    [['check', 'browse/benefits'], '"browse/benefits" is neither a path nor a URL: give a path starting with / (such as /browse/benefits)'],
    [['check', 'https://www.gov.uk:99999/x'], '"https://www.gov.uk:99999/x" is not a valid URL.'],
    [['check', 'ftp://www.gov.uk/x'], '"ftp://www.gov.uk/x" is not an http:// or https:// URL.'],
    [['check', '/x', '--service', 'www.gov.uk'], '--service "www.gov.uk" is not a URL. Give a base URL such as https://www.gov.uk'],
    [['check', '/x', '--service', 'https://www.gov.uk/browse'], '--service "https://www.gov.uk/browse" must be a base URL without a path or query, such as https://www.gov.uk.'],
    [['check', '/x', '--timeout', '20'], '--timeout "20" is not a duration: give a number and a unit (ms, s, m, h, d), such as 20s or 24h.'],
    [['check', '/x', '--verbose'], 'unknown option --verbose: this command takes --service <value>, --timeout <value>, --json, --format <value>, --push <value>, --mirror-prefix <value>, --mirror-names <value>, --help.'],
    [['freshness', '--marker'], '--marker needs a value (--marker <value>); this command takes --service <value>, --timeout <value>'],
    [['check', '/x', '--json=1'], '--json takes no value: give it alone, as --json.'],
    [['check', '/x', '--help=y'], '--help takes no value: give it alone, as --help.'],
    [['drift', '/x', '-x'], 'unknown option -x: this command takes --service <value>'],
    [['freshness', '--max-age', 'a day'], '--max-age "a day" is not a duration'],
    [['freshness', '/x'], 'freshness takes no page; got "/x". Use --marker to read a sync marker object.'],
    [['freshness', '--marker', 'sync.json'], '--marker "sync.json" must be a path on the site, such as /mirror-last-sync.json.'],
    [['freshness', '--marker', '/m.json', '--limit', '5'], '--limit is for the sitemap sample, which --marker does not use; give one or the other.'],
    [['freshness', '--marker', '/m.json', '--concurrency', '2'], '--concurrency is for the sitemap sample, which --marker does not use; give one or the other.'],
    [['freshness', '--limit', '0'], '--limit "0" must be a whole number from 1 to 100000.'],
    [['drift'], 'drift needs pages: --sitemap (the most recently changed pages), --pages FILE (one path a line), --pages-from-log FILE… (the most requested pages in CDN log lines), or paths such as /browse/benefits.'],
    [['drift', '--pages-from-log', 'a.json', '--sitemap'], 'drift takes pages from one place only; got --pages-from-log and --sitemap.'],
    [['drift', '--sitemap', '/x'], 'drift takes pages from one place only; got --sitemap and paths.'],
    [['drift', '/x', '--limit', '3'], '--limit applies to --sitemap and --pages-from-log only (the number of pages).'],
    [['drift', '--sitemap', '--limit', 'all'], '--limit "all" must be a whole number from 1 to 100000.'],
    [['drift', '/x', '--concurrency', '65'], '--concurrency "65" must be a whole number from 1 to 64.'],
    [['drift', '/x', '--format', 'yaml'], '--format "yaml" is not a format: use text, json or prometheus.'],
    [['check', '/x', '--mirror-prefix', '../secrets'], '--mirror-prefix "../secrets" is not a bucket directory: give a bucket directory such as www.gov.uk (letters, digits, . _ ~ - and /, no dot segments).'],
    [['check', '/x', '--mirror-names', 'assets'], '--mirror-names "assets" is not an order: use crawler (www.gov.uk) or path-first (the assets domain).'],
    [['check', '/x', '--json', '--format', 'prometheus'], '--json and --format prometheus ask for two formats; give one.'],
    [['freshness', '--push', 'pushgateway:9091'], '--push "pushgateway:9091" must be an http or https URL.'],
    [['freshness', '--push', 'not a url'], '--push "not a url" is not a URL'],
    [['drift', '/x', '--push', 'http://gw:9091/?x=1'], '--push "http://gw:9091/?x=1" must have no query or fragment: give the Pushgateway\'s address.'],
    [['drift', 'browse/benefits'], '"browse/benefits" is not a page: it is neither a path starting with / nor an http(s) URL.'],
    [['drift', '--pages', '/nonexistent/pages.txt'], '--pages "/nonexistent/pages.txt" cannot be read (ENOENT): give a text file with one path a line.'],
    [['drift', '/x', '--service', 'localhost:7676'], '--service "localhost:7676" must be an http:// or https:// URL.'],
  ])('%j', async (argv, message) => {
    const run = await runCli(argv);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`govuk-failover: ${message}`);
    expect(run.stderr).toContain('Usage:\n  govuk-failover check <path-or-url>');
  });

  it('--help prints the usage on stdout: exit 0', async () => {
    for (const argv of [['--help'], ['check', '--help'], ['freshness', '-h']]) {
      const run = await runCli(argv);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('Exit codes: 0 all well, 1 a problem was found (or a request failed), 2 usage error.');
    }
  });
});

describe('no answer: exit 1 with one clear error', () => {
  let refusing: StubBackend;
  let hanging: StubBackend;
  let world: World;
  beforeAll(async () => {
    refusing = await startStubBackend({ id: 'nothing-listening', behaviour: { kind: 'refuse' } });
    hanging = await startStubBackend({ id: 'stuck', behaviour: { kind: 'hang' } });
    world = await startWorld();
  });
  afterAll(async () => {
    await Promise.all([refusing?.close(), hanging?.close(), world?.close()]);
  });

  it('an unreachable service', async () => {
    const run = await runCli(['check', '/x', '--service', refusing.url]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(
      `govuk-failover: cannot connect to 127.0.0.1:${refusing.port} (ECONNREFUSED). Check the --service URL, that the service is running, and your network.\n`,
    );
  });

  it('a service that does not answer in time', async () => {
    const run = await runCli(['check', '/x', '--service', hanging.url, '--timeout', '300ms']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`govuk-failover: no answer from 127.0.0.1:${hanging.port} within 300 ms (--timeout).`);
  });

  it('a TLS failure (https:// to a plain-HTTP service)', async () => {
    const run = await runCli(['check', '/x', '--service', world.service.replace('http:', 'https:')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/govuk-failover: the TLS connection to 127\.0\.0\.1:\d+ failed \(ERR_SSL_\w+: .*\)\. Check the scheme/);
  });

  it('drift and freshness with an unreachable service: the same one line, exit 1', async () => {
    for (const argv of [['drift', '/x', '/y'], ['drift', '--sitemap'], ['freshness']]) {
      const run = await runCli([...argv, '--service', refusing.url]);
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toBe(`govuk-failover: cannot connect to 127.0.0.1:${refusing.port} (ECONNREFUSED). Check the --service URL, that the service is running, and your network.\n`);
    }
  });

  it('drift against a service that does not answer in time', async () => {
    const run = await runCli(['drift', '/x', '--service', hanging.url, '--timeout', '300ms']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`govuk-failover: no answer from 127.0.0.1:${hanging.port} within 300 ms (--timeout). The service or the backend behind it is slow or stuck: try again, or allow longer with --timeout.\n`);
  });

  it('freshness --marker with an unreachable service: every mirror unreadable, exit 1', async () => {
    const run = await runCli(['freshness', '--marker', '/mirror-last-sync.json', '--service', refusing.url]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('PROBLEM: sync marker unreadable on mirrorS3, mirrorS3Replica, mirrorGCS.');
    expect(run.stdout).toContain(`  - mirrorS3: no answer: cannot connect to 127.0.0.1:${refusing.port} (ECONNREFUSED).`);
  });
});
