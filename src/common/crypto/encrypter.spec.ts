import { createCipheriv, randomBytes } from 'node:crypto';
import { DecryptionError, Encrypter, SecretPlace } from './encrypter';

describe('Encrypter', () => {
  const key = randomBytes(32);
  const access: SecretPlace = { column: 'integrations.access_token', id: 7 };

  /** The stored form's fields, decoded. */
  const fieldsOf = (stored: string) =>
    JSON.parse(Buffer.from(stored.slice(3), 'base64').toString()) as Record<string, string>;
  const withFields = (stored: string, fields: Record<string, string>) =>
    stored.slice(0, 3) + Buffer.from(JSON.stringify(fields)).toString('base64');

  it('round-trips and never stores the plaintext', () => {
    const encrypter = new Encrypter(key);
    const stored = encrypter.encrypt('ya29.secret-access-token', access);
    expect(stored).toMatch(/^v2:/);
    expect(stored).not.toContain('secret-access-token');
    expect(encrypter.decrypt(stored, access)).toBe('ya29.secret-access-token');
    // A fresh IV each time: equal secrets do not look equal at rest.
    expect(encrypter.encrypt('same', access)).not.toBe(encrypter.encrypt('same', access));
  });

  it('decrypts a value only at the place it was written for', () => {
    const encrypter = new Encrypter(key);
    const stored = encrypter.encrypt('ya29.token-of-integration-7', access);
    // Copied into another integration's row, or into the refresh-token column of its own.
    for (const elsewhere of [
      { ...access, id: 8 },
      { column: 'integrations.refresh_token', id: 7 },
      { column: 'jobs.payload.token', id: 7 },
    ] satisfies SecretPlace[]) {
      expect(() => encrypter.decrypt(stored, elsewhere)).toThrow(DecryptionError);
      expect(encrypter.isCurrent(stored, elsewhere)).toBe(false);
    }
    expect(encrypter.isCurrent(stored, access)).toBe(true);
  });

  it('decrypts values written under a previous key during a rotation', () => {
    const oldKey = randomBytes(32);
    const stored = new Encrypter(oldKey).encrypt('old secret', access);
    expect(new Encrypter(key, [oldKey]).decrypt(stored, access)).toBe('old secret');
    expect(new Encrypter(key, [oldKey]).isCurrent(stored, access)).toBe(false);
    expect(() => new Encrypter(key).decrypt(stored, access)).toThrow(DecryptionError);
  });

  it('reads the unbound form written before values were bound, until key:rotate', () => {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const value = Buffer.concat([cipher.update('legacy', 'utf8'), cipher.final()]);
    const legacy = withFields('v1:', {
      iv: iv.toString('base64'),
      value: value.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
    });
    const encrypter = new Encrypter(key);
    expect(encrypter.decrypt(legacy, access)).toBe('legacy');
    expect(encrypter.isCurrent(legacy, access)).toBe(false);
  });

  it('refuses a tampered value or a shortened tag', () => {
    const encrypter = new Encrypter(key);
    const stored = encrypter.encrypt('amount=10', access);
    const fields = fieldsOf(stored);
    const value = Buffer.from(fields.value, 'base64');
    value[0] ^= 1;
    const tampered = withFields(stored, { ...fields, value: value.toString('base64') });
    expect(() => encrypter.decrypt(tampered, access)).toThrow(DecryptionError);

    const shortTag = Buffer.from(fields.tag, 'base64').subarray(0, 4).toString('base64');
    const truncated = withFields(stored, { ...fields, tag: shortTag });
    expect(() => encrypter.decrypt(truncated, access)).toThrow(DecryptionError);
  });

  it('says what is wrong with a value that is not one of its own', () => {
    const encrypter = new Encrypter(key);
    expect(() => encrypter.decrypt('plain text', access)).toThrow(/not an encrypted value/);
    expect(() => encrypter.decrypt('v2:%%%', access)).toThrow(/malformed/);
  });
});
