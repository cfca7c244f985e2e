/**
 * The log line read as GOV.UK reads its CDN logs: the lines a scenario run
 * writes, on each engine, loaded into a real SQL engine (DuckDB) as a table
 * with the columns and types of GOV.UK's Athena table `govuk_www`
 * (alphagov/govuk-fastly `logs/main.tf`), and two of the queries GOV.UK runs
 * against it, as they are written there:
 *
 * - the saved query `http_5xx_count_by_path_today` (logs/saved_queries.tf);
 * - govuk-mirror's top URLs for its drift checker (internal/top_urls): a
 *   day's 1,000 most requested 2xx URLs, leaving out assets, the API and search.
 *
 * DuckDB has no partitions read from the S3 path, so the table is a view whose
 * `year`, `month` and `date` columns are taken from `request_received`, as
 * GOV.UK's files are laid out (`year=YYYY/month=MM/date=DD/`); the SQL itself
 * is unchanged.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { pagesFromLogs } from '../../cli/log-pages.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Engine, type EngineSpec, engines } from './engines.ts';
import { send } from './request.ts';
import { type ManifestDoc, type MirrorPages, startWorld, type World } from './world.ts';

/** The table's columns and types, in `govuk_www`'s order (its `protocol` is declared last). */
const GOVUK_WWW_COLUMNS: Record<string, string> = {
  client_ip: 'VARCHAR',
  request_received: 'TIMESTAMP',
  request_received_offset: 'VARCHAR',
  method: 'VARCHAR',
  url: 'VARCHAR',
  status: 'INTEGER',
  request_time: 'DOUBLE',
  time_to_generate_response: 'DOUBLE',
  bytes: 'BIGINT',
  content_type: 'VARCHAR',
  user_agent: 'VARCHAR',
  fastly_backend: 'VARCHAR',
  data_centre: 'VARCHAR',
  cache_hit: 'BOOLEAN',
  cache_response: 'VARCHAR',
  tls_client_protocol: 'VARCHAR',
  tls_client_cipher: 'VARCHAR',
  client_ja3: 'VARCHAR',
  protocol: 'VARCHAR',
};

/** alphagov/govuk-fastly logs/saved_queries.tf, `http_5xx_count_by_path_today`, as written there. */
const HTTP_5XX_COUNT_BY_PATH_TODAY = `
select
    url, status, count(1) as "count"
from
    govuk_www
where
        date >= day(NOW())
    and month >= month(NOW())
    and year >= year(NOW())
    and status between 499 and 600
group by
    url, status
order by
    "count" desc`;

/** alphagov/govuk-mirror internal/top_urls, the drift checker's query, as written there (its parameters: date, month, year). */
const TOP_URLS = `
SELECT
    url, count(1) as "count"
FROM
    govuk_www
WHERE
    date = ?
    AND month = ?
    AND year = ?
    AND url NOT LIKE '%/assets/%'
    AND url NOT LIKE '/api/%'
    AND url NOT LIKE '/search/%'
    AND status >= 200 AND status < 300
GROUP BY
    url
ORDER BY
    "count" DESC
LIMIT 1000`;

const PAGES: MirrorPages = { mirrorS3: ['/browse/benefits'], mirrorS3Replica: [], mirrorGCS: [] };

/** What the run asks, in order: [path, times]. Origin answers 503 for /broken/*, 200 otherwise; mirrors hold /browse/benefits only. */
const RUN: readonly (readonly [string, number])[] = [
  ['/browse/benefits', 3],
  ['/help/cookies', 2],
  ['/guidance/x?utm_source=a', 2],
  ['/guidance/x?utm_source=b', 2],
  ['/assets/static/app.css', 4],
  ['/api/content/x', 4],
  ['/search/all?keywords=tax', 4],
  ['/broken/one', 2],
  ['/broken/two', 1],
];

const withMemoriesOff = (doc: ManifestDoc) => {
  Object.assign(doc.local_server.config_stores.failover_config.contents, { outage_memory_s: '0', mirror_miss_memory_s: '0' });
};

/** Rows with BigInt counts made plain numbers. */
function plain(rows: Record<string, unknown>[]): Record<string, unknown>[] {
  return rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])));
}

describe.each(engines())("on $name: GOV.UK's queries over the log lines, in DuckDB", (spec: EngineSpec) => {
  let world: World;
  let engine: Engine;
  let dir: string;
  let lines: string[];

  beforeAll(async () => {
    world = await startWorld(PAGES);
    await world.set({
      origin: { kind: 'by-path', paths: { '/broken/one': { kind: 'status', status: 503 }, '/broken/two': { kind: 'status', status: 503 } }, otherwise: { kind: 'echo' } },
    });
    engine = await spec.start(world.manifest(withMemoriesOff));
    for (const [path, times] of RUN) for (let i = 0; i < times; i++) await send(engine.url, path);
    const count = RUN.reduce((n, [, times]) => n + times, 0);
    await engine.waitForLogs(count);
    lines = engine.logs.map((l) => l.line);
    dir = await mkdtemp(join(tmpdir(), 'govuk-failover-log-queries-'));
    await writeFile(join(dir, 'lines.json'), `${lines.join('\n')}\n`);
  }, 180_000);
  afterAll(async () => {
    await engine?.close();
    await world?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /**
   * When the lines were made, as the queries' "today": GOV.UK's 5xx query reads NOW(), and a run that crossed
   * midnight UTC between writing the lines and querying them would look for them a day late. So NOW() is read as the
   * first line's time (a timestamp literal in its place, nothing else of the query changed), and the drift checker
   * is given that day.
   */
  const linesDay = () => new Date(`${(JSON.parse(lines[0]!) as { request_received: string }).request_received.replace(' ', 'T')}Z`);
  const asOfLines = (sql: string) => sql.replaceAll('NOW()', `TIMESTAMP '${linesDay().toISOString().slice(0, 23).replace('T', ' ')}'`);

  async function query(sql: string, parameters: number[] = []): Promise<Record<string, unknown>[]> {
    const db = await DuckDBInstance.create(':memory:');
    const connection = await db.connect();
    try {
      // The partitions are UTC days, as Fastly writes them; so is NOW() here.
      await connection.run("SET TimeZone = 'UTC'");
      const columns = Object.entries(GOVUK_WWW_COLUMNS)
        .map(([name, type]) => `${name}: '${type}'`)
        .join(', ');
      await connection.run(
        `CREATE VIEW govuk_www AS SELECT *, year(request_received) AS year, month(request_received) AS month, day(request_received) AS date
         FROM read_json('${join(dir, 'lines.json')}', format = 'newline_delimited', columns = {${columns}}, timestampformat = '%Y-%m-%d %H:%M:%S.%g')`,
      );
      const reader = parameters.length === 0 ? await connection.runAndReadAll(sql) : await connection.runAndReadAll(sql, parameters);
      return plain(reader.getRowObjects() as Record<string, unknown>[]);
    } finally {
      connection.closeSync();
    }
  }

  it('every line reads with the table’s columns and types', async () => {
    const rows = await query('SELECT url, status, cache_hit, cache_response, fastly_backend, bytes, request_received, request_time FROM govuk_www');
    expect(rows).toHaveLength(lines.length);
    for (const row of rows) {
      expect(typeof row.status).toBe('number');
      expect(typeof row.cache_hit).toBe('boolean');
      expect(['HIT', 'MISS', 'PASS', 'ERROR']).toContain(row.cache_response);
      expect(row.request_received, 'request_received parsed as a timestamp').not.toBeNull();
      expect(typeof row.request_time).toBe('number');
    }
  });

  it('every value has the JSON type logging_s3 writes (read_json would cast a quoted "503" into the INTEGER column)', async () => {
    const rows = await query(
      `SELECT json_type(json, '$.status') AS status, json_type(json, '$.request_time') AS request_time,
              json_type(json, '$.time_to_generate_response') AS time_to_generate_response, json_type(json, '$.bytes') AS bytes,
              json_type(json, '$.cache_hit') AS cache_hit, json_type(json, '$.request_received') AS request_received,
              json_type(json, '$.client_ip') AS client_ip, json_type(json, '$.protocol') AS protocol
       FROM read_ndjson_objects('${join(dir, 'lines.json')}')`,
    );
    expect(rows).toHaveLength(lines.length);
    for (const row of rows) {
      expect(row).toEqual({
        status: 'UBIGINT',
        request_time: expect.stringMatching(/^(DOUBLE|UBIGINT)$/),
        time_to_generate_response: expect.stringMatching(/^(DOUBLE|UBIGINT)$/),
        bytes: expect.stringMatching(/^(UBIGINT|NULL)$/),
        cache_hit: 'BOOLEAN',
        request_received: 'VARCHAR',
        client_ip: 'NULL',
        protocol: 'NULL',
      });
    }
  });

  it('http_5xx_count_by_path_today finds the broken pages, by count', async () => {
    const rows = await query(asOfLines(HTTP_5XX_COUNT_BY_PATH_TODAY));
    expect(rows).toEqual([
      { url: '/broken/one', status: 503, count: 2 },
      { url: '/broken/two', status: 503, count: 1 },
    ]);
  });

  it("the drift checker's top URLs: the 2xx pages by count, no assets, API or search, no query strings (logged without them)", async () => {
    const day = linesDay();
    const rows = await query(TOP_URLS, [day.getUTCDate(), day.getUTCMonth() + 1, day.getUTCFullYear()]);
    expect(rows).toEqual([
      { url: '/guidance/x', count: 4 },
      { url: '/browse/benefits', count: 3 },
      { url: '/help/cookies', count: 2 },
    ]);
  });

  it('drift --pages-from-log picks the same pages from the same lines as the drift checker\'s query', async () => {
    const day = linesDay();
    const rows = await query(TOP_URLS, [day.getUTCDate(), day.getUTCMonth() + 1, day.getUTCFullYear()]);
    const picked = await pagesFromLogs([join(dir, 'lines.json')], 1000);
    expect(picked.paths).toEqual(rows.map((row) => row.url));
  });
});
