/**
 * node:http plumbing shared by the emulators: listen on loopback (over TLS when given a
 * certificate), stop without waiting for keep-alive sockets, read bodies, and carry out the
 * transport faults (reset, hold, delay).
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { TLSSocket } from 'node:tls';

export interface RunningServer {
  server: http.Server | https.Server;
  /** `http://127.0.0.1:PORT`, or `https://…` over TLS (no trailing slash). */
  url: string;
  port: number;
  /** Closes the listener, destroys every open socket and releases held requests. */
  stop(): Promise<void>;
  /** Holds and delays tied to this server's lifetime. */
  holds: Holds;
}

export async function listen(
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => void,
  options: { host?: string; port?: number; tls?: { key: string; cert: string } } = {},
): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const sockets = new Set<Socket>();
  const holds = new Holds();
  const server = options.tls
    ? https.createServer({ key: options.tls.key, cert: options.tls.cert }, handler)
    : http.createServer(handler);
  // A client that gives up mid-handshake is no error of the emulator's.
  if (options.tls) server.on('tlsClientError', () => undefined);
  // Like a real front end: keep-alive, and no server-side request timeout to surprise a test.
  server.keepAliveTimeout = 5_000;
  server.requestTimeout = 0;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  let stopped: Promise<void> | undefined;
  return {
    server,
    url: `${options.tls ? 'https' : 'http'}://${host}:${port}`,
    port,
    holds,
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        holds.releaseAll();
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return stopped;
    },
  };
}

export async function readBody(
  req: http.IncomingMessage,
  limit = 10 * 1024 * 1024,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new Error(`request body over ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * Drops the connection unanswered: a TCP reset (the client sees ECONNRESET), or under TLS a
 * plain close, since a TLS socket has no TCP handle to reset.
 */
export function resetConnection(socket: Socket | null | undefined): void {
  if (!socket || socket.destroyed) return;
  if (!(socket instanceof TLSSocket) && typeof socket.resetAndDestroy === 'function') {
    socket.resetAndDestroy();
  } else socket.destroy();
}

/**
 * Timers and holds that must not outlive the emulator: `stop()` releases them all, so a held
 * request never keeps Jest alive.
 */
export class Holds {
  private readonly releases = new Set<() => void>();

  /** Resolves after `ms`, or early (with false) when the emulator stops. */
  delay(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const release = () => {
        clearTimeout(timer);
        this.releases.delete(release);
        resolve(false);
      };
      const timer = setTimeout(() => {
        this.releases.delete(release);
        resolve(true);
      }, ms);
      this.releases.add(release);
    });
  }

  /** Resolves when the client closes the connection (gave up) or the emulator stops. */
  untilClosed(socket: Socket | null | undefined): Promise<void> {
    return new Promise((resolve) => {
      if (!socket || socket.destroyed) return resolve();
      const release = () => {
        socket.off('close', release);
        this.releases.delete(release);
        resolve();
      };
      socket.once('close', release);
      this.releases.add(release);
    });
  }

  /** Number of requests currently held or delayed. */
  get size(): number {
    return this.releases.size;
  }

  releaseAll(): void {
    for (const release of [...this.releases]) release();
  }
}

export function statusText(status: number): string {
  return http.STATUS_CODES[status] ?? 'Unknown';
}
