import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Every place a secret is stored: `table.column`, or `table.column.key` for a value inside a JSON
 * column (a job payload carrying a mailed token).
 */
export type SecretColumn =
  | 'integrations.access_token'
  | 'integrations.refresh_token'
  | 'integrations.token_metadata'
  | 'integrations.webhook_token'
  | 'oauth_states.code_verifier'
  | 'oauth_states.parked_grant'
  | 'users.two_factor_secret'
  | `jobs.payload.${string}`;

/** Where one secret lives: a ciphertext decrypts only at the place it was written for. */
export interface SecretPlace {
  column: SecretColumn;
  id: number;
}

/** The form `Encrypter` writes; the legacy `v1:` form (unbound) is read until `key:rotate`. */
export const ENCRYPTED_PREFIXES = ['v2:', 'v1:'] as const;

/** Whether a stored string is one of our ciphertexts (rather than plain data beside them). */
export function isEncrypted(value: string): boolean {
  return ENCRYPTED_PREFIXES.some((prefix) => value.startsWith(prefix));
}

const CURRENT = 'v2:';
const LEGACY = 'v1:';
/** Pinned: a shortened tag would make forging a value cheaper. */
const TAG_BYTES = 16;

/**
 * AES-256-GCM encryption of secrets at rest (OAuth tokens, 2FA secrets, secrets inside job
 * payloads), under APP_KEY. The stored form is `v2:` + base64 JSON `{iv, value, tag}`; the
 * associated data is the secret's place (column and row id), so a ciphertext copied into another
 * row or column fails to decrypt instead of handing one account's token to another. Values written
 * under an older key still decrypt while that key is listed in APP_PREVIOUS_KEYS (key rotation).
 */
export class Encrypter {
  constructor(
    private readonly key: Buffer,
    private readonly previousKeys: Buffer[] = [],
  ) {
    if (key.length !== 32) throw new Error('The encryption key must be 32 bytes.');
  }

  encrypt(plaintext: string, place: SecretPlace): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(associatedData(place));
    const value = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const payload = {
      iv: iv.toString('base64'),
      value: value.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
    };
    return CURRENT + Buffer.from(JSON.stringify(payload)).toString('base64');
  }

  decrypt(stored: string, place: SecretPlace): string {
    const payload = parse(stored);
    // Written before values were bound to their place: readable until key:rotate rewrites it.
    const aad = stored.startsWith(LEGACY) ? null : associatedData(place);
    for (const key of [this.key, ...this.previousKeys]) {
      const plaintext = open(key, payload, aad);
      if (plaintext !== null) return plaintext;
    }
    throw new DecryptionError(
      aad === null ? 'no configured key can decrypt it' : 'no configured key decrypts it here',
    );
  }

  /** Whether `stored` is in the current form, under the current key, bound to `place`. */
  isCurrent(stored: string, place: SecretPlace): boolean {
    if (!stored.startsWith(CURRENT)) return false;
    try {
      return open(this.key, parse(stored), associatedData(place)) !== null;
    } catch {
      return false;
    }
  }
}

interface Payload {
  iv: string;
  value: string;
  tag: string;
}

function associatedData(place: SecretPlace): Buffer {
  return Buffer.from(`${place.column}#${place.id}`, 'utf8');
}

function parse(stored: string): Payload {
  const prefix = ENCRYPTED_PREFIXES.find((candidate) => stored.startsWith(candidate));
  if (!prefix) throw new DecryptionError('not an encrypted value');
  try {
    return JSON.parse(Buffer.from(stored.slice(prefix.length), 'base64').toString()) as Payload;
  } catch {
    throw new DecryptionError('the payload is malformed');
  }
}

/** The plaintext, or null when this key (or this place) does not authenticate the value. */
function open(key: Buffer, payload: Payload, aad: Buffer | null): string | null {
  try {
    const tag = Buffer.from(payload.tag, 'base64');
    if (tag.length !== TAG_BYTES) return null;
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(payload.iv, 'base64'), {
      authTagLength: TAG_BYTES,
    });
    if (aad) decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    return Buffer.concat([
      decipher.update(Buffer.from(payload.value, 'base64')),
      decipher.final(),
    ]).toString('utf8');
  } catch {
    return null;
  }
}

export class DecryptionError extends Error {
  constructor(reason: string) {
    super(`Could not decrypt a stored secret: ${reason}.`);
  }
}
