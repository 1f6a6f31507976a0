/**
 * PLACEHOLDER — NOT A PASSWORD HASH.
 *
 * The demo accounts' password is meant to be `password`, stored as an argon2id hash. argon2 is not
 * installed yet (the accounts work adds it); until then every demo user gets this marker instead.
 * It starts with `!` (the Unix "locked account" convention) and cannot be mistaken for, or verify
 * as, an argon2 hash, so no login can succeed against it by accident.
 *
 * TODO(accounts): return `argon2.hash('password', { type: argon2id })` here; callers already await.
 */
export const DEMO_PASSWORD_PLACEHOLDER =
  '!placeholder-not-a-hash: demo password "password", hash pending argon2';

export async function hashDemoPassword(): Promise<string> {
  return DEMO_PASSWORD_PLACEHOLDER;
}
