/**
 * A small webhook receiver for tests: plain `node:http` on 127.0.0.1 (port 0), recording every
 * request it gets. By default it answers like a correct endpoint of either provider: Graph's
 * validation request (`?validationToken=…`) with 200 and the decoded token as `text/plain`,
 * anything else with `defaultStatus` (200). `respond` overrides the answer per request (return a
 * promise that never settles to leave the provider without an answer).
 */
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ReceivedRequest {
  method: string;
  /** Pathname. */
  path: string;
  query: URLSearchParams;
  /** The request target as received (path and raw query string). */
  url: string;
  /** Lower-case header names. */
  headers: Record<string, string>;
  body: string;
  at: number;
}

export interface ReceiverAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface WebhookReceiver {
  /** `http://127.0.0.1:PORT` (no trailing slash). */
  readonly url: string;
  readonly received: ReceivedRequest[];
  /** How the next requests are answered (settable at any time). */
  respond: (request: ReceivedRequest) => ReceiverAnswer | Promise<ReceiverAnswer>;
  /** Resolves once `count` requests (matching `filter`, if given) arrived. */
  waitFor(
    count: number,
    options?: { filter?: (request: ReceivedRequest) => boolean; timeoutMs?: number },
  ): Promise<ReceivedRequest[]>;
  stop(): Promise<void>;
}

/** The answer of a correct receiver (Graph handshake echoed, everything else `status`). */
export function correctAnswer(request: ReceivedRequest, status = 200): ReceiverAnswer {
  const token = request.query.get('validationToken');
  if (token !== null) {
    return { status: 200, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: token };
  }
  return { status };
}

export async function startWebhookReceiver(
  options: { defaultStatus?: number } = {},
): Promise<WebhookReceiver> {
  const received: ReceivedRequest[] = [];
  const sockets = new Set<Socket>();
  const waiters = new Set<() => void>();
  const receiver = {
    received,
    respond: (request: ReceivedRequest) => correctAnswer(request, options.defaultStatus ?? 200),
  } as WebhookReceiver;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://receiver');
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
      }
      const request: ReceivedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        url: req.url ?? '/',
        headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      };
      received.push(request);
      for (const wake of [...waiters]) wake();
      void Promise.resolve(receiver.respond(request)).then(
        (answer) => {
          if (res.destroyed) return;
          res.writeHead(answer.status, answer.headers ?? {});
          res.end(answer.body);
        },
        () => res.destroy(),
      );
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return Object.assign(receiver, {
    url: `http://127.0.0.1:${port}`,
    waitFor(
      count: number,
      waitOptions: { filter?: (request: ReceivedRequest) => boolean; timeoutMs?: number } = {},
    ) {
      const pick = () => (waitOptions.filter ? received.filter(waitOptions.filter) : received);
      return new Promise<ReceivedRequest[]>((resolve, reject) => {
        const check = () => {
          const got = pick();
          if (got.length < count) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(got.slice(0, count));
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`expected ${count} webhook requests, got ${pick().length}`));
        }, waitOptions.timeoutMs ?? 5_000);
        waiters.add(check);
        check();
      });
    },
    stop() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
  });
}
