/**
 * Server side of Google's batch protocol: a `multipart/mixed` body whose parts are
 * `Content-Type: application/http` requests (request line, headers, blank line, body), answered
 * with a `multipart/mixed` body of HTTP responses in the same order, each with
 * `Content-ID: <response-ID>` when the request part had `Content-ID: <ID>`.
 */
import { ApiResponse } from './errors';
import { randomToken } from './state';
import { statusText } from '../common/http';

export interface BatchPart {
  contentId?: string;
  method: string;
  /** Path and query (an absolute URL is reduced to them). */
  url: string;
  /** Lower-case names. */
  headers: Record<string, string>;
  body: string;
}

export class BatchSyntaxError extends Error {}

export function boundaryOf(contentType: string | undefined): string | undefined {
  if (!contentType || !/^multipart\/mixed\b/i.test(contentType.trim())) return undefined;
  const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return m ? (m[1] ?? m[2]) : undefined;
}

/** Splits a header block (CRLF or LF lines) into lower-case names and values. */
function parseHeaders(block: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of block.split(/\r?\n/)) {
    if (!line.trim()) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new BatchSyntaxError(`Malformed header line: ${line}`);
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

/** Splits `head\r\n\r\nbody` at the first blank line. */
function splitHead(text: string): [string, string] {
  const m = /\r?\n\r?\n/.exec(text);
  if (!m) return [text, ''];
  return [text.slice(0, m.index), text.slice(m.index + m[0].length)];
}

export function parseBatch(body: string, boundary: string): BatchPart[] {
  const delimiter = `--${boundary}`;
  const chunks = body.split(delimiter);
  if (chunks.length < 2) throw new BatchSyntaxError('No parts found in the multipart body.');
  const parts: BatchPart[] = [];
  // chunks[0] is the preamble; the chunk after the closing delimiter starts with "--".
  for (const chunk of chunks.slice(1)) {
    if (chunk.startsWith('--')) break;
    const content = chunk.replace(/^\r?\n/, '').replace(/\r?\n$/, '');
    const [outerHead, inner] = splitHead(content);
    const outer = parseHeaders(outerHead);
    if (!/^application\/http\b/i.test(outer['content-type'] ?? '')) {
      throw new BatchSyntaxError('Each part must have Content-Type: application/http.');
    }
    const [requestHead, requestBody] = splitHead(inner.replace(/^\s*\r?\n/, ''));
    const [requestLine, ...headerLines] = requestHead.split(/\r?\n/);
    const m = /^([A-Z]+)\s+(\S+)(?:\s+HTTP\/\d(?:\.\d)?)?\s*$/.exec(requestLine.trim());
    if (!m) throw new BatchSyntaxError(`Malformed request line: ${requestLine}`);
    let url = m[2];
    if (/^https?:\/\//i.test(url)) {
      const parsed = new URL(url);
      url = parsed.pathname + parsed.search;
    }
    const contentId = outer['content-id']?.replace(/^<|>$/g, '');
    parts.push({
      contentId,
      method: m[1],
      url,
      headers: parseHeaders(headerLines.join('\r\n')),
      body: requestBody,
    });
  }
  return parts;
}

export interface BatchAnswer {
  contentId?: string;
  response: ApiResponse;
}

export function serializeBatch(answers: BatchAnswer[]): { boundary: string; body: string } {
  const boundary = `batch_${randomToken(12)}`;
  const lines: string[] = [];
  for (const { contentId, response } of answers) {
    lines.push(`--${boundary}`, 'Content-Type: application/http');
    if (contentId !== undefined) lines.push(`Content-ID: <response-${contentId}>`);
    lines.push('');
    const payload =
      response.body === undefined
        ? ''
        : typeof response.body === 'string'
          ? response.body
          : JSON.stringify(response.body, null, 1);
    lines.push(`HTTP/1.1 ${response.status} ${statusText(response.status)}`);
    for (const [name, value] of Object.entries(response.headers)) lines.push(`${name}: ${value}`);
    lines.push(`Content-Length: ${Buffer.byteLength(payload)}`, '', payload);
  }
  lines.push(`--${boundary}--`, '');
  return { boundary, body: lines.join('\r\n') };
}
