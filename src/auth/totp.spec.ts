import { base32Decode, base32Encode, hotp, matchTotp, otpauthUrl, totpStep } from './totp';

describe('TOTP (RFC 6238)', () => {
  // RFC 6238 appendix B: the SHA-1 secret is the ASCII string "12345678901234567890".
  const rfcSecret = Buffer.from('12345678901234567890', 'ascii');

  it.each([
    [59, '94287082'],
    [1111111109, '07081804'],
    [1111111111, '14050471'],
    [1234567890, '89005924'],
    [2000000000, '69279037'],
    [20000000000, '65353130'],
  ])('at %i s the 8-digit code is %s', (seconds, code) => {
    expect(hotp(rfcSecret, totpStep(seconds * 1000), 8)).toBe(code);
  });

  it('round-trips base32 as authenticator apps spell it', () => {
    expect(base32Encode(rfcSecret)).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
    expect(base32Decode('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ')).toEqual(rfcSecret);
  });

  const secret = base32Encode(rfcSecret);
  const at = 1111111111_000;
  const codeAt = (ms: number) => hotp(rfcSecret, totpStep(ms));

  it('accepts the current code and one step of drift either way, nothing further', () => {
    expect(matchTotp(secret, codeAt(at), at, null)).toBe(totpStep(at));
    expect(matchTotp(secret, codeAt(at - 30_000), at, null)).toBe(totpStep(at) - 1);
    expect(matchTotp(secret, codeAt(at + 30_000), at, null)).toBe(totpStep(at) + 1);
    expect(matchTotp(secret, codeAt(at - 90_000), at, null)).toBeNull();
  });

  it('refuses a code of a step already used, and anything that is not six digits', () => {
    expect(matchTotp(secret, codeAt(at), at, totpStep(at))).toBeNull();
    expect(matchTotp(secret, codeAt(at - 30_000), at, totpStep(at) - 1)).toBeNull();
    expect(matchTotp(secret, `${codeAt(at)}0`, at, null)).toBeNull();
    expect(matchTotp(secret, 'abcdef', at, null)).toBeNull();
  });

  it('builds the otpauth URI apps scan', () => {
    expect(otpauthUrl('danwel', 'ada@example.com', 'ABC')).toBe(
      'otpauth://totp/danwel%3Aada%40example.com?secret=ABC&issuer=danwel&algorithm=SHA1&digits=6&period=30',
    );
  });
});
