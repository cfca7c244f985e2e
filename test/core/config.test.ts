import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS, type ConfigKey, DEFAULT_CONFIG, parseConfig } from '../../src/core/config.ts';

const from = (values: Partial<Record<ConfigKey, string>>) => (key: ConfigKey) => values[key] ?? null;

describe('parseConfig', () => {
  it('gives every documented default when the store is empty', () => {
    expect(parseConfig(() => null)).toEqual({ config: DEFAULT_CONFIG, problems: [] });
    expect(DEFAULT_CONFIG).toMatchObject({
      hedgeAfterMs: 5000,
      backendOverride: 'enabled',
      logEndpoint: 'failover_log',
      mirrorTtl: 900,
      errorTtl: 1,
      defaultTtl: 3600,
      mirrorS3: { prefix: 'www.gov.uk', host: null },
      mirrorS3Replica: { prefix: 'www.gov.uk', host: null },
      mirrorGCS: { prefix: 'www.gov.uk', host: null },
      gcsBucket: null,
      outageThreshold: 3,
      outageWindowS: 10,
      outageMemoryS: 10,
    });
  });

  it('reads every key', () => {
    const { config, problems } = parseConfig(
      from({
        hedge_after_ms: '250',
        backend_override: 'TOKEN',
        log_endpoint: 'bq_failover',
        mirror_ttl: '60',
        error_ttl: '2',
        default_ttl: '120',
        stale_if_error: '600',
        mirror_s3_prefix: '/www.gov.uk/',
        mirror_s3_replica_prefix: 'copy/www.gov.uk',
        mirror_gcs_prefix: 'gcs',
        mirror_s3_host: 'bucket.s3.eu-west-2.amazonaws.com',
        mirror_s3_replica_host: 'replica.s3.eu-west-1.amazonaws.com',
        mirror_gcs_host: 'bucket.storage.googleapis.com',
        gcs_bucket: 'govuk-production-mirror',
        outage_threshold: '5',
        outage_window_s: '30',
        outage_memory_s: '0',
        mirror_miss_memory_s: '30',
        http_cache_api: 'absent',
        log_personal_data: 'true',
        mirror_names: 'path-first',
      }),
    );
    expect(problems).toEqual([]);
    expect(config).toEqual({
      hedgeAfterMs: 250,
      backendOverride: 'token',
      logEndpoint: 'bq_failover',
      mirrorTtl: 60,
      errorTtl: 2,
      defaultTtl: 120,
      staleIfError: 600,
      mirrorS3: { prefix: 'www.gov.uk', host: 'bucket.s3.eu-west-2.amazonaws.com' },
      mirrorS3Replica: { prefix: 'copy/www.gov.uk', host: 'replica.s3.eu-west-1.amazonaws.com' },
      mirrorGCS: { prefix: 'gcs', host: 'bucket.storage.googleapis.com' },
      gcsBucket: 'govuk-production-mirror',
      outageThreshold: 5,
      outageWindowS: 30,
      outageMemoryS: 0,
      mirrorMissMemoryS: 30,
      httpCacheApi: 'absent',
      logPersonalData: true,
      mirrorNames: 'path-first',
    });
  });

  it('documents every key it reads', () => {
    const read: string[] = [];
    parseConfig((key) => {
      read.push(key);
      return null;
    });
    expect(new Set(read)).toEqual(new Set(Object.keys(CONFIG_KEYS)));
  });

  it.each<[ConfigKey, string]>([
    ['hedge_after_ms', '-1'],
    ['hedge_after_ms', '5s'],
    ['hedge_after_ms', '999999'],
    ['backend_override', 'maybe'],
    ['mirror_ttl', '1.5'],
    ['error_ttl', ''],
    ['mirror_s3_prefix', '../etc'],
    ['mirror_gcs_prefix', 'a/../b'],
    ['mirror_s3_host', 'evil host'],
    ['mirror_s3_host', 'a/b'],
    ['gcs_bucket', 'UPPER'],
    ['log_endpoint', 'no spaces please'],
    ['outage_threshold', '0'],
    ['outage_threshold', '21'],
    ['outage_window_s', '0'],
    ['outage_window_s', '3601'],
    ['outage_memory_s', '-1'],
    ['outage_memory_s', '10s'],
    ['http_cache_api', 'no'],
    ['log_personal_data', 'yes'],
    ['mirror_names', 'as-is'],
  ])('falls back to the default and says why when %s is %j', (key, value) => {
    const { config, problems } = parseConfig(from({ [key]: value }));
    expect(config).toEqual(DEFAULT_CONFIG);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(key);
    expect(problems[0]).toContain('using the default');
  });

  it.each<[ConfigKey, string, string]>([
    ['outage_threshold', '0', 'outage_threshold: "0" is not a whole number of failures from 1 to 20; using the default'],
    ['outage_window_s', '0', 'outage_window_s: "0" is not a whole number of seconds from 1 to 3600; using the default'],
    ['outage_memory_s', 'off', 'outage_memory_s: "off" is not a whole number of seconds from 0 (off) to 3600; using the default'],
  ])('names what is allowed for %s', (key, value, problem) => {
    expect(parseConfig(from({ [key]: value })).problems).toEqual([problem]);
  });

  it('survives a store that throws', () => {
    const { config, problems } = parseConfig(() => {
      throw new Error('store gone');
    });
    expect(config).toEqual(DEFAULT_CONFIG);
    expect(problems.length).toBe(Object.keys(CONFIG_KEYS).length);
  });
});
