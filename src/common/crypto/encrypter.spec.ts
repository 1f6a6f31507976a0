import { randomBytes } from 'node:crypto';
import { DecryptionError, Encrypter } from './encrypter';

describe('Encrypter', () => {
  const key = randomBytes(32);

  it('round-trips and never stores the plaintext', () => {
    const encrypter = new Encrypter(key);
    const stored = encrypter.encrypt('ya29.secret-access-token');
    expect(stored).not.toContain('secret-access-token');
    expect(encrypter.decrypt(stored)).toBe('ya29.secret-access-token');
    // A fresh IV each time: equal secrets do not look equal at rest.
    expect(encrypter.encrypt('same')).not.toBe(encrypter.encrypt('same'));
  });

  it('decrypts values written under a previous key during a rotation', () => {
    const oldKey = randomBytes(32);
    const stored = new Encrypter(oldKey).encrypt('old secret');
    expect(new Encrypter(key, [oldKey]).decrypt(stored)).toBe('old secret');
    expect(() => new Encrypter(key).decrypt(stored)).toThrow(DecryptionError);
  });

  it('refuses a tampered value', () => {
    const encrypter = new Encrypter(key);
    const payload = JSON.parse(
      Buffer.from(encrypter.encrypt('amount=10').slice(3), 'base64').toString(),
    );
    const value = Buffer.from(payload.value, 'base64');
    value[0] ^= 1;
    payload.value = value.toString('base64');
    const tampered = 'v1:' + Buffer.from(JSON.stringify(payload)).toString('base64');
    expect(() => encrypter.decrypt(tampered)).toThrow(DecryptionError);
  });
});
