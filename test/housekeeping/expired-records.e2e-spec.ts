import { ApiToken } from '../../src/auth/api-token.entity';
import { UserToken, UserTokenPurpose } from '../../src/auth/user-token.entity';
import { In } from 'typeorm';
import { Encrypter } from '../../src/common/crypto/encrypter';
import { ThrottleHit } from '../../src/common/rate-limit/throttle-hit.entity';
import { generateSecretToken, sha256Hex } from '../../src/common/crypto/tokens';
import { PURGE_EXPIRED } from '../../src/housekeeping/expired-records';
import { OAuthState } from '../../src/integrations/oauth-state.entity';
import { Job } from '../../src/jobs/job.entity';
import { Factory } from '../factories';
import { bootApp, TestApp } from '../support/app';
import { databaseKind } from '../support/database';

const HOUR = 3_600_000;

/*
 * What expires is deleted by the workers' hourly housekeeping job: links and states that can no
 * longer be used must not pile up (each holds a digest of a secret and who it was for).
 */
describe(`purging expired records (${databaseKind()})`, () => {
  let t: TestApp;
  let factory: Factory;

  beforeAll(async () => {
    t = await bootApp();
    factory = new Factory(t.dataSource);
  });
  afterAll(() => t?.close());

  const ago = (ms: number) => new Date(Date.now() - ms);
  const ahead = (ms: number) => new Date(Date.now() + ms);

  it('deletes expired states, links, API tokens and old throttle hits; keeps live ones and parked grants', async () => {
    const organization = await factory.organization();
    const user = await factory.user();
    const state = (expiresAt: Date) =>
      t.dataSource.manager.save(
        t.dataSource.manager.create(OAuthState, {
          stateHash: sha256Hex(generateSecretToken('st')),
          userId: user.id,
          organizationId: organization.id,
          provider: 'google_calendar',
          codeVerifier: null,
          expiresAt,
        }),
      );
    const link = (purpose: UserTokenPurpose, expiresAt: Date) =>
      t.dataSource.manager.save(
        t.dataSource.manager.create(UserToken, {
          userId: user.id,
          purpose,
          tokenHash: sha256Hex(generateSecretToken('rst')),
          expiresAt,
        }),
      );
    const apiToken = (expiresAt: Date) =>
      t.dataSource.manager.save(
        t.dataSource.manager.create(ApiToken, {
          userId: user.id,
          name: 'laptop',
          tokenHash: sha256Hex(generateSecretToken('dnw')),
          expiresAt,
        }),
      );
    await state(ago(HOUR));
    const liveState = await state(ahead(HOUR));
    // A grant nobody confirmed: its own job revokes it at the provider before deleting it.
    const { state: parked } = await factory.pendingGrant(organization, user, t.app.get(Encrypter));
    await t.dataSource.manager.update(OAuthState, { id: parked.id }, { expiresAt: ago(HOUR) });
    await link('password_reset', ago(1000));
    const liveVerification = await link('email_verification', ahead(HOUR));
    await apiToken(ago(HOUR));
    const liveToken = await apiToken(ahead(HOUR));
    const hit = (hitAt: Date) =>
      t.dataSource.manager.save(
        t.dataSource.manager.create(ThrottleHit, { keyHash: sha256Hex(`test:${hitAt}`), hitAt }),
      );
    const oldHit = await hit(ago(25 * HOUR));
    const recentHit = await hit(ago(HOUR));

    await t.worker.scheduleRecurring();
    await t.worker.drain();

    const ids = async <T extends { id: number }>(rows: Promise<T[]>) =>
      (await rows).map((row) => row.id).sort((a, b) => a - b);
    expect(await ids(t.dataSource.manager.findBy(OAuthState, { userId: user.id }))).toEqual(
      [liveState.id, parked.id].sort((a, b) => a - b),
    );
    expect(await ids(t.dataSource.manager.findBy(UserToken, { userId: user.id }))).toEqual([
      liveVerification.id,
    ]);
    expect(await ids(t.dataSource.manager.findBy(ApiToken, { userId: user.id }))).toEqual([
      liveToken.id,
    ]);

    const hits = await t.dataSource.manager.findBy(ThrottleHit, {
      id: In([oldHit.id, recentHit.id]),
    });
    expect(hits.map((row) => row.id)).toEqual([recentHit.id]);

    // The job waits an hour for its next run.
    const [job] = await t.dataSource.manager.findBy(Job, { type: PURGE_EXPIRED });
    expect(job.availableAt.getTime()).toBeGreaterThan(Date.now() + HOUR - 60_000);
  });
});
