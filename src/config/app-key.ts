import { randomBytes } from 'node:crypto';

/** Laravel's key format: `base64:` followed by 32 random bytes in base64. */
export function generateAppKey(): string {
  return `base64:${randomBytes(32).toString('base64')}`;
}

/** Parses a `base64:` key into its 32 bytes, or returns an error message. */
export function parseAppKey(value: string): Buffer | string {
  if (!value.startsWith('base64:'))
    return 'must start with "base64:" (run `npm run cli -- key:generate`)';
  const key = Buffer.from(value.slice('base64:'.length), 'base64');
  if (key.length !== 32) return `must decode to 32 bytes, got ${key.length}`;
  return key;
}
