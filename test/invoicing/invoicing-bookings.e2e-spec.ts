import { Integration } from '../../src/integrations/integration.entity';
import { InvoicingBooking } from '../../src/integrations/invoicing-booking.entity';
import { Project } from '../../src/projects/project.entity';
import { InvoicingReconciler } from '../../src/sync/invoicing-reconciler';
import { TimeBlock } from '../../src/time-blocks/time-block.entity';
import { User } from '../../src/users/user.entity';
import { Factory } from '../factories';
import { Actor, actingAs, auditActions, makeTeam, Team } from '../support/actors';
import { bootApp, TestApp } from '../support/app';
import { databaseKind } from '../support/database';
import type { InvoicingWorld } from '../support/invoicing-subject';
import { connectedInvoicing, invoicingTeam } from '../support/invoicing-accounts';
import { INVOICING_SUBJECTS } from '../support/invoicing-subjects';

/*
 * What each invoicing provider books time on — a project's task, a member's provider user —
 * shown with its defaults and changed through the API by an admin; a change books the block's
 * entry anew in the provider's emulator, through danwel's real client and the reconciler.
 */

interface Booked {
  external_id: string;
  chosen_by: 'default' | 'person';
}

interface BookingsBody {
  provider: string;
  needs: { task: boolean; user: boolean };
  projects: {
    project_id: number;
    task: Booked | null;
    available_tasks: { external_id: string }[];
    missing: string | null;
  }[];
  members: {
    user_id: number;
    email: string;
    provider_user: Booked | null;
    missing: string | null;
  }[];
  available_users: { external_id: string; email: string | null }[];
  next_cursor: string | null;
}

describe.each(INVOICING_SUBJECTS)(`what $name books time on (${databaseKind()})`, (subject) => {
  let world: InvoicingWorld;
  let t: TestApp;
  let factory: Factory;
  let team: Team;
  let ann: Actor;
  let bob: Actor;
  let project: Project;
  let integration: Integration;
  let reconciler: InvoicingReconciler;
  let day = 0;

  beforeAll(async () => {
    world = await subject.start();
    t = await bootApp({ env: world.env() });
    factory = new Factory(t.dataSource);
    ({ team, ann, integration, project } = await invoicingTeam(t, factory, world, {
      require_approval: false,
    }));
    // Bob's address is not one the provider knows.
    const bobUser = await factory.user({ email: 'bob@elsewhere.test' });
    await factory.member(team.organization, bobUser, 'member');
    bob = await actingAs(t, bobUser);
    reconciler = t.app.get(InvoicingReconciler);
  });

  afterAll(async () => {
    await t?.close();
    await world?.stop();
  });

  const needs = () => world.provider.bookingNeeds;
  const bookingsUrl = (path = '') => team.url(`/integrations/${integration.id}/bookings${path}`);

  /** A one-hour billable block on its own past day (pushed once ended: no approval here). */
  async function createBlock(as: Actor): Promise<{ id: number; title: string }> {
    day += 1;
    const date = new Date(Date.UTC(2026, 1, 1 + day)).toISOString().slice(0, 10);
    const title = `Mapped review ${day}`;
    const response = await as.post(team.url('/time-blocks')).send({
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

  const block = (id: number) => t.dataSource.manager.findOneByOrFail(TimeBlock, { id });
  const entriesOf = (title: string) =>
    world.entries().filter((entry) => entry.description.includes(title));

  async function bookings(query: Record<string, string> = {}): Promise<BookingsBody> {
    const response = await team.admin.get(bookingsUrl()).query(query);
    expect(response.status).toBe(200);
    return response.body as BookingsBody;
  }

  it('shows each project with its default task and each member with the matched user', async () => {
    const body = await bookings();
    expect(body.needs).toEqual(needs());

    if (needs().task) {
      const [row, ...others] = body.projects;
      expect(others).toEqual([]);
      expect(row).toMatchObject({
        project_id: project.id,
        task: { external_id: world.fixtures.taskExternalId, chosen_by: 'default' },
        missing: null,
      });
      expect(row.available_tasks.map((task) => task.external_id)).toContain(
        world.fixtures.taskExternalId,
      );
    } else {
      expect(body.projects).toEqual([]);
    }

    if (needs().user) {
      const byEmail = new Map(body.members.map((m) => [m.email, m]));
      expect(byEmail.get(ann.user.email)).toMatchObject({
        provider_user: { external_id: world.fixtures.userExternalId, chosen_by: 'default' },
        missing: null,
      });
      expect(byEmail.get(bob.user.email)).toMatchObject({ provider_user: null });
      expect(byEmail.get(bob.user.email)!.missing).toContain('bob@elsewhere.test');
      expect(body.available_users.map((u) => u.external_id)).toContain(
        world.fixtures.userExternalId,
      );
    } else {
      expect(body.members).toEqual([]);
      expect(body.available_users).toEqual([]);
    }
  });

  it('re-books the entry on a task a person chose, and keeps the choice through an import', async () => {
    const { id, title } = await createBlock(ann);
    await reconciler.drain();
    expect(entriesOf(title)).toMatchObject([{ taskExternalId: world.fixtures.taskExternalId }]);
    // The default was stored when the block was first booked (where there are tasks).
    const stored = await t.dataSource.manager.findOneBy(InvoicingBooking, {
      projectId: project.id,
    });
    if (needs().task) {
      expect(stored).toMatchObject({
        chosenBy: 'default',
        externalId: world.fixtures.taskExternalId,
      });
    } else {
      expect(stored).toBeNull();
    }

    const research = await world.addTask(project.externalId!, 'Research');
    const chosen = await team.admin
      .put(bookingsUrl(`/projects/${project.id}`))
      .send({ task_external_id: research ?? 'none' });
    if (!needs().task) {
      expect(chosen.status).toBe(409);
      return;
    }
    expect(chosen.status).toBe(200);
    expect(chosen.body).toMatchObject({ task: { external_id: research, chosen_by: 'person' } });
    expect((await block(id)).invoicingSyncStatus).toBe('pending');
    expect(await auditActions(t, team.organization.id)).toContain('integration.booking_changed');

    await reconciler.drain();

    const [entry, ...more] = entriesOf(title);
    expect(more).toEqual([]);
    expect(entry.taskExternalId).toBe(research);
    expect(await block(id)).toMatchObject({
      invoicingSyncStatus: 'synced',
      externalInvoicingEntryId: entry.externalId,
    });

    const imported = await team.admin.post(team.url(`/integrations/${integration.id}/import`));
    expect(imported.status).toBe(200);
    const row = (await bookings()).projects.find((p) => p.project_id === project.id);
    expect(row?.task).toMatchObject({ external_id: research, chosen_by: 'person' });
  });

  it('re-books the entry for a provider user a person chose', async () => {
    const { id, title } = await createBlock(ann);
    await reconciler.drain();
    expect(entriesOf(title)).toHaveLength(1);

    const other = await world.addUser('ann.work@acme.test');
    const chosen = await team.admin
      .put(bookingsUrl(`/members/${ann.user.id}`))
      .send({ user_external_id: other });
    if (!needs().user) {
      expect(chosen.status).toBe(409);
      return;
    }
    expect(chosen.status).toBe(200);
    expect(chosen.body).toMatchObject({
      user_id: ann.user.id,
      provider_user: { external_id: other, chosen_by: 'person' },
      missing: null,
    });

    await reconciler.drain();

    const [entry, ...more] = entriesOf(title);
    expect(more).toEqual([]);
    expect(entry.userExternalId).toBe(other);
    expect(await block(id)).toMatchObject({
      invoicingSyncStatus: 'synced',
      externalInvoicingEntryId: entry.externalId,
    });
  });

  it('books a block that failed for want of a user once the member is mapped', async () => {
    const { id, title } = await createBlock(bob);
    await reconciler.drain();
    if (!needs().user) {
      // Harvest books for the connected account: any member's time is bookable.
      expect(entriesOf(title)).toHaveLength(1);
      return;
    }
    expect(await block(id)).toMatchObject({ invoicingSyncStatus: 'error' });
    expect((await block(id)).invoicingSyncError).toContain('bob@elsewhere.test');

    const bobs = await world.addUser('robert@acme.test');
    const chosen = await team.admin
      .put(bookingsUrl(`/members/${bob.user.id}`))
      .send({ user_external_id: bobs });
    expect(chosen.status).toBe(200);
    expect((await block(id)).invoicingSyncStatus).toBe('pending');

    await reconciler.drain();

    expect(entriesOf(title)).toMatchObject([{ userExternalId: bobs }]);
    expect(await block(id)).toMatchObject({
      invoicingSyncStatus: 'synced',
      invoicingSyncError: null,
    });
  });

  it('refuses an id the provider does not know with 422, and changes nothing', async () => {
    const before = await bookings();
    const rows = await t.dataSource.manager.find(InvoicingBooking);
    const audits = await auditActions(t, team.organization.id);

    const task = await team.admin
      .put(bookingsUrl(`/projects/${project.id}`))
      .send({ task_external_id: '999999999' });
    const user = await team.admin
      .put(bookingsUrl(`/members/${ann.user.id}`))
      .send({ user_external_id: '999999999' });
    const empty = await team.admin.put(bookingsUrl(`/projects/${project.id}`)).send({});

    if (needs().task) {
      expect(task.status).toBe(422);
      expect(task.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(task.body.errors).toHaveProperty('task_external_id');
    } else {
      expect(task.status).toBe(409);
    }
    if (needs().user) {
      expect(user.status).toBe(422);
      expect(user.body.errors).toHaveProperty('user_external_id');
    } else {
      expect(user.status).toBe(409);
    }
    expect(empty.status).toBe(422);
    expect(empty.body.errors).toHaveProperty('task_external_id');

    expect(await bookings()).toEqual(before);
    expect(await t.dataSource.manager.find(InvoicingBooking)).toEqual(rows);
    expect(await auditActions(t, team.organization.id)).toEqual(audits);
  });

  it('answers 404 for another organization’s integration or project and unknown ids', async () => {
    const others = await makeTeam(t, factory);
    const { integration: theirs, project: theirProject } = await connectedInvoicing(
      t,
      factory,
      world,
      others.organization,
      others.admin.user,
    );
    const local = await factory.project(team.organization, { name: 'Internal' });
    const outsider = await factory.user();
    const taskBody = { task_external_id: world.fixtures.taskExternalId ?? 'x' };
    const userBody = { user_external_id: world.fixtures.userExternalId ?? 'x' };
    const foreign = team.url(`/integrations/${theirs.id}/bookings`);

    expect((await team.admin.get(foreign)).status).toBe(404);
    expect(
      (await team.admin.put(`${foreign}/projects/${theirProject.id}`).send(taskBody)).status,
    ).toBe(404);
    expect((await team.admin.put(`${foreign}/members/${ann.user.id}`).send(userBody)).status).toBe(
      404,
    );
    // Our integration, with another organization's project, a local one, unknown ids.
    for (const projectId of [theirProject.id, local.id, 987654]) {
      const response = await team.admin.put(bookingsUrl(`/projects/${projectId}`)).send(taskBody);
      expect(response.status).toBe(404);
    }
    for (const userId of [outsider.id, others.admin.user.id, 987654]) {
      const response = await team.admin.put(bookingsUrl(`/members/${userId}`)).send(userBody);
      expect(response.status).toBe(404);
    }
    expect((await team.admin.get(team.url('/integrations/987654/bookings'))).status).toBe(404);
    // Their admin, our integration: not found either.
    expect(
      (await others.admin.get(others.url(`/integrations/${integration.id}/bookings`))).status,
    ).toBe(404);
    expect(
      await t.dataSource.manager.findOneBy(InvoicingBooking, { integrationId: theirs.id }),
    ).toBeNull();
  });

  it('lets admins and owners change the mappings, and nobody else see them', async () => {
    expect((await team.owner.get(bookingsUrl())).status).toBe(200);
    for (const actor of [team.member, team.viewer, ann]) {
      expect((await actor.get(bookingsUrl())).status).toBe(403);
      const task = await actor
        .put(bookingsUrl(`/projects/${project.id}`))
        .send({ task_external_id: 'x' });
      expect(task.status).toBe(403);
      const user = await actor
        .put(bookingsUrl(`/members/${ann.user.id}`))
        .send({ user_external_id: 'x' });
      expect(user.status).toBe(403);
    }
  });

  it('forgets a member’s mapping when they leave', async () => {
    const carol = await factory.user({ email: 'carol@acme.test' });
    await factory.member(team.organization, carol, 'member');
    const carols = await world.addUser('carol.c@acme.test');
    const chosen = await team.admin
      .put(bookingsUrl(`/members/${carol.id}`))
      .send({ user_external_id: carols });
    expect(chosen.status).toBe(needs().user ? 200 : 409);
    expect(await t.dataSource.manager.countBy(InvoicingBooking, { externalId: carols })).toBe(
      needs().user ? 1 : 0,
    );
    const asCarol = await actingAs(t, carol);
    expect((await asCarol.delete(team.url(`/members/${carol.id}`))).status).toBe(204);

    const left = await t.dataSource.manager.find(InvoicingBooking, {
      where: { externalId: carols },
    });
    expect(left).toEqual([]);
    await t.dataSource.manager.findOneByOrFail(User, { id: carol.id });
  });

  it('lists a large account a page of projects at a time, in a bounded number of requests', async () => {
    const PAGE = 25;
    const bulk: number[] = [];
    for (let i = 0; i < 30; i++) {
      const name = `Bulk ${String(i).padStart(2, '0')}`;
      const externalId = await world.addProject(name, world.fixtures.contactExternalId);
      await world.addTask(externalId, `Work on ${name}`);
      const added = await factory.project(team.organization, {
        name,
        integrationId: integration.id,
        externalId,
      });
      bulk.push(added.id);
    }
    const sent = () => world.requests().length;

    const before = sent();
    const first = await bookings();
    const firstCost = sent() - before;
    const second = await bookings({ cursor: first.next_cursor ?? 'none' });
    const secondCost = sent() - before - firstCost;

    const ids = (body: BookingsBody) => body.projects.map((row) => row.project_id);
    if (!needs().task) {
      expect(first).toMatchObject({ projects: [], next_cursor: null });
      expect(firstCost).toBeLessThanOrEqual(2);
      return;
    }
    expect(first.projects).toHaveLength(PAGE);
    expect(first.next_cursor).not.toBeNull();
    expect(second.next_cursor).toBeNull();
    expect([...ids(first), ...ids(second)].sort((a, b) => a - b)).toEqual(
      [...bulk, project.id].sort((a, b) => a - b),
    );
    for (const row of [...first.projects, ...second.projects]) {
      if (bulk.includes(row.project_id)) {
        expect(row).toMatchObject({ task: { chosen_by: 'default' }, missing: null });
      }
    }
    if (world.provider.listAccountTasks) {
      // Every project's tasks in one account-wide read (again once: the new projects were
      // missing from the read cached before), and nothing more for the second page.
      expect(firstCost).toBeGreaterThanOrEqual(1);
      expect(firstCost).toBeLessThanOrEqual(2);
      expect(secondCost).toBe(0);
    } else {
      // One read per project on the page, and one of the users where the provider needs them.
      expect(firstCost).toBeLessThanOrEqual(PAGE + 1);
      expect(secondCost).toBeLessThanOrEqual(second.projects.length + 1);
    }

    const tooMany = await team.admin.get(bookingsUrl()).query({ limit: PAGE + 1 });
    expect(tooMany.status).toBe(422);
    expect(tooMany.body.errors).toHaveProperty('limit');
    const forged = await team.admin.get(bookingsUrl()).query({ cursor: 'not-a-cursor' });
    expect(forged.status).toBe(422);
    expect(forged.body.errors).toHaveProperty('cursor');
    const small = await bookings({ limit: '10' });
    expect(ids(small)).toEqual(ids(first).slice(0, 10));
  });
});
