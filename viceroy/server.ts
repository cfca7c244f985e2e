/**
 * Runs a wasm service in Viceroy on 127.0.0.1, as `fastly compute serve`
 * does (`viceroy serve -C <fastly.toml> --addr <addr> <wasm>`), and reads
 * what it prints: the address it listens on, and log endpoint lines
 * (`<endpoint> :: <line>`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { stringify } from 'smol-toml';

export interface LogLine {
  readonly endpoint: string;
  readonly line: string;
}

export interface ViceroyOptions {
  readonly viceroy: string;
  readonly wasm: string;
  /** A manifest file, or a parsed-TOML document, written to a temporary fastly.toml. */
  readonly manifest: string | Record<string, unknown>;
  /** Default 127.0.0.1:0: a free port, read back from Viceroy's own output. */
  readonly addr?: string;
  /** Working directory; Viceroy reads relative store files from here. Default: the current one. */
  readonly cwd?: string;
  /** Extra arguments, e.g. `--profile=guest,<dir>`. */
  readonly args?: readonly string[];
  /** Print Viceroy's output as it comes: log lines, guest output, warnings and errors (not its INFO lines). */
  readonly echo?: boolean;
  /**
   * Once Viceroy listens, read its output and drop it unparsed (`logs` and
   * `output` stay as they were then). For timing: the process reading the
   * lines is also the benchmark's client, and splitting and matching every
   * line there added to every answer it timed.
   */
  readonly dropOutputOnceListening?: boolean;
  /**
   * Run Viceroy without `-v`: it then prints no progress line per request,
   * nor where it listens, so the port is chosen here and Viceroy counts as
   * listening once it accepts a connection. For timing the leanest setup.
   */
  readonly quiet?: boolean;
  readonly startTimeoutMs?: number;
}

export interface ViceroyServer {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** Log endpoint lines, in the order Viceroy printed them. */
  readonly logs: LogLine[];
  /** Every other line Viceroy printed (its own diagnostics, guest stderr). */
  readonly output: string[];
  /** Resolves once `count` log lines have arrived; rejects after `timeoutMs`. */
  waitForLogs(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const LISTENING = /Listening on http:\/\/([\d.]+):(\d+)/;
/** Viceroy's own progress lines at `-v`: `2026-11-30T08:26:18.166Z  INFO …`. */
const VICEROY_INFO = /^\S+\s+INFO /;
/** A log endpoint line; endpoint names have no spaces, Viceroy's own lines start with a timestamp and level. */
const ENDPOINT_LINE = /^([A-Za-z0-9_.-]+) :: (.*)$/;

export async function startViceroy(options: ViceroyOptions): Promise<ViceroyServer> {
  const tempDir = typeof options.manifest === 'string' ? undefined : mkdtempSync(join(tmpdir(), 'govuk-failover-viceroy-'));
  const manifestPath = tempDir ? join(tempDir, 'fastly.toml') : resolve(options.manifest as string);
  if (tempDir) writeFileSync(manifestPath, stringify(options.manifest as Record<string, unknown>));

  const addr = options.addr ?? (options.quiet ? `127.0.0.1:${await freePort()}` : '127.0.0.1:0');
  const child = spawn(options.viceroy, ['serve', ...(options.quiet ? [] : ['-v']), '-C', manifestPath, '--addr', addr, ...(options.args ?? []), resolve(options.wasm)], {
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RUST_LOG_PRETTY: 'false' },
  });
  const logs: LogLine[] = [];
  const output: string[] = [];
  const logWaiters = new Set<() => void>();
  let listening: ((addr: { host: string; port: number }) => void) | undefined;
  const listeningAt = new Promise<{ host: string; port: number }>((r) => (listening = r));

  const onLine = (line: string) => {
    if (options.echo && !VICEROY_INFO.test(line)) process.stdout.write(`${line}\n`);
    const endpoint = ENDPOINT_LINE.exec(line);
    if (endpoint) {
      logs.push({ endpoint: endpoint[1]!, line: endpoint[2]! });
      for (const wake of logWaiters) wake();
      return;
    }
    output.push(line);
    const addr = LISTENING.exec(line);
    if (addr) listening?.({ host: addr[1]!, port: Number(addr[2]) });
  };
  const readers = [createInterface({ input: child.stdout! }), createInterface({ input: child.stderr! })];
  for (const reader of readers) reader.on('line', onLine);

  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  if (options.quiet) void acceptsConnections(addr, child, exited).then((at) => at && listening?.(at));
  const cleanup = () => {
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  };
  const timeoutMs = options.startTimeoutMs ?? 120_000;
  let timer: NodeJS.Timeout | undefined;
  const started = await Promise.race([
    listeningAt,
    exited.then((code) => new Error(`viceroy exited (code ${code}) before listening:\n${output.slice(-20).join('\n')}`)),
    new Promise<Error>((r) => (timer = setTimeout(() => r(new Error(`viceroy did not listen within ${timeoutMs} ms:\n${output.slice(-20).join('\n')}`)), timeoutMs))),
  ]);
  clearTimeout(timer);
  if (options.dropOutputOnceListening && !(started instanceof Error)) {
    for (const reader of readers) reader.close();
    child.stdout!.resume();
    child.stderr!.resume();
  }
  if (started instanceof Error) {
    await stop(child, exited);
    cleanup();
    throw started;
  }

  let closing: Promise<void> | undefined;
  return {
    url: `http://${started.host}:${started.port}`,
    port: started.port,
    pid: child.pid!,
    logs,
    output,
    waitForLogs: (count, waitMs = 5_000) =>
      new Promise<void>((resolveWait, reject) => {
        const check = () => {
          if (logs.length < count) return;
          logWaiters.delete(check);
          clearTimeout(deadline);
          resolveWait();
        };
        const deadline = setTimeout(() => {
          logWaiters.delete(check);
          reject(new Error(`expected ${count} log lines from viceroy within ${waitMs} ms, got ${logs.length}`));
        }, waitMs);
        logWaiters.add(check);
        check();
      }),
    close: () => (closing ??= stop(child, exited).then(cleanup)),
  };
}

/** A port nothing listens on now (the kernel's pick for port 0). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ready, fail) => server.once('error', fail).listen(0, '127.0.0.1', ready));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

/** Resolves with the address once a connection to it is accepted; undefined if the child exits first. */
async function acceptsConnections(addr: string, child: ChildProcess, exited: Promise<unknown>): Promise<{ host: string; port: number } | undefined> {
  const [host, port] = [addr.slice(0, addr.lastIndexOf(':')), Number(addr.slice(addr.lastIndexOf(':') + 1))];
  while (child.exitCode === null && child.signalCode === null) {
    const accepted = await new Promise<boolean>((answer) => {
      const socket = connect({ host, port });
      socket.once('connect', () => {
        socket.destroy();
        answer(true);
      });
      socket.once('error', () => answer(false));
    });
    if (accepted) return { host, port };
    // Not listening yet (it compiles the wasm first): ask again in a moment, or stop at once if it exits.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([new Promise<void>((next) => (timer = setTimeout(next, 25))), exited]);
    clearTimeout(timer);
  }
  return undefined;
}

async function stop(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(killer);
}
