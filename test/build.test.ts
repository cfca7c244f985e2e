import { readFile, stat } from 'node:fs/promises';
import { describe, expect, inject, it } from 'vitest';

describe('the wasm build', () => {
  // The global setup runs `npm run build` once for the whole run (test/global-setup.ts).
  it('npm run build type-checks src/ and compiles bin/main.wasm with the real js-compute-runtime', async () => {
    const { startedAt, stderr } = inject('wasmBuild');
    expect(stderr).not.toMatch(/error/i);
    const info = await stat('bin/main.wasm');
    expect(info.mtimeMs).toBeGreaterThanOrEqual(startedAt - 1000);
    expect(info.size).toBeGreaterThan(1_000_000);
    const head = (await readFile('bin/main.wasm')).subarray(0, 4);
    expect([...head]).toEqual([0x00, 0x61, 0x73, 0x6d]);
  });

  it('is what fastly.toml builds', async () => {
    const manifest = await readFile('fastly.toml', 'utf8');
    expect(manifest).toMatch(/^build = "npm run build"$/m);
    const pkg = JSON.parse(await readFile('package.json', 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.build).toContain('js-compute-runtime --enable-http-cache src/index.ts bin/main.wasm');
  });
});

describe('fastly.toml', () => {
  it('lets a first `fastly compute deploy` create every backend, both stores and the log endpoint', async () => {
    const { parse } = await import('smol-toml');
    const doc = parse(await readFile('fastly.toml', 'utf8')) as {
      manifest_version: number;
      setup: { backends: Record<string, { address: string; port: number }>; config_stores: Record<string, unknown>; secret_stores: Record<string, { entries: Record<string, unknown> }>; log_endpoints: Record<string, { provider: string }> };
      local_server: { backends: Record<string, { url: string }> };
    };
    expect(doc.manifest_version).toBe(3);
    const backends = ['origin', 'mirrorS3', 'mirrorS3Replica', 'mirrorGCS'];
    expect(Object.keys(doc.setup.backends).sort()).toEqual([...backends].sort());
    for (const b of backends) expect(doc.setup.backends[b]!.port).toBe(443);
    expect(Object.keys(doc.setup.config_stores)).toEqual(['failover_config']);
    expect(Object.keys(doc.setup.secret_stores.failover_secrets!.entries).sort()).toEqual(['gcs_access_id', 'gcs_secret_key', 'override_token']);
    expect(Object.keys(doc.setup.log_endpoints)).toEqual(['failover_log']);
    for (const b of backends) expect(new URL(doc.local_server.backends[b]!.url).hostname).toBe('127.0.0.1');
  });
});

describe('fastly.assets.toml', () => {
  it('declares no store in [setup]: a store name is account-wide, and the CLI would link and write into the www service\'s', async () => {
    const { parse } = await import('smol-toml');
    const assets = parse(await readFile('fastly.assets.toml', 'utf8')) as { setup: Record<string, unknown>; local_server: { config_stores: Record<string, { contents: Record<string, string> }> } };
    expect(Object.keys(assets.setup).sort()).toEqual(['backends', 'log_endpoints']);

    // The production store is filled by the commands in docs/deploying.md: the same layout as the local run's.
    const docs = await readFile('docs/deploying.md', 'utf8');
    const entries = Object.fromEntries(
      [...docs.matchAll(/config-store-entry create --store-id "\$ASSETS_CONFIG" --key (\S+) --value (\S+)/g)].map((m) => [m[1]!, m[2]!]),
    );
    const local = assets.local_server.config_stores.failover_config!.contents;
    for (const key of ['mirror_s3_prefix', 'mirror_s3_replica_prefix', 'mirror_gcs_prefix', 'mirror_names']) expect(entries[key], key).toBe(local[key]);
    expect(docs).toMatch(/resource-link create [^\n]*\\\n\s+--resource-id "\$ASSETS_CONFIG" --name failover_config\n/);
  });
});
