import { Encrypter, SecretColumn } from '../../src/common/crypto/encrypter';
import { Integration } from '../../src/integrations/integration.entity';
import { TestApp } from './app';

/** A stored secret in plain text, decrypted at its place the way the app reads it. */
export function readSecret(t: TestApp, column: SecretColumn, id: number, stored: string): string {
  return t.app.get(Encrypter).decrypt(stored, { column, id });
}

/** Gives an integration the provider's tokens the way a connection stores them. */
export async function storeTokens(
  t: TestApp,
  integrationId: number,
  tokens: { accessToken: string; refreshToken?: string | null },
): Promise<void> {
  const encrypter = t.app.get(Encrypter);
  const at = (column: SecretColumn) => ({ column, id: integrationId });
  await t.dataSource.manager.update(Integration, integrationId, {
    accessToken: encrypter.encrypt(tokens.accessToken, at('integrations.access_token')),
    refreshToken: tokens.refreshToken
      ? encrypter.encrypt(tokens.refreshToken, at('integrations.refresh_token'))
      : null,
  });
}
