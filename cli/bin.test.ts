/** The launcher the package's `bin` names: a real `node cli/bin.js` process, its output and exit codes. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorld, type World } from './test-world.ts';

const BIN = fileURLToPath(new URL('./bin.js', import.meta.url));

function runBin(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 15_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

let world: World;
beforeAll(async () => {
  world = await startWorld({ files: { 'www.gov.uk/everywhere.html': '<h1>Page</h1>' } });
});
afterAll(async () => {
  await world?.close();
});

describe('node cli/bin.js', () => {
  it('exit 0 when the page is served and a mirror has it, JSON on stdout, progress on stderr', async () => {
    const run = await runBin(['check', '/everywhere', '--service', world.service, '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, mirrorsWithPage: ['mirrorS3', 'mirrorS3Replica', 'mirrorGCS'] });
    expect(run.stderr).toContain(`checking ${world.service}/everywhere: 5 requests\n`);
  });

  it('exit 1 when no mirror has the page', async () => {
    const run = await runBin(['check', `${world.service}/nowhere`]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('PROBLEM: served (200 from origin), and NO mirror has it.');
  });

  it('exit 2 on a usage error', async () => {
    const run = await runBin(['check']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('govuk-failover: check needs exactly one page');
  });
});
