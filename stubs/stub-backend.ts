/**
 * A real HTTP server on 127.0.0.1 that behaves like a healthy or broken
 * origin, or like a mirror bucket, and records what it receives.
 */
import { createServer, validateHeaderValue, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { stat } from 'node:fs/promises';
import { bucketRoots, DEFAULT_BEHAVIOUR, InvalidBehaviourError, validateBehaviour, type Behaviour } from './behaviour.ts';
import type { Exchange, Parked } from './exchange.ts';
import { ChoiceState, resolveBehaviour } from './random-choice.ts';
import { MAX_RECORDED_BODY_BYTES, Recorder, type RecordedRequest } from './recording.ts';
import { respond } from './respond.ts';

export const STUB_HOST = '127.0.0.1';

export interface StubBackendOptions {
  /** Names the backend in answers (`X-Stub-Backend`) and errors, e.g. `origin`, `mirrorS3`. */
  readonly id: string;
  /** 0 or absent: an ephemeral port. A fixed port when tests must match fastly.toml. */
  readonly port?: number;
  /** Default `{ kind: 'echo' }`. */
  readonly behaviour?: Behaviour;
  /** How many requests `requests` keeps (default 10 000; `hits` counts them all). */
  readonly maxRecordedRequests?: number;
}

export interface StubBackend {
  readonly id: string;
  /** Fixed for the backend's life, also across `refuse`. */
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly behaviour: Behaviour;
  /**
   * Switches behaviour. Exchanges still waiting on the stub (hang, stalled
   * body, pending delay) have their sockets destroyed. `refuse` closes the
   * listener and every connection; leaving `refuse` listens again on the same
   * port. Calls are applied in order. Rejects on an invalid behaviour, a
   * bucket root that is not a directory, a port taken meanwhile, or after close.
   */
  setBehaviour(b: Behaviour): Promise<void>;
  /** Requests since the start or the last `resetRecording`, oldest first (bounded, see `maxRecordedRequests`). */
  readonly requests: readonly RecordedRequest[];
  /** Requests received since the start or the last `resetRecording`. */
  readonly hits: number;
  /** Whether the port is being listened on (false while refusing and after close). */
  readonly listening: boolean;
  /** Open server-side connections. */
  readonly openConnections: number;
  resetRecording(): void;
  /** Resolves once `hits >= n`; rejects after `timeoutMs` or on close. */
  waitForRequests(n: number, timeoutMs: number): Promise<void>;
  /** Stops listening, destroys connections, clears timers. Idempotent. */
  close(): Promise<void>;
}

class StubBackendServer implements StubBackend {
  readonly id: string;
  readonly recorder: Recorder;
  private portNumber: number;
  private current: Behaviour;
  private choices = new ChoiceState();
  private readonly server: Server;
  /** Open connections, each with a promise of its 'close' (emitted once the handle is really closed). */
  private readonly sockets = new Map<Socket, Promise<void>>();
  private readonly parked = new Set<{ release(): void }>();
  private readonly work = new Set<Promise<void>>();
  private queue: Promise<void> = Promise.resolve();
  private closing: Promise<void> | undefined;

  constructor(options: StubBackendOptions, behaviour: Behaviour) {
    this.id = options.id;
    this.portNumber = options.port ?? 0;
    this.current = behaviour;
    this.recorder = new Recorder(options.id, options.maxRecordedRequests);
    // Headers up to 1 MiB: a stub stands for a lenient origin; the service and the runtime set the limits under test.
    this.server = createServer({ maxHeaderSize: 1024 * 1024 }, (req, res) => this.onRequest(req, res));
    this.server.on('connection', (socket: Socket) => {
      this.sockets.set(
        socket,
        new Promise<void>((resolve) =>
          socket.once('close', () => {
            this.sockets.delete(socket);
            resolve();
          }),
        ),
      );
    });
    // Errors after listening (rare) must not crash the test process.
    this.server.on('error', () => undefined);
  }

  get port(): number {
    return this.portNumber;
  }
  get url(): string {
    return `http://${STUB_HOST}:${this.portNumber}`;
  }
  get behaviour(): Behaviour {
    return this.current;
  }
  get requests(): readonly RecordedRequest[] {
    return this.recorder.requests;
  }
  get hits(): number {
    return this.recorder.hits;
  }
  get listening(): boolean {
    return this.server.listening;
  }
  get openConnections(): number {
    return this.sockets.size;
  }

  resetRecording(): void {
    this.recorder.reset();
  }

  waitForRequests(n: number, timeoutMs: number): Promise<void> {
    return this.recorder.wait(n, timeoutMs);
  }

  /** First listen (or, for an initial `refuse` on port 0, reserving a port). */
  async start(): Promise<void> {
    await this.listen(this.portNumber);
    if (this.current.kind === 'refuse') await this.stopListening();
  }

  setBehaviour(b: Behaviour): Promise<void> {
    const applied = this.queue.then(() => this.apply(b));
    this.queue = applied.catch(() => undefined);
    return applied;
  }

  private async apply(b: Behaviour): Promise<void> {
    if (this.closing) throw new Error(`stub backend ${this.id} is closed`);
    validateBehaviour(b);
    await checkRoots(b);
    if (this.closing) throw new Error(`stub backend ${this.id} is closed`);
    if (b.kind !== 'refuse' && !this.server.listening) await this.listen(this.portNumber);
    this.current = b;
    this.choices = new ChoiceState();
    this.releaseParked();
    if (b.kind === 'refuse') await this.stopListening();
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.recorder.close(new Error(`stub backend ${this.id} closed`));
    await this.queue; // bounded: a listen, a close or a stat
    this.releaseParked();
    await this.stopListening();
    await this.destroySockets(); // connections accepted while the listener was closing
    await Promise.allSettled([...this.work]);
  }

  private listen(port: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => {
        this.server.off('listening', onListening);
        reject(new Error(`stub backend ${this.id}: cannot listen on ${STUB_HOST}:${port}: ${err.message}`, { cause: err }));
      };
      const onListening = (): void => {
        this.server.off('error', onError);
        const address = this.server.address();
        if (address !== null && typeof address === 'object') this.portNumber = address.port;
        resolve();
      };
      this.server.once('error', onError);
      this.server.once('listening', onListening);
      this.server.listen({ port, host: STUB_HOST, exclusive: true });
    });
  }

  /** Closes the listener and every connection; resolves once their handles are gone. */
  private async stopListening(): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.releaseParked();
    await this.destroySockets();
    await closed;
    // net.Server emits 'close' before libuv has closed its handle; the handle
    // goes in the "close callbacks" phase, which has run once two check phases
    // (setImmediate) have passed.
    await new Promise<void>((resolve) => setImmediate(resolve));
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  private async destroySockets(): Promise<void> {
    const closes = [...this.sockets.values()];
    for (const s of this.sockets.keys()) s.destroy();
    await Promise.all(closes);
  }

  private releaseParked(): void {
    const all = [...this.parked];
    this.parked.clear();
    for (const p of all) p.release();
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    res.on('error', () => undefined);
    req.on('error', () => undefined);
    const behaviour = this.current;
    const { chosen, choice } = resolveBehaviour(behaviour, this.choices);
    const record: RecordedRequest = {
      seq: this.recorder.takeSeq(),
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      headers: req.headers,
      rawHeaders: req.rawHeaders,
      time: Date.now(),
      behaviour,
      chosen,
      choice,
      body: '',
      bodyBytes: 0,
    };
    const chunks: Buffer[] = [];
    let kept = 0;
    req.on('data', (chunk: Buffer) => {
      record.bodyBytes += chunk.length;
      if (kept < MAX_RECORDED_BODY_BYTES) {
        const part = chunk.subarray(0, MAX_RECORDED_BODY_BYTES - kept);
        chunks.push(part);
        kept += part.length;
      }
    });
    req.on('end', () => {
      record.body = Buffer.concat(chunks).toString('utf8');
      respond(this.exchange(req, res, record), chosen);
    });
    this.recorder.add(record);
  }

  private exchange(req: IncomingMessage, res: ServerResponse, record: RecordedRequest): Exchange {
    return {
      id: this.id,
      req,
      res,
      method: record.method,
      path: record.path,
      park: (cleanup?: () => void): Parked => {
        let done = false;
        const finish = (): void => {
          if (done) return;
          done = true;
          this.parked.delete(entry);
          res.off('close', finish);
          cleanup?.();
        };
        const entry = {
          release: (): void => {
            finish();
            req.socket.destroy();
          },
        };
        this.parked.add(entry);
        res.once('close', finish);
        return {
          unpark: (): void => {
            // Like finish, but without running cleanup (the caller is acting on it).
            if (done) return;
            done = true;
            this.parked.delete(entry);
            res.off('close', finish);
          },
        };
      },
      track: (work: Promise<void>): void => {
        this.work.add(work);
        void work.finally(() => this.work.delete(work));
      },
    };
  }
}

async function checkRoots(b: Behaviour): Promise<void> {
  for (const root of bucketRoots(b)) {
    const info = await stat(root).catch(() => undefined);
    if (info === undefined || !info.isDirectory()) throw new InvalidBehaviourError(`bucket root ${root} is not a directory`);
  }
}

/** Starts a stub backend listening on 127.0.0.1 (unless its behaviour is `refuse`). */
export async function startStubBackend(options: StubBackendOptions): Promise<StubBackend> {
  if (typeof options.id !== 'string' || options.id === '') throw new Error('startStubBackend: id must be a non-empty string');
  validateHeaderValue('X-Stub-Backend', options.id);
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`startStubBackend: bad port ${port}`);
  const max = options.maxRecordedRequests;
  if (max !== undefined && (!Number.isInteger(max) || max < 0)) throw new RangeError(`startStubBackend: bad maxRecordedRequests ${max}`);
  const behaviour = options.behaviour ?? DEFAULT_BEHAVIOUR;
  validateBehaviour(behaviour);
  await checkRoots(behaviour);
  const stub = new StubBackendServer(options, behaviour);
  await stub.start();
  return stub;
}
