import type { AddressInfo } from 'node:net';
import { Integration } from '../../src/integrations/integration.entity';
import { INVOICING_IMPORT } from '../../src/integrations/invoicing-import-queue';
import { InvoicingWebhookRegistration } from '../../src/integrations/invoicing-webhook-registration';
import { Job } from '../../src/jobs/job.entity';
import { CHECK_INTEGRATION_LOCKS } from '../../src/sync/invoicing-lock-queue';
import { CHECK_INVOICING_LOCKS } from '../../src/sync/invoicing-locks';
import { TimeBlock } from '../../src/time-blocks/time-block.entity';
import { MoneybirdEmulator } from '../emulators/moneybird';
import { Factory } from '../factories';
import { Actor, Team } from '../support/actors';
import { bootApp, TestApp } from '../support/app';
import { PUBLIC_APP_URL } from '../support/calendar-accounts';
import { databaseKind } from '../support/database';
import { invoicingTeam } from '../support/invoicing-accounts';
import type { InvoicingWorld } from '../support/invoicing-subject';
import { startMoneybirdWorld } from '../support/invoicing-subjects/moneybird';
import { bookedBlock as bookedBlockOf } from './support';

/*
 * Moneybird's webhooks (`POST /api/v1/webhooks/moneybird/:integrationId`): danwel registers one
 * in the administration when it is chosen, moves it when another is chosen and removes it on
 * disconnect. The emulator delivers each entry and contact event to it (the registered https
 * address rewritten to the listening app): an invoice made in Moneybird sends the block to
 * billing through the worker, without the scheduled check; a delivery with another webhook's id
 * or a wrong token changes nothing.
 */

describe(`Moneybird's webhook (${databaseKind()})`, () => {
  let world: InvoicingWorld;
  let mb: MoneybirdEmulator;
  let t: TestApp;
  let team: Team;
  let ann: Actor;
  let integration: Integration;
  let projectId: number;
  let listening = '';
  let day = 0;

  beforeAll(async () => {
    ({ world, mb } = await startMoneybirdWorld({
      emulator: { notificationRewrite: (address) => address.replace(PUBLIC_APP_URL, listening) },
    }));
    t = await bootApp({ env: { ...world.env(), APP_URL: PUBLIC_APP_URL } });
    await t.app.listen(0, '127.0.0.1');
    listening = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    let project;
    ({ team, ann, integration, project } = await invoicingTeam(
      t,
      new Factory(t.dataSource),
      world,
      {
        require_approval: false,
      },
    ));
    projectId = project.id;
  });

  afterAll(async () => {
    await t?.close();
    await world?.stop();
  });

  const adm = () => world.fixtures.accountId;
  const address = () => `${PUBLIC_APP_URL}/api/v1/webhooks/moneybird/${integration.id}`;
  const jobs = (type?: string) => t.dataSource.manager.findBy(Job, type ? { type } : {});
  const block = (id: number) => t.dataSource.manager.findOneByOrFail(TimeBlock, { id });
  const row = () => t.dataSource.manager.findOneByOrFail(Integration, { id: integration.id });
  const shown = async () =>
    (await team.admin.get(team.url(`/integrations/${integration.id}`))).body as {
      webhook_registered: boolean;
    };

  async function choose(accountId: string): Promise<void> {
    const response = await team.admin
      .patch(team.url(`/integrations/${integration.id}`))
      .send({ provider_account_id: accountId });
    expect(response.status).toBe(200);
    await t.worker.drain();
  }

  /** A billable block of Ann's on its own past day, booked in the account. */
  async function bookedBlock(): Promise<{ id: number; entryId: string }> {
    day += 1;
    const booked = await bookedBlockOf(t, team, ann, projectId, day);
    const entryId = booked.entryId;
    expect(entryId).toMatch(/^\d{18}$/);
    await mb.webhooks.settled();
    return booked;
  }

  /** A delivery as Moneybird sends it, to the registered address. */
  const post = (body: Record<string, unknown>, integrationId = integration.id) =>
    t.http().post(`/api/v1/webhooks/moneybird/${integrationId}`).send(body);

  it('registers a webhook in the administration once it is chosen', async () => {
    expect((await shown()).webhook_registered).toBe(false);

    await choose(adm());

    const [webhook, ...more] = mb.webhooks.of(adm());
    expect(more).toEqual([]);
    expect(webhook).toMatchObject({
      url: address(),
      enabledEvents: expect.arrayContaining([
        'time_entry_sales_invoice_created',
        'time_entry_updated',
        'time_entry_destroyed',
      ]),
    });
    const stored = await row();
    expect(stored.webhookId).toBe(`${adm()}/${webhook.id}`);
    // Encrypted, bound to its row.
    expect(stored.webhookToken).toMatch(/^v2:/);
    expect(stored.webhookToken).not.toContain(webhook.token);
    expect((await shown()).webhook_registered).toBe(true);

    // Choosing it again changes nothing.
    await choose(adm());
    expect(mb.webhooks.of(adm()).map((w) => w.id)).toEqual([webhook.id]);
  });

  it('moves the webhook when another administration is chosen', async () => {
    const other = mb.addAdministration({ name: 'Acme Holding', members: ['ann@acme.test'] });

    await choose(other.id);
    expect(mb.webhooks.of(adm())).toEqual([]);
    expect(mb.webhooks.of(other.id)).toMatchObject([{ url: address() }]);

    await choose(adm());
    expect(mb.webhooks.of(other.id)).toEqual([]);
    expect(mb.webhooks.of(adm())).toMatchObject([{ url: address() }]);
    expect((await row()).webhookId).toBe(`${adm()}/${mb.webhooks.of(adm())[0].id}`);
  });

  it('registers a webhook that went missing again on the hourly round', async () => {
    const registration = t.app.get(InvoicingWebhookRegistration);
    expect(await registration.enqueueMissing()).toBe(0);
    // A registration that failed for good leaves no webhook behind.
    mb.webhooks.byId.clear();
    await t.dataSource.manager.update(Integration, integration.id, {
      webhookId: null,
      webhookToken: null,
    });

    expect(await registration.enqueueMissing()).toBe(1);
    await t.worker.drain();

    const [webhook, ...more] = mb.webhooks.of(adm());
    expect(more).toEqual([]);
    expect((await row()).webhookId).toBe(`${adm()}/${webhook.id}`);
    expect(await registration.enqueueMissing()).toBe(0);
  });

  it('sends an invoiced entry’s block to billing through the worker, without the scheduled check', async () => {
    const { id, entryId } = await bookedBlock();
    expect(await jobs()).toEqual([]);

    const reference = await world.invoiceEntry(entryId);
    await mb.webhooks.settled();

    expect(mb.webhooks.log.at(-1)).toMatchObject({
      kind: 'time_entry_sales_invoice_created',
      status: 200,
    });
    expect((await jobs()).map((job) => [job.type, job.payload])).toEqual([
      [CHECK_INTEGRATION_LOCKS, { integration_id: integration.id, entry_ids: [entryId] }],
    ]);
    expect((await block(id)).approvalStatus).not.toBe('sent_to_billing');

    await t.worker.drain();

    expect(await block(id)).toMatchObject({
      approvalStatus: 'sent_to_billing',
      invoiceReference: reference,
    });
    expect(await jobs(CHECK_INVOICING_LOCKS)).toEqual([]);
  });

  it('checks an entry edited in Moneybird, and imports on a contact change', async () => {
    const { id, entryId } = await bookedBlock();
    await world.editEntry(entryId, { description: 'Changed in Moneybird' });
    await mb.webhooks.settled();
    expect((await jobs()).map((job) => job.payload)).toEqual([
      { integration_id: integration.id, entry_ids: [entryId] },
    ]);
    await t.worker.drain();
    // Open still: nothing to send to billing.
    expect((await block(id)).approvalStatus).not.toBe('sent_to_billing');

    await world.rename('contact', world.fixtures.contactExternalId, 'Globex Corporation');
    await mb.webhooks.settled();
    expect((await jobs()).map((job) => job.type)).toEqual([INVOICING_IMPORT]);
    await t.worker.drain();
  });

  it('refuses another webhook’s id (404) and a wrong token (401), and does nothing', async () => {
    const { entryId } = await bookedBlock();
    const [webhook] = mb.webhooks.of(adm());
    const delivery = {
      administration_id: adm(),
      webhook_id: webhook.id,
      webhook_token: webhook.token,
      entity_type: 'TimeEntry',
      entity_id: entryId,
      state: null,
      action: 'time_entry_sales_invoice_created',
      entity: { id: entryId },
    };

    expect((await post({ ...delivery, webhook_token: `${webhook.token}x` })).status).toBe(401);
    expect((await post({ ...delivery, webhook_token: undefined })).status).toBe(401);
    expect((await post({ ...delivery, webhook_id: '496081425181799999' })).status).toBe(404);
    expect((await post(delivery, integration.id + 1000)).status).toBe(404);
    expect((await t.http().post('/api/v1/webhooks/moneybird/abc').send(delivery)).status).toBe(404);
    expect(await jobs()).toEqual([]);

    // The genuine delivery, with ids as JSON numbers (18 digits: read from the raw body).
    const raw = JSON.stringify({ ...delivery, webhook_id: 0, entity_id: 0 })
      .replace('"webhook_id":0', `"webhook_id":${webhook.id}`)
      .replace('"entity_id":0', `"entity_id":${entryId}`);
    const genuine = await t
      .http()
      .post(`/api/v1/webhooks/moneybird/${integration.id}`)
      .set('Content-Type', 'application/json')
      .send(raw);
    expect(genuine.status).toBe(200);
    expect((await jobs()).map((job) => job.payload)).toEqual([
      { integration_id: integration.id, entry_ids: [entryId] },
    ]);
    await t.worker.drain();
  });

  it('answers a request naming no webhook (the reachability check) with 200, doing nothing', async () => {
    expect((await post({})).status).toBe(200);
    expect(await jobs()).toEqual([]);
  });

  it('removes danwel’s webhook, and only it, on disconnect', async () => {
    const theirs = mb.webhooks.handle(mb.store.administration(adm()), 'POST', undefined, {
      url: 'https://accounting.example/hook',
    });
    expect(theirs.status).toBe(201);

    const response = await team.admin.delete(team.url(`/integrations/${integration.id}`));
    expect(response.status).toBe(204);

    expect(mb.webhooks.of(adm()).map((w) => w.url)).toEqual(['https://accounting.example/hook']);
  });
});

describe(`Moneybird's webhook without a public https APP_URL (${databaseKind()})`, () => {
  let world: InvoicingWorld;
  let mb: MoneybirdEmulator;
  let t: TestApp;

  beforeAll(async () => {
    ({ world, mb } = await startMoneybirdWorld());
    t = await bootApp({ env: world.env() });
  });

  afterAll(async () => {
    await t?.close();
    await world?.stop();
  });

  it('registers nothing, and the integration says so', async () => {
    const { team, integration } = await invoicingTeam(t, new Factory(t.dataSource), world, {
      require_approval: false,
    });
    const chosen = await team.admin
      .patch(team.url(`/integrations/${integration.id}`))
      .send({ provider_account_id: world.fixtures.accountId });
    expect(chosen.status).toBe(200);
    await t.worker.drain();

    expect(mb.webhooks.of(world.fixtures.accountId)).toEqual([]);
    expect(mb.requests.some((r) => r.path.includes('/webhooks'))).toBe(false);
    expect(chosen.body).toMatchObject({ webhook_registered: false });
    expect(await t.dataSource.manager.findBy(Job, {})).toEqual([]);
    expect(await t.app.get(InvoicingWebhookRegistration).enqueueMissing()).toBe(0);
  });
});
