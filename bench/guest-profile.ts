/**
 * Where the service's time goes inside the wasm: Viceroy's guest profiler
 * (`viceroy serve --profile=guest,<dir>`) samples the guest's stack every
 * 50 µs and writes one Firefox-profiler file per request. The service is
 * built with js-compute's debug runtime (`fastly.debug.wasm`), which keeps
 * function names (the release runtime has none; the debug one is slower and
 * adds its own checks, so shares matter more than absolute figures), then
 * asked for a healthy origin's 2 KiB page a number of times, and the samples
 * of every request but the first two are summed: for each function, how
 * many samples had it on the stack (inclusive) or on top (self).
 *
 *   npm run bench -- --engine viceroy --profile [--skip-build]
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startStubBackend, type StubBackend } from '../stubs/index.ts';
import { startViceroy } from '../viceroy/server.ts';
import { timedGet } from './client.ts';
import { BACKENDS, BENCH_RUNTIME_CONFIG, type BackendName, type BackendSpec, manifestToml } from './manifest.ts';
import { pageBody } from './pages.ts';
import { renderMarkdown, type Table } from './table.ts';

const REPO = join(import.meta.dirname, '..');
const DEBUG_ENGINE = join(REPO, 'node_modules/@fastly/js-compute/fastly.debug.wasm');
const run = promisify(execFile);

/** Frames that only say "the interpreter is running something": every sample has them. */
const PLUMBING = /^(__wizer_resume|__main_void|main|js::Call|js::InternalCallOrConstruct|InternalCall|js::RunScript|js::Interpret|MaybeEnterInterpreterTrampoline|CallJSNative|JS_CallFunctionValue|JS::Call|js::RunJobs|js::InternalJobQueue::runJobs|PromiseReactionJob|AsyncFunctionResume|js::AsyncFunctionAwaitedFulfilled|js::CallSelfHostedFunction|core::EventLoop::run_event_loop|api::Engine::run_event_loop|fastly::runtime::handle_incoming|<wasm function)/;

/** What only the debug runtime does (it logs every host call and records where each promise was made). */
const DEBUG_ONLY = /^(log_hostcall|std::__2::|PromiseDebugInfo::|JS::CaptureCurrentStack|js::SavedStacks::)/;

export interface FunctionCost {
  readonly name: string;
  /** Share of all samples with the function on the stack. */
  readonly inclusive: number;
  readonly self: number;
  /** Microseconds per request (inclusive). */
  readonly usPerRequest: number;
}

export interface GuestProfile {
  readonly requests: number;
  readonly samplesPerRequest: number;
  readonly usPerRequest: number;
  /** Share of samples in the debug runtime's own logging and promise bookkeeping (absent from release builds). */
  readonly debugOnly: number;
  readonly top: readonly FunctionCost[];
}

export async function buildDebugWasm(entry: string, out: string): Promise<void> {
  await run('npx', ['js-compute-runtime', '--engine-wasm', DEBUG_ENGINE, '--enable-http-cache', entry, out], { cwd: REPO, timeout: 600_000 });
}

export async function profileService(options: { viceroy: string; wasm: string; requests: number; top?: number; progress?: (line: string) => void }): Promise<GuestProfile> {
  const say = options.progress ?? (() => undefined);
  const dir = await mkdtemp(join(tmpdir(), 'govuk-failover-profile-'));
  const stubs: StubBackend[] = [];
  try {
    const backends = {} as Record<BackendName, BackendSpec>;
    for (const name of BACKENDS) {
      const stub = await startStubBackend({ id: name, behaviour: { kind: 'echo', body: pageBody(undefined, 2048), headers: { 'Content-Type': 'text/html; charset=utf-8' } }, maxRecordedRequests: 0 });
      stubs.push(stub);
      backends[name] = { port: stub.port };
    }
    const manifest = join(dir, 'fastly.toml');
    // As the Viceroy benchmark runs a healthy origin: the outage memory on (its default), and told there is no HTTP cache API.
    await writeFile(manifest, manifestToml({ backends, config: { ...BENCH_RUNTIME_CONFIG } }));
    const profiles = join(dir, 'profiles');
    say(`profiling ${options.requests} requests (viceroy --profile=guest)`);
    const server = await startViceroy({ viceroy: options.viceroy, wasm: options.wasm, manifest, args: [`--profile=guest,${profiles}`], startTimeoutMs: 600_000 });
    try {
      for (let i = 0; i < options.requests; i++) {
        const t = await timedGet(server.url, `/profile/${i}`, 10_000);
        if (t.status !== 200) throw new Error(`request ${i}: ${t.error ?? `status ${t.status}`}`);
      }
    } finally {
      await server.close();
    }
    return summarise(await readProfiles(profiles), options.top ?? 25);
  } finally {
    await Promise.allSettled(stubs.map((s) => s.close()));
    await rm(dir, { recursive: true, force: true });
  }
}

interface ProcessedProfile {
  meta: { interval: number };
  threads: {
    stringArray: string[];
    frameTable: { func: number[] };
    funcTable: { name: number[] };
    stackTable: { frame: number[]; prefix: (number | null)[] };
    samples: { stack: (number | null)[] };
  }[];
}

async function readProfiles(dir: string): Promise<ProcessedProfile[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort((a, b) => Number(a.split('-')[1]!.split('.')[0]) - Number(b.split('-')[1]!.split('.')[0]));
  const out: ProcessedProfile[] = [];
  // The first two requests warm Viceroy's own caches up; a file cut short by the shutdown is left out.
  for (const file of files.slice(2)) {
    try {
      out.push(JSON.parse(await readFile(join(dir, file), 'utf8')) as ProcessedProfile);
    } catch {
      continue;
    }
  }
  if (out.length === 0) throw new Error(`no readable profiles in ${dir}`);
  return out;
}

function summarise(profiles: readonly ProcessedProfile[], top: number): GuestProfile {
  const inclusive = new Map<string, number>();
  const self = new Map<string, number>();
  let samples = 0;
  let debugOnly = 0;
  let intervalMs = 0.05;
  for (const profile of profiles) {
    intervalMs = profile.meta.interval;
    const t = profile.threads[0]!;
    const names = t.funcTable.name.map((n) => t.stringArray[n]!);
    for (let stack of t.samples.stack) {
      if (stack === null) continue;
      samples++;
      const seen = new Set<string>();
      let leaf = true;
      let debug = false;
      while (stack !== null && stack !== undefined) {
        const name = shortName(names[t.frameTable.func[t.stackTable.frame[stack]!]!]!);
        if (DEBUG_ONLY.test(name)) debug = true;
        if (leaf) self.set(name, (self.get(name) ?? 0) + 1);
        leaf = false;
        if (!seen.has(name)) inclusive.set(name, (inclusive.get(name) ?? 0) + 1);
        seen.add(name);
        stack = t.stackTable.prefix[stack]!;
      }
      if (debug) debugOnly++;
    }
  }
  const perRequest = samples / profiles.length;
  const costs = [...inclusive]
    .filter(([name]) => !PLUMBING.test(name) && !DEBUG_ONLY.test(name))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, n]) => ({ name, inclusive: n / samples, self: (self.get(name) ?? 0) / samples, usPerRequest: (n / profiles.length) * intervalMs * 1000 }));
  return { requests: profiles.length, samplesPerRequest: perRequest, usPerRequest: perRequest * intervalMs * 1000, debugOnly: debugOnly / samples, top: costs };
}

/** `js::RegExpShared::execute(JSContext*, …)` → `js::RegExpShared::execute`. */
function shortName(name: string): string {
  const paren = name.indexOf('(');
  return (paren > 0 ? name.slice(0, paren) : name).replace(/^(bool|void|JSObject\*) /, '').slice(0, 100);
}

export function profileTable(profile: GuestProfile): Table {
  return {
    head: ['function (js-compute debug runtime)', 'inclusive', 'self', 'µs per request'],
    rows: profile.top.map((c) => [`\`${c.name}\``, `${(c.inclusive * 100).toFixed(1)}%`, `${(c.self * 100).toFixed(1)}%`, c.usPerRequest.toFixed(0)]),
  };
}

export function profileMarkdown(profile: GuestProfile): string {
  return renderMarkdown(profileTable(profile));
}
