import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM encryption of secrets at rest (OAuth tokens, secrets inside job payloads), under
 * APP_KEY. The stored form is `v1:` + base64 JSON `{iv, value, tag}`; GCM's tag authenticates
 * the ciphertext, so tampering fails loudly instead of decrypting to garbage. Values written under
 * an older key still decrypt while that key is listed in APP_PREVIOUS_KEYS (key rotation).
 */
export class Encrypter {
  private static readonly PREFIX = 'v1:';

  constructor(
    private readonly key: Buffer,
    private readonly previousKeys: Buffer[] = [],
  ) {
    if (key.length !== 32) throw new Error('The encryption key must be 32 bytes.');
  }

  encrypt(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const value = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const payload = {
      iv: iv.toString('base64'),
      value: value.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
    };
    return Encrypter.PREFIX + Buffer.from(JSON.stringify(payload)).toString('base64');
  }

  decrypt(stored: string): string {
    if (!stored.startsWith(Encrypter.PREFIX)) throw new DecryptionError('not an encrypted value');
    let payload: { iv: string; value: string; tag: string };
    try {
      payload = JSON.parse(Buffer.from(stored.slice(Encrypter.PREFIX.length), 'base64').toString());
    } catch {
      throw new DecryptionError('the payload is malformed');
    }
    for (const key of [this.key, ...this.previousKeys]) {
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(payload.iv, 'base64'));
        decipher.setAuthTag(Buffer.from(payload.tag, 'base64'));
        return Buffer.concat([
          decipher.update(Buffer.from(payload.value, 'base64')),
          decipher.final(),
        ]).toString('utf8');
      } catch {
        // wrong key or tampered value: try the next key
      }
    }
    throw new DecryptionError('no configured key can decrypt it');
  }
}

export class DecryptionError extends Error {
  constructor(reason: string) {
    super(`Could not decrypt a stored secret: ${reason}.`);
  }
}
