import { createCipheriv, randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { runCli } from '../../src/cli/program';
import { Encrypter, SecretColumn, SecretPlace } from '../../src/common/crypto/encrypter';
import { Integration } from '../../src/integrations/integration.entity';
import { OAuthState } from '../../src/integrations/oauth-state.entity';
import { Job } from '../../src/jobs/job.entity';
import { Organization } from '../../src/organizations/organization.entity';
import { Factory } from '../factories';
import { testConfig } from '../support/app';
import { createMigratedDataSource, databaseKind, TestDatabase } from '../support/database';
import { CapturedOutput } from './capture';

/*
 * `key:rotate`: secrets written under an old APP_KEY are re-encrypted under the new one, so the old
 * key can be dropped. Checked on the raw rows, as the database holds them.
 */

const key = (byte: number) => Buffer.alloc(32, byte);
const asEnv = (bytes: Buffer) => `base64:${bytes.toString('base64')}`;
const OLD_KEY = key(11);
const NEW_KEY = key(22);
const LOST_KEY = key(33);

/** Writes a secret for its place, the way some version of danwel did. */
type Writer = (plaintext: string, place: SecretPlace) => string;
const boundUnder =
  (bytes: Buffer): Writer =>
  (plaintext, place) =>
    new Encrypter(bytes).encrypt(plaintext, place);
/** The form written before values were bound to their place (`v1:`, no associated data). */
const legacyUnder =
  (bytes: Buffer): Writer =>
  (plaintext) => {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', bytes, iv);
    const value = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const payload = { iv, value, tag: cipher.getAuthTag() };
    const encoded = Object.fromEntries(
      Object.entries(payload).map(([name, bytes]) => [name, bytes.toString('base64')]),
    );
    return 'v1:' + Buffer.from(JSON.stringify(encoded)).toString('base64');
  };
const underOld = boundUnder(OLD_KEY);
const underNew = boundUnder(NEW_KEY);
const underLost = boundUnder(LOST_KEY);
const legacyUnderOld = legacyUnder(OLD_KEY);
/** Reads with the new key alone, at the value's place. */
const readNew = (stored: string, column: SecretColumn, id: number) =>
  new Encrypter(NEW_KEY).decrypt(stored, { column, id });
const readsOld = (stored: string, column: SecretColumn, id: number) =>
  new Encrypter(OLD_KEY).isCurrent(stored, { column, id });

interface RawIntegration {
  id: number | string;
  access_token: string;
  refresh_token: string | null;
  token_metadata: string | null;
  webhook_token: string | null;
}

describe(`cli: key:rotate (${databaseKind()})`, () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let close: () => Promise<void>;
  let factory: Factory;
  let organization: Organization;
  /** Every plaintext secret written so far: none may ever appear in a raw row. */
  const plaintexts: string[] = [];
  let sequence = 0;

  beforeAll(async () => {
    ({ dataSource, database, close } = await createMigratedDataSource());
    factory = new Factory(dataSource);
    organization = await factory.organization();
  });
  afterAll(() => close?.());

  async function cli(...argv: string[]) {
    const stdout = new CapturedOutput();
    const stderr = new CapturedOutput();
    const code = await runCli(argv, {
      cwd: process.cwd(),
      stdout,
      stderr,
      loadConfig: () =>
        testConfig(database, { APP_KEY: asEnv(NEW_KEY), APP_PREVIOUS_KEYS: asEnv(OLD_KEY) }),
    });
    return { code, stdout: stdout.text, stderr: stderr.text };
  }

  const secret = (label: string) => {
    const value = `${label}-${++sequence}-${'x'.repeat(20)}`;
    plaintexts.push(value);
    return value;
  };

  /** An integration whose three secrets were written by `write`; returns the plaintexts. */
  async function integrationUnder(write: Writer, options: { refresh?: boolean } = {}) {
    const access = secret('ya29.access');
    const refresh = options.refresh === false ? null : secret('1//refresh');
    const metadata = JSON.stringify({ scope: 'calendar', marker: secret('metadata') });
    const webhook = secret('webhook-token');
    const { id } = await factory.integration(organization);
    const at = (column: SecretColumn) => ({ column, id });
    await dataSource.manager.update(Integration, id, {
      accessToken: write(access, at('integrations.access_token')),
      refreshToken: refresh === null ? null : write(refresh, at('integrations.refresh_token')),
      tokenMetadata: write(metadata, at('integrations.token_metadata')),
      webhookToken: write(webhook, at('integrations.webhook_token')),
    });
    return { id, access, refresh, metadata, webhook };
  }

  const rawIntegrations = () =>
    dataSource.query<RawIntegration[]>(
      'SELECT id, access_token, refresh_token, token_metadata, webhook_token FROM integrations ORDER BY id',
    );
  const rawIntegration = async (id: number) =>
    (await rawIntegrations()).find((row) => Number(row.id) === id)!;
  const rawJobPayload = async (id: number) => {
    const [row] = await dataSource.query<Array<{ payload: unknown }>>(
      'SELECT payload FROM jobs WHERE id = ?',
      [id],
    );
    return (typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload) as {
      invitation_id: number;
      token: string;
      note: string;
    };
  };

  /** The whole text of every table that holds secrets, as stored. */
  async function rawSecretsText(): Promise<string> {
    const tables = await Promise.all(
      ['integrations', 'oauth_states', 'jobs'].map((table) =>
        dataSource.query(`SELECT * FROM ${table}`),
      ),
    );
    return JSON.stringify(tables);
  }

  const expectNoPlaintext = async () => {
    const text = await rawSecretsText();
    expect(plaintexts.filter((plain) => text.includes(plain))).toEqual([]);
  };

  it('re-encrypts every secret under the new key, in batches; the new key alone reads them', async () => {
    const rotated = [
      await integrationUnder(underOld),
      await integrationUnder(underOld, { refresh: false }),
      // Written before secrets were bound to their row: bound on the way.
      await integrationUnder(legacyUnderOld),
    ];
    // Refreshed after the deploy: already under the new key.
    const fresh = await integrationUnder(underNew);
    const verifier = secret('pkce-verifier');
    // A grant the callback parked, waiting for its starter's confirmation.
    const grant = JSON.stringify({ account: { accessToken: secret('parked') }, calendars: [] });
    const state = await dataSource.getRepository(OAuthState).save({
      stateHash: 'a'.repeat(64),
      userId: organization.ownerId!,
      organizationId: organization.id,
      provider: 'google_calendar',
      codeVerifier: null,
      parkedGrant: null,
      grantReferenceHash: 'b'.repeat(64),
      expiresAt: new Date(Date.now() + 600_000),
      usedAt: new Date(),
    });
    await dataSource.manager.update(OAuthState, state.id, {
      codeVerifier: underOld(verifier, { column: 'oauth_states.code_verifier', id: state.id }),
      parkedGrant: legacyUnderOld(grant, { column: 'oauth_states.parked_grant', id: state.id }),
    });
    const invitationToken = secret('inv');
    const job = await dataSource.getRepository(Job).save({
      organizationId: organization.id,
      type: 'invitations.send',
      payload: { invitation_id: 7, note: 'not secret' },
      availableAt: new Date(),
    });
    job.payload.token = underOld(invitationToken, { column: 'jobs.payload.token', id: job.id });
    await dataSource.getRepository(Job).save(job);
    await expectNoPlaintext();
    for (const row of await rawIntegrations()) expect(row.access_token).toMatch(/^v[12]:/);
    const freshBefore = await rawIntegration(fresh.id);

    const result = await cli('key:rotate', '--batch-size', '2');

    expect(result).toMatchObject({ code: 0, stderr: '' });
    const lines = result.stdout.split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^integrations\.access_token +3 +1$/),
        expect.stringMatching(/^integrations\.refresh_token +2 +1$/),
        expect.stringMatching(/^integrations\.token_metadata +3 +1$/),
        expect.stringMatching(/^integrations\.webhook_token +3 +1$/),
        expect.stringMatching(/^oauth_states\.code_verifier +1 +0$/),
        expect.stringMatching(/^oauth_states\.parked_grant +1 +0$/),
        expect.stringMatching(/^jobs\.payload +1 +0$/),
      ]),
    );
    expect(result.stdout).toContain(
      'Re-encrypted 14 secrets under the current APP_KEY (4 already were).',
    );

    for (const expected of [...rotated, fresh]) {
      const row = await rawIntegration(expected.id);
      const read = (stored: string, column: SecretColumn) => readNew(stored, column, expected.id);
      expect(row.access_token).toMatch(/^v2:/);
      expect(read(row.access_token, 'integrations.access_token')).toBe(expected.access);
      expect(
        row.refresh_token === null ? null : read(row.refresh_token, 'integrations.refresh_token'),
      ).toBe(expected.refresh);
      expect(read(row.token_metadata!, 'integrations.token_metadata')).toBe(expected.metadata);
      expect(read(row.webhook_token!, 'integrations.webhook_token')).toBe(expected.webhook);
      expect(readsOld(row.access_token, 'integrations.access_token', expected.id)).toBe(false);
    }
    // A value already under the new key is left byte for byte.
    expect(await rawIntegration(fresh.id)).toEqual(freshBefore);
    const [stateRow] = await dataSource.query<
      Array<{ code_verifier: string; parked_grant: string }>
    >('SELECT code_verifier, parked_grant FROM oauth_states WHERE id = ?', [state.id]);
    expect(readNew(stateRow.code_verifier, 'oauth_states.code_verifier', state.id)).toBe(verifier);
    expect(readNew(stateRow.parked_grant, 'oauth_states.parked_grant', state.id)).toBe(grant);
    const payload = await rawJobPayload(job.id);
    expect(readNew(payload.token, 'jobs.payload.token', job.id)).toBe(invitationToken);
    expect(payload).toMatchObject({ invitation_id: 7, note: 'not secret' });
    await expectNoPlaintext();
  });

  it('is idempotent: running it again changes nothing', async () => {
    const before = await rawSecretsText();

    const result = await cli('key:rotate');

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^integrations\.access_token +0 +4$/m);
    expect(result.stdout).toContain('Re-encrypted 0 secrets under the current APP_KEY');
    expect(await rawSecretsText()).toBe(before);
  });

  it('fails naming the value no key can read, leaves that row alone and rotates the rest', async () => {
    const pending = await integrationUnder(underOld);
    // Written under a key that is in neither APP_KEY nor APP_PREVIOUS_KEYS.
    const lostAccess = secret('lost');
    const lostRefresh = secret('still-old');
    const lost = await factory.integration(organization);
    await dataSource.manager.update(Integration, lost.id, {
      accessToken: underLost(lostAccess, { column: 'integrations.access_token', id: lost.id }),
      refreshToken: underOld(lostRefresh, { column: 'integrations.refresh_token', id: lost.id }),
    });
    const lostBefore = await rawIntegration(lost.id);

    const result = await cli('key:rotate');

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`integrations.access_token id ${lost.id}`);
    expect(result.stderr).toMatch(/could not be decrypted with APP_KEY or APP_PREVIOUS_KEYS/);
    expect(result.stderr).not.toContain(lostAccess);
    expect(await rawIntegration(lost.id)).toEqual(lostBefore);
    const rotatedAccess = (await rawIntegration(pending.id)).access_token;
    expect(readNew(rotatedAccess, 'integrations.access_token', pending.id)).toBe(pending.access);
    await expectNoPlaintext();
  });
});
