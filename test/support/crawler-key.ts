/**
 * The crawler's object names, from Go itself: `tools/crawler-key` built for
 * WebAssembly (GOOS=wasip1 GOARCH=wasm) and run by `tools/crawler-key/run-wasi.mjs`
 * in Node's WASI host with no directories opened. So Go's mime package reads no
 * system MIME tables and knows exactly what it knows in the crawler's image: Go's
 * built-in table plus the types the crawler registers. Each run is a child
 * process, so nothing the WebAssembly does can touch the test's own process.
 */
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CRAWLER_KEY_DIR = fileURLToPath(new URL('../../tools/crawler-key/', import.meta.url));
const RUN_WASI = join(CRAWLER_KEY_DIR, 'run-wasi.mjs');

export type GoAvailability = { readonly available: true; readonly version: string } | { readonly available: false; readonly reason: string };

/** Whether a `go` command is on PATH. */
export function goAvailability(): GoAvailability {
  const result = spawnSync('go', ['version'], { encoding: 'utf8', timeout: 20_000 });
  if (result.error) return { available: false, reason: `no go command on PATH (${(result.error as NodeJS.ErrnoException).code ?? result.error.message})` };
  if (result.status !== 0) return { available: false, reason: `go version failed: ${result.stderr.trim()}` };
  return { available: true, version: result.stdout.trim() };
}

export interface CrawlerKeyQuery {
  /** The request target as sent (escaped; may carry a query). */
  readonly path: string;
  /** The answer's content type; text/html when left out, none when ''. */
  readonly contentType?: string;
}

export type CrawlerKeyAnswer = { readonly ok: true; readonly key: string } | { readonly ok: false; readonly error: string };

export interface CrawlerKeyOracle {
  /**
   * The crawler's key for each query, in order. Answers are remembered, and the
   * queries not asked before go to one run of the program, so asking about a big
   * batch first makes later questions about any of it free.
   */
  keys(queries: readonly CrawlerKeyQuery[]): CrawlerKeyAnswer[];
  /** Removes the build directory. */
  dispose(): void;
}

/** Builds the Go program once (GOTOOLCHAIN=local: never downloads a toolchain). Throws with Go's output when the build fails. */
export function buildCrawlerKey(): CrawlerKeyOracle {
  const dir = mkdtempSync(join(tmpdir(), 'crawler-key-'));
  const wasmPath = join(dir, 'crawler-key.wasm');
  const build = spawnSync('go', ['build', '-o', wasmPath, '.'], {
    cwd: CRAWLER_KEY_DIR,
    encoding: 'utf8',
    timeout: 240_000,
    env: { ...process.env, GOOS: 'wasip1', GOARCH: 'wasm', GOTOOLCHAIN: 'local', CGO_ENABLED: '0' },
  });
  if (build.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    const why = build.error ? build.error.message : build.stderr.trim();
    throw new Error(`Building tools/crawler-key for GOOS=wasip1 GOARCH=wasm failed (it needs Go 1.21 or later): ${why}`);
  }
  const known = new Map<string, CrawlerKeyAnswer>();
  return {
    keys(queries) {
      const lines = queries.map(toLine);
      const missing = [...new Set(lines.filter((line) => !known.has(line)))];
      if (missing.length > 0) runProgram(dir, wasmPath, missing).forEach((answer, i) => known.set(missing[i]!, answer));
      return lines.map((line) => known.get(line)!);
    },
    dispose() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * One run of the program over `lines`. Its stdin and stdout are files, not pipes:
 * WASI reads and writes a pipe without blocking, and Go gives up on EAGAIN.
 */
function runProgram(dir: string, wasmPath: string, lines: readonly string[]): CrawlerKeyAnswer[] {
  const inPath = join(dir, 'queries.txt');
  const outPath = join(dir, 'keys.txt');
  writeFileSync(inPath, lines.join(''));
  const stdin = openSync(inPath, 'r');
  const stdout = openSync(outPath, 'w');
  let run: SpawnSyncReturns<string>;
  try {
    run = spawnSync(process.execPath, ['--no-warnings', RUN_WASI, wasmPath], { stdio: [stdin, stdout, 'pipe'], encoding: 'utf8', timeout: 60_000 });
  } finally {
    closeSync(stdin);
    closeSync(stdout);
  }
  if (run.status !== 0) throw new Error(`crawler-key failed (${run.error?.message ?? `exit ${run.status}, signal ${run.signal}`}): ${run.stderr.trim()}`);
  const answers = readFileSync(outPath, 'utf8').split('\n');
  answers.pop();
  if (answers.length !== lines.length) throw new Error(`crawler-key answered ${answers.length} lines for ${lines.length} queries: ${run.stderr.trim()}`);
  return answers.map(parseLine);
}

function toLine(query: CrawlerKeyQuery): string {
  if (/[\t\r\n]/.test(query.path) || (query.contentType !== undefined && /[\t\r\n]/.test(query.contentType))) {
    throw new Error(`crawler-key takes one query a line: a path or content type cannot hold TAB, CR or LF (${JSON.stringify(query)})`);
  }
  return query.contentType === undefined ? `${query.path}\n` : `${query.path}\t${query.contentType}\n`;
}

function parseLine(line: string): CrawlerKeyAnswer {
  const tab = line.indexOf('\t');
  const status = line.slice(0, tab);
  const rest = line.slice(tab + 1);
  if (tab > 0 && status === 'ok') return { ok: true, key: rest };
  if (tab > 0 && status === 'error') return { ok: false, error: rest };
  throw new Error(`crawler-key printed a line it should not: ${JSON.stringify(line)}`);
}
