import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/config';
import { Factory } from '../factories';
import { makeTeam } from '../support/actors';
import { bootApp } from '../support/app';

/*
 * MAIL_TRANSPORT=log writes every mail, invitation links included, to the log and the outbox and
 * sends nothing. A production server left on that default would leak the links and lose the
 * mail, so it must refuse to start unless the operator says it is meant.
 */
describe('security: mail is not written to the log in production by accident', () => {
  const outbox = mkdtempSync(join(tmpdir(), 'danwel-outbox-'));
  afterAll(() => rmSync(outbox, { recursive: true, force: true }));

  const production = { NODE_ENV: 'production', MAIL_TRANSPORT: 'log', MAIL_OUTBOX_DIR: outbox };

  it('refuses to boot with NODE_ENV=production and MAIL_TRANSPORT=log', async () => {
    const booting = bootApp({ env: production });
    await expect(booting).rejects.toBeInstanceOf(ConfigError);
    await expect(booting).rejects.toThrow(/MAIL_LOG_IN_PRODUCTION=true/);
  });

  it('boots and writes mail to the outbox when MAIL_LOG_IN_PRODUCTION=true', async () => {
    const t = await bootApp({ env: { ...production, MAIL_LOG_IN_PRODUCTION: 'true' } });
    try {
      expect(t.config.env).toBe('production');
      const team = await makeTeam(t, new Factory(t.dataSource));
      await team.admin
        .post(team.url('/invitations'), { email: 'new@example.com', role: 'member' })
        .expect(201);
      await t.worker.drain();
      expect(readdirSync(outbox).filter((file) => file.endsWith('.eml'))).toHaveLength(1);
    } finally {
      await t.close();
    }
  });
});
