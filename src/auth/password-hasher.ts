import { Injectable } from '@nestjs/common';
import * as argon2 from 'argon2';

/** argon2id with the library's (OWASP-aligned) defaults. */
@Injectable()
export class PasswordHasher {
  /** Verified against when the email is unknown, so both paths cost one argon2 verification. */
  private readonly decoy = argon2.hash('danwel-decoy-password', { type: argon2.argon2id });

  hash(password: string): Promise<string> {
    return argon2.hash(password, { type: argon2.argon2id });
  }

  async verify(hash: string | null, password: string): Promise<boolean> {
    if (!hash?.startsWith('$argon2')) {
      await argon2.verify(await this.decoy, password).catch(() => false);
      return false;
    }
    return argon2.verify(hash, password).catch(() => false);
  }
}
