import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * A new secret token: 32 random bytes, base64url, behind a short prefix that says what it is
 * (so a leaked one is recognisable in logs and secret scanners).
 */
export function generateSecretToken(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

/** How secret tokens are stored: the SHA-256 hex digest (64 characters). */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
