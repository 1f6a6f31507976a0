import { Integration } from '../../src/integrations/integration.entity';
import { Project } from '../../src/projects/project.entity';
import { InvoicingReconciler } from '../../src/sync/invoicing-reconciler';
import { TimeBlock } from '../../src/time-blocks/time-block.entity';
import { Factory } from '../factories';
import { Actor, Team } from '../support/actors';
import { bootApp, TestApp } from '../support/app';
import { databaseKind } from '../support/database';
import { invoicingTeam } from '../support/invoicing-accounts';
import { readSecret } from '../support/secrets';
import type { InvoicingWorld } from '../support/invoicing-subject';
import { INVOICING_SUBJECTS } from '../support/invoicing-subjects';

/*
 * An expired access token, as each provider answers it (401), met by the push and by the import:
 * refreshed once through the integration session, the rotated refresh token stored, the request
 * sent again; and a refused refresh marks the integration as needing reconnect.
 */

describe.each(INVOICING_SUBJECTS)(
  `refreshing $name's access token (${databaseKind()})`,
  (subject) => {
    let world: InvoicingWorld;
    let t: TestApp;
    let team: Team;
    let ann: Actor;
    let project: Project;
    let integration: Integration;
    let reconciler: InvoicingReconciler;
    let day = 0;

    beforeAll(async () => {
      world = await subject.start();
      t = await bootApp({ env: world.env() });
      const factory = new Factory(t.dataSource);
      ({ team, ann, integration, project } = await invoicingTeam(t, factory, world, {
        require_approval: false,
      }));
      reconciler = t.app.get(InvoicingReconciler);
    });

    afterAll(async () => {
      await t?.close();
      await world?.stop();
    });

    const stored = () => t.dataSource.manager.findOneByOrFail(Integration, { id: integration.id });
    const accessTokenOf = (row: Integration) =>
      readSecret(t, 'integrations.access_token', row.id, row.accessToken);
    const entriesOf = (title: string) =>
      world.entries().filter((entry) => entry.description.includes(title));

    /** A billable hour of Ann's on its own past day, due for the push. */
    async function createBlock(): Promise<{ id: number; title: string }> {
      day += 1;
      const date = new Date(Date.UTC(2026, 0, 1 + day)).toISOString().slice(0, 10);
      const title = `Refreshed review ${day}`;
      const response = await ann.post(team.url('/time-blocks')).send({
        title,
        start_time: `${date}T09:00:00`,
        end_time: `${date}T10:00:00`,
        timezone: 'Europe/Amsterdam',
        project_id: project.id,
        is_billable: true,
      });
      expect(response.status).toBe(201);
      return { id: (response.body as { id: number }).id, title };
    }

    it('the push refreshes a refused token once, stores the new tokens and books', async () => {
      const before = await stored();
      world.expireAccessToken();
      const first = await createBlock();

      await reconciler.drain();

      expect(entriesOf(first.title)).toHaveLength(1);
      expect(await t.dataSource.manager.findOneByOrFail(TimeBlock, { id: first.id })).toMatchObject(
        { invoicingSyncStatus: 'synced', invoicingSyncError: null },
      );
      const after = await stored();
      expect(after.needsReconnect).toBeFalsy();
      expect(accessTokenOf(after)).not.toBe(accessTokenOf(before));

      // What was stored refreshes again: a rotated refresh token (Xero, Moneybird) was kept,
      // since the one it replaced no longer works.
      world.expireAccessToken();
      const second = await createBlock();
      await reconciler.drain();

      expect(entriesOf(second.title)).toHaveLength(1);
      expect((await stored()).needsReconnect).toBeFalsy();
    });

    it('the import refreshes a refused token once and imports', async () => {
      await world.rename('project', world.fixtures.projectExternalId, 'Website, renewed');
      world.expireAccessToken();

      const response = await team.admin.post(team.url(`/integrations/${integration.id}/import`));

      expect(response.status).toBe(200);
      expect(await t.dataSource.manager.findOneByOrFail(Project, { id: project.id })).toMatchObject(
        { name: 'Website, renewed' },
      );
      expect((await stored()).needsReconnect).toBeFalsy();
    });

    it('a refused refresh marks the integration as needing reconnect, and books nothing', async () => {
      world.expireAccessToken();
      world.refuseNextRefresh();
      const { id, title } = await createBlock();

      await reconciler.drain();

      expect((await stored()).needsReconnect).toBe(true);
      expect(entriesOf(title)).toEqual([]);
      // The block waits for the reconnect rather than failing (a create it wrote ahead is
      // resolved by the lookup once the account is back).
      expect(await t.dataSource.manager.findOneByOrFail(TimeBlock, { id })).toMatchObject({
        invoicingSyncStatus: 'pending',
        invoicingSyncError: null,
      });
      const sent = world.requestCount();
      await reconciler.drain();
      expect(world.requestCount()).toBe(sent);

      const imported = await team.admin.post(team.url(`/integrations/${integration.id}/import`));
      expect(imported.status).toBe(409);
      expect(imported.body.code).toBe('needs_reconnect');
    });
  },
);
