import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { FIXTURE_MANIFEST, FIXTURE_SERVICE } from './test-helpers.ts';

const ROOT = join(import.meta.dirname, '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const CLI = join(ROOT, 'local-runtime', 'cli.ts');

function run(args: string[]) {
  const child = spawn(TSX, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const listening = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => {
      const m = /Listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
      if (m) resolve(m[1]!);
    });
    void exited.then(() => reject(new Error(`exited before listening: ${stderr}`)));
  });
  listening.catch(() => undefined);
  return { child, exited, listening, out: () => stdout, err: () => stderr };
}

describe('cli', () => {
  it('exits 2 on usage errors', async () => {
    const p = run(['--addr', '0.0.0.0:80']);
    expect(await p.exited).toBe(2);
    expect(p.err()).toMatch(/--addr must be 127.0.0.1:<port>/);
  });

  it('exits 1 on manifest problems, naming the file', async () => {
    const p = run(['-C', '/nonexistent/fastly.toml', '--entry', FIXTURE_SERVICE]);
    expect(await p.exited).toBe(1);
    expect(p.err()).toMatch(/error reading '\/nonexistent\/fastly.toml': no such file/);
  });

  it('serves the manifest it is given and stops cleanly on SIGTERM', async () => {
    const p = run(['-C', FIXTURE_MANIFEST, '--addr', '127.0.0.1:0', '--entry', FIXTURE_SERVICE, '--no-http-cache']);
    const url = await p.listening;
    const r = await fetch(`${url}/config/settings/greeting`, { headers: { connection: 'close' } });
    expect(await r.json()).toEqual({ value: 'hello' });
    const h = await fetch(`${url}/health/origin`, { headers: { connection: 'close' } });
    expect((await h.json()).health).toBe('healthy');
    expect(p.out()).toMatch(/HTTP cache: off/);
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
  });
});
