import { IsNull, Not } from 'typeorm';
import { Integration } from '../../src/integrations/integration.entity';
import { Project } from '../../src/projects/project.entity';
import { InvoicingLocks } from '../../src/sync/invoicing-locks';
import { InvoicingReconciler } from '../../src/sync/invoicing-reconciler';
import { TimeBlock } from '../../src/time-blocks/time-block.entity';
import { User } from '../../src/users/user.entity';
import { Factory } from '../factories';
import { Actor, actingAs, Team } from '../support/actors';
import { bootApp, TestApp } from '../support/app';
import { databaseKind } from '../support/database';
import type { InvoicingWorld } from '../support/invoicing-subject';
import { invoicingTeam } from '../support/invoicing-accounts';
import { INVOICING_ACCOUNT_KINDS } from '../support/invoicing-subjects';
import { harvestTimestampSubject } from '../support/invoicing-subjects/harvest';

/*
 * Approved billable time out, exactly once, per invoicing provider: blocks written and approved
 * through the API, the invoicing reconciler run as the worker runs it, danwel's real clients
 * talking to the provider's emulator, and the outcome checked where the bookkeeper would look —
 * the time entries in the account — and on the block.
 */

describe.each(INVOICING_ACCOUNT_KINDS)(
  `pushing billable time to $label (${databaseKind()})`,
  (subject) => {
    let world: InvoicingWorld;
    let t: TestApp;
    let factory: Factory;
    let team: Team;
    let member: Actor;
    let project: Project;
    let integration: Integration;
    let reconciler: InvoicingReconciler;
    let day = 0;

    beforeAll(async () => {
      world = await subject.start();
      t = await bootApp({ env: { ...world.env(), SYNC_BACKOFF_BASE_SECONDS: '30' } });
      factory = new Factory(t.dataSource);
      ({
        team,
        ann: member,
        integration,
        project,
      } = await invoicingTeam(t, factory, world, { require_approval: true }));
      reconciler = t.app.get(InvoicingReconciler);
    });

    afterAll(async () => {
      await t?.close();
      await world?.stop();
    });

    /** A 53-minute billable block of Ann's (09:07:40–10:00:10 Amsterdam), on its own past day. */
    async function createBlock(values: Record<string, unknown> = {}): Promise<number> {
      day += 1;
      const date = new Date(Date.UTC(2026, 2, 1 + day)).toISOString().slice(0, 10);
      const response = await member.post(team.url('/time-blocks')).send({
        title: `Design review ${day}`,
        description: 'Wireframes',
        start_time: `${date}T09:07:40`,
        end_time: `${date}T10:00:10`,
        timezone: 'Europe/Amsterdam',
        project_id: project.id,
        is_billable: true,
        ...values,
      });
      expect(response.status).toBe(201);
      return (response.body as { id: number }).id;
    }

    const approve = async (...ids: number[]) => {
      const response = await team.admin.post(team.url('/time-blocks/approve')).send({ ids });
      expect(response.status).toBe(200);
    };

    const edit = async (id: number, values: Record<string, unknown>) => {
      const response = await member.patch(team.url(`/time-blocks/${id}`)).send(values);
      expect(response.status).toBe(200);
    };

    const block = (id: number) =>
      t.dataSource.manager.findOneOrFail(TimeBlock, { where: { id }, withDeleted: true });

    /** The account's entries that carry the block's text (each block's title is its own). */
    const entriesOf = (title: string) =>
      world.entries().filter((entry) => entry.description.includes(title));

    async function approvedBlock(values: Record<string, unknown> = {}) {
      const id = await createBlock(values);
      await approve(id);
      return id;
    }

    /** Time travel: every backoff and pause is over. */
    async function everythingDue(): Promise<void> {
      await t.dataSource.manager.update(
        TimeBlock,
        { invoicingSyncRetryAt: Not(IsNull()) },
        { invoicingSyncRetryAt: null },
      );
      await t.dataSource.manager.update(
        Integration,
        { syncRetryAt: Not(IsNull()) },
        { syncRetryAt: null },
      );
    }

    it('books an approved billable block once, rounded up to the quarter, on its local date', async () => {
      const id = await approvedBlock();
      const waiting = await createBlock();
      const row = await block(id);

      await reconciler.drain();
      await reconciler.drain();

      const [entry, ...more] = entriesOf(row.title);
      expect(more).toEqual([]);
      expect(entry).toMatchObject({
        spentDate: row.startTime.toISOString().slice(0, 10),
        minutes: 60,
        projectExternalId: world.fixtures.projectExternalId,
      });
      expect(entry.description).toContain('Wireframes');
      // A timestamp account gets the start as planned (to the minute) and the end the rounded
      // duration later; the others a duration only.
      expect(entry.times).toEqual(
        subject === harvestTimestampSubject ? { started: '9:07am', ended: '10:07am' } : null,
      );
      expect(await block(id)).toMatchObject({
        invoicingSyncStatus: 'synced',
        externalInvoicingEntryId: entry.externalId,
        invoicingSyncError: null,
        // The raw times stay as planned.
        startTime: row.startTime,
        endTime: row.endTime,
      });
      // Not approved yet: nothing booked.
      expect(entriesOf((await block(waiting)).title)).toEqual([]);
    });

    it('books on the local date of the block’s zone, not the UTC one', async () => {
      day += 1;
      const date = new Date(Date.UTC(2026, 2, 1 + day)).toISOString().slice(0, 10);
      const id = await approvedBlock({
        start_time: `${date}T00:15:00`,
        end_time: `${date}T01:15:00`,
        timezone: 'Europe/Amsterdam',
      });
      await reconciler.drain();

      const row = await block(id);
      expect(row.startTime.toISOString().slice(0, 10)).not.toBe(date);
      expect(entriesOf(row.title)).toMatchObject([{ spentDate: date, minutes: 60 }]);
    });

    it('updates the entry in place when the block changes', async () => {
      const id = await approvedBlock();
      await reconciler.drain();
      const before = (await block(id)).externalInvoicingEntryId;

      await edit(id, { title: 'Design review, longer', end_time: undefined });
      await approve(id);
      await t.dataSource.manager.update(TimeBlock, id, {
        endTime: new Date((await block(id)).startTime.getTime() + 100 * 60_000),
      });
      await edit(id, { description: 'Wireframes and flows' });
      await approve(id);
      await reconciler.drain();

      const row = await block(id);
      expect(row.externalInvoicingEntryId).toBe(before);
      expect(row.invoicingSyncStatus).toBe('synced');
      const entries = world.entries().filter((e) => e.externalId === before);
      expect(entries).toMatchObject([{ minutes: 105 }]);
      if (subject === harvestTimestampSubject) {
        expect(entries[0].times).toEqual({ started: '9:07am', ended: '10:52am' });
      }
      expect(entries[0].description).toContain('Wireframes and flows');
      expect(entriesOf('Design review, longer')).toHaveLength(1);
    });

    it('removes the entry when the block is deleted, rejected or made non-billable', async () => {
      const deleted = await approvedBlock();
      const rejected = await approvedBlock();
      const unbilled = await approvedBlock();
      await reconciler.drain();
      const titles = await Promise.all(
        [deleted, rejected, unbilled].map(async (id) => (await block(id)).title),
      );
      for (const title of titles) expect(entriesOf(title)).toHaveLength(1);

      expect((await member.delete(team.url(`/time-blocks/${deleted}`))).status).toBe(204);
      const rejection = await team.admin
        .post(team.url('/time-blocks/reject'))
        .send({ ids: [rejected], note: 'Not billable to Globex' });
      expect(rejection.status).toBe(200);
      await edit(unbilled, { is_billable: false });
      await reconciler.drain();

      for (const title of titles) expect(entriesOf(title)).toEqual([]);
      expect(await block(deleted)).toMatchObject({
        invoicingSyncStatus: 'synced',
        externalInvoicingEntryId: null,
      });
      expect(await block(rejected)).toMatchObject({
        invoicingSyncStatus: 'disabled',
        externalInvoicingEntryId: null,
      });
      expect(await block(unbilled)).toMatchObject({ externalInvoicingEntryId: null });
    });

    it('books once when the answer to the create is lost', async () => {
      const id = await approvedBlock();
      world.loseNextResponse();
      // The backoff's jitter at its longest (5 s): a 1-second retry, which MySQL's whole-second
      // DATETIME can shorten to half, would otherwise come due inside this drain on a slow machine.
      const jitter = jest.spyOn(Math, 'random').mockReturnValue(0.999);
      try {
        await reconciler.drain();
      } finally {
        jitter.mockRestore();
      }
      const title = (await block(id)).title;
      // The create was applied; danwel never heard, and its write-ahead says so.
      expect(entriesOf(title)).toHaveLength(1);
      expect((await block(id)).externalInvoicingEntryId).toMatch(/^unconfirmed:/);

      await everythingDue();
      await reconciler.drain();

      const entries = entriesOf(title);
      expect(entries).toHaveLength(1);
      expect(await block(id)).toMatchObject({
        invoicingSyncStatus: 'synced',
        externalInvoicingEntryId: entries[0].externalId,
      });
    });

    it('books once when the worker died between the write-ahead and the answer', async () => {
      const id = await approvedBlock();
      // A worker that recorded its intent, sent the create and was killed before the answer.
      const row = await block(id);
      world.loseNextResponse();
      await reconciler.drain();
      await t.dataSource.manager.update(TimeBlock, id, {
        invoicingSyncRetryAt: null,
        invoicingSyncAttempts: 0,
        invoicingSyncError: null,
      });
      await reconciler.drain();

      expect(entriesOf(row.title)).toHaveLength(1);
      expect((await block(id)).invoicingSyncStatus).toBe('synced');
    });

    it('waits out a 429 for as long as the provider’s Retry-After says', async () => {
      const id = await approvedBlock();
      world.throttleNext(120);
      const before = Date.now();
      await reconciler.drain();

      const title = (await block(id)).title;
      expect(entriesOf(title)).toEqual([]);
      const paused = await t.dataSource.manager.findOneByOrFail(Integration, {
        id: integration.id,
      });
      const waitSeconds = (paused.syncRetryAt!.getTime() - before) / 1000;
      expect(waitSeconds).toBeGreaterThan(100);
      expect(waitSeconds).toBeLessThan(140);
      expect((await block(id)).invoicingSyncStatus).toBe('pending');
      // Nothing more is sent before then.
      const sent = world.requestCount();
      await reconciler.drain();
      expect(world.requestCount()).toBe(sent);

      await everythingDue();
      await reconciler.drain();
      expect(entriesOf(title)).toHaveLength(1);
    });

    it('backs a block off on a server error and books it later', async () => {
      const id = await approvedBlock();
      world.failNext();
      await reconciler.drain();
      const failed = await block(id);
      expect(failed.invoicingSyncStatus).toBe('pending');
      expect(failed.invoicingSyncAttempts).toBe(1);
      expect(failed.invoicingSyncRetryAt!.getTime()).toBeGreaterThan(Date.now());

      await everythingDue();
      await reconciler.drain();
      expect(entriesOf(failed.title)).toHaveLength(1);
      expect((await block(id)).invoicingSyncStatus).toBe('synced');
    });

    it('leaves a block on a local project alone', async () => {
      const local = await factory.project(team.organization, { name: 'Internal' });
      const id = await approvedBlock({ project_id: local.id });
      await reconciler.drain();
      expect(entriesOf((await block(id)).title)).toEqual([]);
      expect(await block(id)).toMatchObject({
        invoicingSyncStatus: 'disabled',
        externalInvoicingEntryId: null,
      });
    });

    it('sends an invoiced entry’s block to billing with the invoice, and refuses billing edits', async () => {
      const id = await approvedBlock();
      await reconciler.drain();
      const entryId = (await block(id)).externalInvoicingEntryId!;
      const reference = await world.invoiceEntry(entryId);

      expect(await t.app.get(InvoicingLocks).check()).toMatchObject({
        moved: expect.any(Number),
        failed: [],
      });

      const row = await block(id);
      expect(row.approvalStatus).toBe('sent_to_billing');
      expect(row.invoiceReference).toBe(reference);
      const refused = await member.patch(team.url(`/time-blocks/${id}`)).send({
        start_time: new Date(row.startTime.getTime() - 30 * 60_000).toISOString(),
      });
      expect(refused.status).toBe(409);
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(refused.body.detail).toMatch(/sent to billing/);
      expect(refused.body.locked_fields).toEqual(['start_time']);
    });

    it('says which account a lock check failed for and why, until a check succeeds', async () => {
      const id = await approvedBlock();
      await reconciler.drain();
      const entryId = (await block(id)).externalInvoicingEntryId!;
      await world.invoiceEntry(entryId);
      const locks = t.app.get(InvoicingLocks);
      const shown = async () =>
        (await team.admin.get(team.url(`/integrations/${integration.id}`))).body as {
          last_error: string | null;
        };

      // Only this entry: every read counts against the account's request budget.
      const only = { integrationId: integration.id, entryIds: [entryId] };
      world.failNext();
      const failed = await locks.check(only);

      expect(failed.moved).toBe(0);
      expect(failed.failed).toEqual([{ integrationId: integration.id, code: expect.any(String) }]);
      expect(failed.failed[0].code).not.toBe('internal');
      expect((await block(id)).approvalStatus).toBe('approved');
      expect((await shown()).last_error).toMatch(
        /^Checking for locked and invoiced entries failed: /,
      );

      expect(await locks.check(only)).toEqual({ moved: 1, failed: [] });
      expect((await block(id)).approvalStatus).toBe('sent_to_billing');
      expect((await shown()).last_error).toBeNull();
    });

    // Not for Xero: its Idempotency-Key replays the first answer, and a replay is only
    // questioned when it is over a minute old, so an entry deleted within a minute of its
    // creation is not booked again (a known gap, see docs/architecture.md "Invoicing").
    if (subject.name !== 'xero') {
      it('books a block again when its entry was deleted in the provider', async () => {
        const id = await approvedBlock({ title: 'Deleted upstream' });
        await reconciler.drain();
        const entryId = (await block(id)).externalInvoicingEntryId!;
        await world.deleteEntry(entryId);
        expect(entriesOf('Deleted upstream')).toHaveLength(0);

        const only = { integrationId: integration.id, entryIds: [entryId] };
        expect(await t.app.get(InvoicingLocks).check(only)).toEqual({ moved: 0, failed: [] });
        expect((await block(id)).invoicingSyncStatus).toBe('pending');
        await reconciler.drain();

        const row = await block(id);
        expect(row.invoicingSyncStatus).toBe('synced');
        expect(row.externalInvoicingEntryId).not.toBe(entryId);
        expect(entriesOf('Deleted upstream')).toHaveLength(1);
      });
    }

    it('never rewrites a locked entry: the block is sent to billing instead', async () => {
      const id = await approvedBlock();
      await reconciler.drain();
      const entryId = (await block(id)).externalInvoicingEntryId!;
      await world.lockEntry(entryId);
      const locked = world.entries().find((e) => e.externalId === entryId)!;

      await edit(id, { description: 'Changed after the lock' });
      await approve(id);
      await reconciler.drain();

      expect(world.entries().find((e) => e.externalId === entryId)).toEqual(locked);
      expect(await block(id)).toMatchObject({
        approvalStatus: 'sent_to_billing',
        invoicingSyncStatus: 'synced',
      });
    });

    it('says which user mapping is missing, and books once the member is known to the provider', async () => {
      const bob = await factory.user({ email: 'bob@elsewhere.test' });
      await factory.member(team.organization, bob, 'member');
      const asBob = await actingAs(t, bob);
      day += 1;
      const date = new Date(Date.UTC(2026, 2, 1 + day)).toISOString().slice(0, 10);
      const created = await asBob.post(team.url('/time-blocks')).send({
        title: `Bob's review ${day}`,
        start_time: `${date}T09:00:00`,
        end_time: `${date}T10:00:00`,
        timezone: 'Europe/Amsterdam',
        project_id: project.id,
        is_billable: true,
      });
      expect(created.status).toBe(201);
      const id = (created.body as { id: number }).id;
      await approve(id);
      await reconciler.drain();

      const failed = await block(id);
      if (!world.provider.bookingNeeds.user) {
        // Harvest books for the connected account: any member's time is bookable.
        expect(failed.invoicingSyncStatus).toBe('synced');
        expect(entriesOf(failed.title)).toHaveLength(1);
        return;
      }
      expect(failed.invoicingSyncStatus).toBe('error');
      expect(failed.invoicingSyncError).toContain('bob@elsewhere.test');
      expect(entriesOf(failed.title)).toEqual([]);
      // Bob reads why on his block.
      const shown = await asBob.get(team.url(`/time-blocks/${id}`));
      expect(shown.body).toMatchObject({
        invoicing_sync_status: 'error',
        invoicing_sync_error: failed.invoicingSyncError,
        sync_error: null,
      });

      // The member signs in with the address the provider knows; the block changes and goes again.
      // (Ann gives the address up first: addresses are unique.)
      await t.dataSource.manager.update(User, member.user.id, { email: 'ann.old@acme.test' });
      await t.dataSource.manager.update(User, bob.id, {
        email: world.fixtures.userEmail.toUpperCase(),
      });
      const edited = await asBob
        .patch(team.url(`/time-blocks/${id}`))
        .send({ description: 'Flows' });
      expect(edited.status).toBe(200);
      await approve(id);
      await reconciler.drain();

      expect(entriesOf(failed.title)).toHaveLength(1);
      expect(await block(id)).toMatchObject({
        invoicingSyncStatus: 'synced',
        invoicingSyncError: null,
      });
    });
  },
);
