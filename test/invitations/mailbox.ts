import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/*
 * What a user sees of our mail: the .eml files the log transport writes, and the messages a
 * (tiny, local) SMTP server receives. Parsed here by hand, just far enough to read headers and
 * the text and HTML bodies, so the specs can follow the link like a person would.
 */

export interface ParsedMail {
  headers: Record<string, string>;
  text: string;
  html: string;
  raw: string;
}

function parseHeaders(block: string): Record<string, string> {
  const headers: Record<string, string> = {};
  // Folded header lines continue with whitespace.
  for (const line of block.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0)
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

function decodeBody(body: string, encoding = '7bit'): string {
  switch (encoding.toLowerCase()) {
    case 'quoted-printable': {
      const bytes = body
        .replace(/=\r?\n/g, '') // soft line breaks
        .replace(/=([0-9A-F]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
      return Buffer.from(bytes, 'latin1').toString('utf8');
    }
    case 'base64':
      return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    default:
      return body;
  }
}

function splitEntity(raw: string): { headers: Record<string, string>; body: string } {
  const match = /\r?\n\r?\n/.exec(raw);
  if (!match) return { headers: parseHeaders(raw), body: '' };
  return {
    headers: parseHeaders(raw.slice(0, match.index)),
    body: raw.slice(match.index + match[0].length),
  };
}

/** The text/plain and text/html parts of a message, through any multipart nesting. */
function collectParts(raw: string, into: { text: string; html: string }): void {
  const { headers, body } = splitEntity(raw);
  const type = headers['content-type'] ?? 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (/^multipart\//i.test(type) && boundary) {
    const sections = body.split(`--${boundary}`).slice(1);
    for (const section of sections) {
      if (section.startsWith('--')) break;
      collectParts(section.replace(/^\r?\n/, ''), into);
    }
    return;
  }
  const decoded = decodeBody(body, headers['content-transfer-encoding']);
  if (/^text\/html/i.test(type)) into.html += decoded;
  else if (/^text\/plain/i.test(type)) into.text += decoded;
}

export function parseMail(raw: string): ParsedMail {
  const parts = { text: '', html: '' };
  collectParts(raw, parts);
  return { headers: splitEntity(raw).headers, ...parts, raw };
}

/** A fresh, empty folder for MAIL_OUTBOX_DIR. */
export function makeOutbox(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'danwel-outbox-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Every .eml in the outbox, oldest first (file names start with the time of writing). */
export function readOutbox(dir: string): (ParsedMail & { file: string })[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.eml'))
    .sort()
    .map((name) => ({ file: name, ...parseMail(readFileSync(join(dir, name), 'utf8')) }));
}

/**
 * The invitation link in a mail's text body (a web app page), the token at its end, and the
 * public API path that page reads the invitation from.
 */
export function invitationLink(mail: ParsedMail): { url: string; preview: string; token: string } {
  const match = /(https?:\/\/\S+\/invitations\/([A-Za-z0-9_-]+))/.exec(mail.text);
  if (!match) throw new Error(`No invitation link in the mail:\n${mail.text}`);
  return { url: match[1], preview: `/api/v1/invitations/${match[2]}`, token: match[2] };
}

/** A loopback port nothing listens on (briefly bound, then released). */
export function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface ReceivedMail extends ParsedMail {
  from: string;
  to: string[];
}

export interface SmtpServer {
  port: number;
  received: ReceivedMail[];
  /** Every command the clients sent, for asserting the conversation. */
  commands: string[];
  close(): Promise<void>;
}

/**
 * A minimal SMTP server on 127.0.0.1 (RFC 5321's happy path: EHLO/HELO, MAIL, RCPT, DATA, RSET,
 * NOOP, QUIT; no TLS, no AUTH), keeping every message it accepts.
 */
export function startSmtpServer(): Promise<SmtpServer> {
  const received: ReceivedMail[] = [];
  const commands: string[] = [];
  const sockets = new Set<Socket>();

  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.setEncoding('utf8');
    let buffer = '';
    let inData = false;
    let from = '';
    let to: string[] = [];
    const reply = (line: string) => socket.write(`${line}\r\n`);
    reply('220 localhost ESMTP test server');

    const handleData = (data: string) => {
      // Undo dot-stuffing (RFC 5321 4.5.2).
      const raw = data.replace(/^\.\./gm, '.');
      received.push({ from, to, ...parseMail(raw) });
      from = '';
      to = [];
      reply('250 2.0.0 Ok: queued');
    };

    const handleCommand = (line: string) => {
      commands.push(line);
      const verb = line.split(' ')[0].toUpperCase();
      const address = () => /<([^>]*)>/.exec(line)?.[1] ?? '';
      switch (verb) {
        case 'EHLO':
          return reply('250-localhost greets you\r\n250 8BITMIME');
        case 'HELO':
          return reply('250 localhost');
        case 'MAIL':
          from = address();
          return reply('250 2.1.0 Ok');
        case 'RCPT':
          to.push(address());
          return reply('250 2.1.5 Ok');
        case 'DATA':
          inData = true;
          return reply('354 End data with <CR><LF>.<CR><LF>');
        case 'RSET':
          from = '';
          to = [];
          return reply('250 2.0.0 Ok');
        case 'NOOP':
          return reply('250 2.0.0 Ok');
        case 'QUIT':
          reply('221 2.0.0 Bye');
          return socket.end();
        default:
          return reply('502 5.5.2 Command not recognized');
      }
    };

    socket.on('data', (chunk: string) => {
      buffer += chunk;
      for (;;) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n');
          if (end < 0) return;
          const data = buffer.slice(0, end + 2);
          buffer = buffer.slice(end + 5);
          inData = false;
          handleData(data);
        } else {
          const end = buffer.indexOf('\r\n');
          if (end < 0) return;
          const line = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          handleCommand(line);
        }
      }
    });
  });

  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve({
        port: typeof address === 'object' && address ? address.port : 0,
        received,
        commands,
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
