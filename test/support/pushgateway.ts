/**
 * A real Prometheus Pushgateway (the pinned Debian binary) on 127.0.0.1, for
 * tests of `--push`: started on a free port, waited for on `/-/ready`, stopped
 * by `close`. It keeps what is pushed in memory only (Debian's build would
 * otherwise persist to /var/lib/prometheus).
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';

export interface RunningPushgateway {
  readonly url: string;
  /** Its `/metrics`: every group pushed, as the text exposition format. */
  metrics(): Promise<string>;
  close(): Promise<void>;
}

const READY_WITHIN_MS = 15_000;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const { port } = server.address() as { port: number };
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

/** Tries a few free ports: another process may take the one found before the Pushgateway binds it. */
const START_ATTEMPTS = 3;

export async function startPushgateway(binary: string): Promise<RunningPushgateway> {
  let last: unknown;
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    try {
      return await startOnce(binary, await freePort());
    } catch (error) {
      last = error;
    }
  }
  throw last;
}

async function startOnce(binary: string, port: number): Promise<RunningPushgateway> {
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(binary, [`--web.listen-address=127.0.0.1:${port}`, '--persistence.file=', '--log.level=warn'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  let spawnError: Error | undefined;
  child.stderr.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-2000)));
  // A binary that cannot be started emits 'error' and never 'exit'.
  const exited = new Promise<void>((done) => {
    child.once('exit', () => done());
    child.once('error', (error) => {
      spawnError = error;
      done();
    });
  });
  // If the test process ends first, the Pushgateway goes with it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const close = async () => {
    process.off('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null && spawnError === undefined) child.kill('SIGTERM');
    await exited;
  };
  const deadline = Date.now() + READY_WITHIN_MS;
  for (;;) {
    if (spawnError !== undefined) {
      await close();
      throw new Error(`the Pushgateway ${binary} could not be started: ${spawnError.message}`);
    }
    if (child.exitCode !== null) {
      await close();
      throw new Error(`the Pushgateway exited (${child.exitCode}) before it was ready: ${output}`);
    }
    const ready = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false);
    if (ready) break;
    if (Date.now() > deadline) {
      await close();
      throw new Error(`the Pushgateway on ${url} was not ready within ${READY_WITHIN_MS} ms: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url,
    metrics: async () => (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) })).text(),
    close,
  };
}
