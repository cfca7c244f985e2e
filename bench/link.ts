/**
 * A network link with a round-trip time, in user space: a TCP relay on
 * 127.0.0.1 in front of a stub backend that delays what crosses it as a path
 * with that RTT would. Used because this machine can make network namespaces
 * and veth pairs but its kernel has no netem (`tc qdisc … netem` answers
 * "Specified qdisc kind is unknown"), so the delay cannot be put in the
 * kernel's path.
 *
 * Timing, for a round-trip time R:
 * - a new connection costs one round trip before the request can leave (the
 *   TCP handshake): the first bytes from the client reach the server 1.5 R
 *   after the connection was opened, later bytes R/2 after they were sent;
 * - bytes from the server reach the client R/2 after they were sent;
 * - a refused connection (nothing listens behind the link) is reset one
 *   round trip after it was opened, as a SYN answered by a RST is;
 * - the end of a stream, and a reset, travel R/2 like data.
 * Order is kept in each direction. The client's own connect completes at once
 * (the kernel accepts it), so the handshake's cost shows where it matters: in
 * the time to the answer.
 */
import net, { type Server, type Socket } from 'node:net';

export interface Link {
  /** The port clients connect to. */
  readonly port: number;
  readonly url: string;
  readonly rttMs: number;
  /** Connections opened through the link, and those refused behind it. */
  readonly stats: { opened: number; refused: number };
  close(): Promise<void>;
}

const HOST = '127.0.0.1';

/** A one-way pipe that delivers each event no sooner than `at`, and in order. */
class DelayedPipe {
  private readonly queue: { at: number; run: () => void }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private last = 0;

  push(at: number, run: () => void): void {
    const when = Math.max(at, this.last);
    this.last = when;
    this.queue.push({ at: when, run });
    if (!this.timer) this.arm();
  }

  clear(): void {
    this.queue.length = 0;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    const head = this.queue[0];
    if (!head) {
      this.timer = undefined;
      return;
    }
    this.timer = setTimeout(() => {
      const now = performance.now();
      while (this.queue.length > 0 && this.queue[0]!.at <= now + 0.5) this.queue.shift()!.run();
      this.arm();
    }, Math.max(0, head.at - performance.now()));
  }
}

export async function startLink(targetPort: number, rttMs: number): Promise<Link> {
  if (!Number.isFinite(rttMs) || rttMs < 0 || rttMs > 10_000) throw new RangeError(`bad round-trip time ${rttMs} ms`);
  const half = rttMs / 2;
  const sockets = new Set<Socket>();
  const stats = { opened: 0, refused: 0 };

  const server: Server = net.createServer({ noDelay: true }, (client) => {
    const openedAt = performance.now();
    stats.opened++;
    const upstream = net.connect({ host: HOST, port: targetPort, noDelay: true });
    sockets.add(client);
    sockets.add(upstream);
    const toServer = new DelayedPipe();
    const toClient = new DelayedPipe();
    let firstByte = true;
    let refused = false;
    const closeBoth = () => {
      toServer.clear();
      toClient.clear();
      client.destroy();
      upstream.destroy();
    };
    client.once('close', () => sockets.delete(client));
    upstream.once('close', () => sockets.delete(upstream));

    client.on('data', (chunk) => {
      // The first bytes wait for the handshake's round trip as well.
      const at = firstByte ? openedAt + rttMs + half : performance.now() + half;
      firstByte = false;
      toServer.push(at, () => upstream.write(chunk));
    });
    client.on('end', () => toServer.push(performance.now() + half, () => upstream.end()));
    client.on('error', () => toServer.push(performance.now() + half, () => upstream.destroy()));

    upstream.on('data', (chunk) => toClient.push(performance.now() + half, () => client.write(chunk)));
    upstream.on('end', () => toClient.push(performance.now() + half, () => client.end()));
    upstream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED') {
        refused = true;
        stats.refused++;
        // The SYN went out and the RST came back: one round trip after the connection was opened.
        toServer.clear();
        toClient.push(openedAt + rttMs, () => client.resetAndDestroy());
        return;
      }
      toClient.push(performance.now() + half, () => client.resetAndDestroy());
    });
    upstream.on('close', () => {
      if (refused || client.destroyed) return;
      toClient.push(performance.now() + half, () => client.end());
    });
    client.on('close', () => {
      if (!upstream.destroyed) toServer.push(performance.now() + half, closeBoth);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  let closing: Promise<void> | undefined;
  return {
    port,
    url: `http://${HOST}:${port}`,
    rttMs,
    stats,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      })),
  };
}
