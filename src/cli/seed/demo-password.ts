import * as argon2 from 'argon2';

/** Every demo account signs in with this password (shown in db:seed's summary). */
export const DEMO_PASSWORD = 'password';

/** Hashed once per seed run: argon2id is deliberately slow, and all demo users share it. */
export function hashDemoPassword(): Promise<string> {
  return argon2.hash(DEMO_PASSWORD, { type: argon2.argon2id });
}
