import {
  billableMinutes,
  EntryContent,
  InvoicingError,
  ListOptions,
  ListPage,
} from '../../src/invoicing/invoicing-provider';
import type { InvoicingWorld } from '../support/invoicing-subject';
import { INVOICING_SUBJECTS } from '../support/invoicing-subjects';

/**
 * The invoicing provider contract: what every provider's client must do against its emulator,
 * through danwel's real client. Each subject sets up one account (test/support/invoicing-subjects);
 * only what differs between providers lives there.
 */

/** Rejects with the InvoicingError the call throws. */
async function invoicingError(call: Promise<unknown>): Promise<InvoicingError> {
  try {
    await call;
  } catch (error) {
    if (error instanceof InvoicingError) return error;
    throw error;
  }
  throw new Error('expected an InvoicingError, the call succeeded');
}

/** Every page of a listing, and how many pages it took. */
async function allPages<T>(
  list: (options: ListOptions) => Promise<ListPage<T>>,
  since: Date | null = null,
): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let page: string | null = null;
  let pages = 0;
  do {
    const answer: ListPage<T> = await list({ since, page });
    items.push(...answer.items);
    page = answer.next;
    pages++;
    if (pages > 50) throw new Error('the listing does not end');
  } while (page !== null);
  return { items, pages };
}

describe.each(INVOICING_SUBJECTS)('invoicing contract: $name', (subject) => {
  let world: InvoicingWorld;
  let nextBlockId = 1000;

  beforeEach(async () => {
    world = await subject.start();
  });
  afterEach(() => world.stop());

  /** A 53-minute block at 09:07 Amsterdam time on 10 March: books an hour. */
  const content = (overrides: Partial<EntryContent> = {}): EntryContent => {
    const f = world.fixtures;
    const start = overrides.start ?? new Date('2026-03-10T08:07:40Z');
    const end = overrides.end ?? new Date('2026-03-10T09:00:10Z');
    return {
      blockId: nextBlockId++,
      start,
      end,
      timeZone: 'Europe/Amsterdam',
      spentDate: '2026-03-10',
      minutes: billableMinutes(start, end),
      description: 'Design review',
      billable: true,
      projectExternalId: f.projectExternalId,
      taskExternalId: f.taskExternalId,
      userExternalId: f.userExternalId,
      contactExternalId: f.contactExternalId,
      ...overrides,
    };
  };

  const stored = (externalId: string) => {
    const entry = world.entries().find((e) => e.externalId === externalId);
    if (!entry) throw new Error(`no stored entry ${externalId}`);
    return entry;
  };

  describe('importing', () => {
    it('lists the account the token reaches', async () => {
      const accounts = await world.provider.listAccounts(world.access().accessToken);
      expect(accounts).toContainEqual({
        externalId: world.fixtures.accountId,
        name: world.fixtures.accountName,
      });
    });

    it('pages contacts to the end, archived ones included', async () => {
      const added: string[] = [];
      for (let i = 0; i < world.pageSize + 3; i++) {
        added.push(await world.addContact(`Contact ${String(i).padStart(3, '0')}`));
      }
      await world.archive('contact', added[7]);

      const { items, pages } = await allPages((o) =>
        world.provider.listContacts(world.access(), o),
      );

      expect(pages).toBeGreaterThan(1);
      const ids = items.map((c) => c.externalId);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toEqual(expect.arrayContaining([world.fixtures.contactExternalId, ...added]));
      expect(items.find((c) => c.externalId === added[7])).toMatchObject({
        name: 'Contact 007',
        archived: true,
      });
      expect(items.find((c) => c.externalId === world.fixtures.contactExternalId)).toMatchObject({
        name: world.fixtures.contactName,
        archived: false,
      });
    });

    it('pages projects to the end, archived ones included', async () => {
      const added: string[] = [];
      for (let i = 0; i < world.pageSize + 3; i++) {
        added.push(
          await world.addProject(
            `Project ${String(i).padStart(3, '0')}`,
            world.fixtures.contactExternalId,
          ),
        );
      }
      await world.archive('project', added[5]);

      const { items, pages } = await allPages((o) =>
        world.provider.listProjects(world.access(), o),
      );

      expect(pages).toBeGreaterThan(1);
      const ids = items.map((p) => p.externalId);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toEqual(expect.arrayContaining([world.fixtures.projectExternalId, ...added]));
      expect(items.find((p) => p.externalId === added[5])).toMatchObject({
        name: 'Project 005',
        archived: true,
      });
      expect(items.find((p) => p.externalId === world.fixtures.projectExternalId)).toMatchObject({
        name: world.fixtures.projectName,
        archived: false,
      });
    });

    it('lists only the contacts changed since a moment, archives included', async () => {
      const untouched = await world.addContact('Untouched');
      const since = await world.checkpoint();
      const added = await world.addContact('Initech');
      await world.archive('contact', world.fixtures.contactExternalId);

      const { items } = await allPages(
        (o) => world.provider.listContacts(world.access(), o),
        since,
      );

      expect(items.map((c) => c.externalId).sort()).toEqual(
        [added, world.fixtures.contactExternalId].sort(),
      );
      expect(items.find((c) => c.externalId === untouched)).toBeUndefined();
      expect(items.find((c) => c.externalId === world.fixtures.contactExternalId)).toMatchObject({
        archived: true,
      });
    });

    it('lists the projects changed since a moment (all of them where it cannot filter)', async () => {
      const since = await world.checkpoint();
      const added = await world.addProject('Rebrand', world.fixtures.contactExternalId);

      const { items } = await allPages(
        (o) => world.provider.listProjects(world.access(), o),
        since,
      );

      expect(items.find((p) => p.externalId === added)).toMatchObject({
        name: 'Rebrand',
        archived: false,
      });
    });

    it('lists the users, and the tasks a project books on', async () => {
      const users = await world.provider.listUsers(world.access());
      const user = users.find((u) => u.email === world.fixtures.userEmail);
      expect(user).toBeDefined();
      if (world.fixtures.userExternalId !== null) {
        expect(user!.externalId).toBe(world.fixtures.userExternalId);
      }

      const tasks = await world.provider.listTasks(
        world.access(),
        world.fixtures.projectExternalId,
      );
      if (world.provider.bookingNeeds.task) {
        expect(tasks.find((t) => t.externalId === world.fixtures.taskExternalId)).toMatchObject({
          billable: true,
          active: true,
        });
      } else {
        expect(tasks).toEqual([]);
      }
    });
  });

  describe('time entries', () => {
    it('creates one entry: the rounded duration on the block’s date, project, task and user', async () => {
      const block = content();
      const entry = await world.provider.createEntry(world.access(), block);

      expect(block.minutes).toBe(60);
      expect(entry).toMatchObject({
        spentDate: '2026-03-10',
        minutes: 60,
        projectExternalId: world.fixtures.projectExternalId,
        taskExternalId: world.fixtures.taskExternalId,
        userExternalId: world.fixtures.userExternalId,
        billing: 'open',
        invoiceReference: null,
      });
      expect(entry.description).toContain('Design review');
      expect(world.entries()).toHaveLength(1);
      expect(stored(entry.externalId)).toMatchObject({
        spentDate: '2026-03-10',
        minutes: 60,
        projectExternalId: world.fixtures.projectExternalId,
        billable: true,
      });
      expect(stored(entry.externalId).description).toContain('Design review');
    });

    it('expresses the rounded duration in the fields it sends', () => {
      const fields = world.provider.durationFields(content());
      expect(Object.keys(fields).length).toBeGreaterThan(0);
      expect(
        world.provider.durationFields(content({ end: new Date('2026-03-10T09:30:00Z') })),
      ).not.toEqual(fields);
    });

    it('finds the entry of a create whose answer was lost, and never makes a second one', async () => {
      const block = content();
      world.loseNextResponse();
      const lost = await invoicingError(world.provider.createEntry(world.access(), block));
      expect(lost.failure.kind).toBe('retryable');
      expect(world.entries()).toHaveLength(1);

      const found = await world.provider.findEntry(world.access(), block);
      expect(found).not.toBeNull();
      expect(found!.externalId).toBe(world.entries()[0].externalId);

      const again = await world.provider.createEntry(world.access(), block);
      expect(again.externalId).toBe(found!.externalId);
      expect(world.entries()).toHaveLength(1);
    });

    it('finds the entry of a lost create without its project, once the block left the account’s projects', async () => {
      const block = content();
      world.loseNextResponse();
      await invoicingError(world.provider.createEntry(world.access(), block));
      // Another project of the account, which holds no entry of the block.
      await world.addProject('Elsewhere', world.fixtures.contactExternalId);

      // The reconciler knows no project for a block moved to a local one: it asks with none.
      const found = await world.provider.findEntry(world.access(), {
        ...block,
        projectExternalId: '',
        taskExternalId: null,
        userExternalId: null,
        contactExternalId: null,
      });
      expect(found?.externalId).toBe(world.entries()[0].externalId);
    });

    it('finds nothing for a block that has no entry, even beside another block’s', async () => {
      await world.provider.createEntry(world.access(), content());
      expect(await world.provider.findEntry(world.access(), content())).toBeNull();
    });

    it('overwrites the entry on update', async () => {
      const block = content();
      const entry = await world.provider.createEntry(world.access(), block);
      const changed = {
        ...block,
        start: new Date('2026-03-11T13:00:00Z'),
        end: new Date('2026-03-11T14:50:00Z'),
        spentDate: '2026-03-11',
        minutes: billableMinutes(
          new Date('2026-03-11T13:00:00Z'),
          new Date('2026-03-11T14:50:00Z'),
        ),
        description: 'Workshop',
      };

      const updated = await world.provider.updateEntry(world.access(), entry.externalId, changed);

      expect(updated).toMatchObject({
        externalId: entry.externalId,
        spentDate: '2026-03-11',
        minutes: 120,
      });
      expect(world.entries()).toHaveLength(1);
      expect(stored(entry.externalId)).toMatchObject({ spentDate: '2026-03-11', minutes: 120 });
      expect(stored(entry.externalId).description).toContain('Workshop');
      expect(stored(entry.externalId).description).not.toContain('Design review');
    });

    it('overwrites an edit made in the provider', async () => {
      const block = content();
      const entry = await world.provider.createEntry(world.access(), block);
      await world.editEntry(entry.externalId, { description: 'Changed by hand' });

      await world.provider.updateEntry(world.access(), entry.externalId, block);

      expect(stored(entry.externalId).description).toContain('Design review');
      expect(stored(entry.externalId).description).not.toContain('Changed by hand');
    });

    it('updating an entry deleted in the provider fails `gone`', async () => {
      const block = content();
      const entry = await world.provider.createEntry(world.access(), block);
      await world.deleteEntry(entry.externalId);

      const error = await invoicingError(
        world.provider.updateEntry(world.access(), entry.externalId, block),
      );
      expect(error.failure.kind).toBe('gone');
    });

    it('deletes the entry, and deleting it again succeeds', async () => {
      const entry = await world.provider.createEntry(world.access(), content());

      await world.provider.deleteEntry(world.access(), entry.externalId);
      expect(world.entries()).toHaveLength(0);
      await world.provider.deleteEntry(world.access(), entry.externalId);

      expect(await world.provider.readEntry(world.access(), entry.externalId)).toBeNull();
    });

    it('reads an entry as open, then invoiced with the invoice reference', async () => {
      const entry = await world.provider.createEntry(world.access(), content());
      expect(await world.provider.readEntry(world.access(), entry.externalId)).toMatchObject({
        externalId: entry.externalId,
        billing: 'open',
        invoiceReference: null,
      });

      const reference = await world.invoiceEntry(entry.externalId);

      expect(await world.provider.readEntry(world.access(), entry.externalId)).toMatchObject({
        externalId: entry.externalId,
        billing: 'invoiced',
        invoiceReference: reference,
      });
    });

    it('reads a locked entry as locked', async () => {
      const entry = await world.provider.createEntry(world.access(), content());
      await world.lockEntry(entry.externalId);

      expect(await world.provider.readEntry(world.access(), entry.externalId)).toMatchObject({
        externalId: entry.externalId,
        billing: 'locked',
      });
    });

    it.each(['locked', 'invoiced'] as const)(
      'refuses to update an entry that is %s, permanently, and leaves it as it was',
      async (state) => {
        const block = content();
        const entry = await world.provider.createEntry(world.access(), block);
        if (state === 'locked') await world.lockEntry(entry.externalId);
        else await world.invoiceEntry(entry.externalId);
        const before = stored(entry.externalId);

        const error = await invoicingError(
          world.provider.updateEntry(world.access(), entry.externalId, {
            ...block,
            description: 'Rewritten',
          }),
        );

        expect(error.failure.kind).toBe('permanent');
        expect(stored(entry.externalId)).toEqual(before);
      },
    );
  });

  describe('failures', () => {
    it('a refused access token is `unauthorized`', async () => {
      world.expireAccessToken();
      const error = await invoicingError(world.provider.listUsers(world.access()));
      expect(error.failure).toMatchObject({ kind: 'unauthorized', status: 401 });
      expect(error.failure.message).not.toContain(world.access().accessToken);
    });

    it('a 429 is `throttled` with the provider’s Retry-After in seconds', async () => {
      world.throttleNext(7);
      const error = await invoicingError(world.provider.createEntry(world.access(), content()));
      expect(error.failure).toMatchObject({ kind: 'throttled', status: 429 });
      expect(error.failure.retryAfterSeconds).toBeGreaterThanOrEqual(6);
      expect(error.failure.retryAfterSeconds).toBeLessThanOrEqual(8);
      expect(error.failure.message).not.toContain(world.access().accessToken);
      expect(world.entries()).toHaveLength(0);
    });

    it('a 5xx is `retryable`', async () => {
      world.failNext();
      const error = await invoicingError(
        world.provider.listProjects(world.access(), { since: null, page: null }),
      );
      expect(error.failure.kind).toBe('retryable');
      expect(error.failure.status).toBeGreaterThanOrEqual(500);
      expect(error.failure.message).not.toContain(world.access().accessToken);
    });

    it('states its documented request limits', () => {
      expect(world.provider.rateLimits.length).toBeGreaterThan(0);
      for (const limit of world.provider.rateLimits) {
        expect(limit.maxRequests).toBeGreaterThan(0);
        expect(limit.windowSeconds).toBeGreaterThan(0);
      }
    });
  });
});
