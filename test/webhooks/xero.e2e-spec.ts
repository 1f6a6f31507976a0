import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Client } from '../../src/clients/client.entity';
import { Integration } from '../../src/integrations/integration.entity';
import { INVOICING_IMPORT } from '../../src/integrations/invoicing-import-queue';
import { Job } from '../../src/jobs/job.entity';
import { CHECK_INTEGRATION_LOCKS } from '../../src/sync/invoicing-lock-queue';
import { CHECK_INVOICING_LOCKS } from '../../src/sync/invoicing-locks';
import { TimeBlock } from '../../src/time-blocks/time-block.entity';
import { XeroEmulator, xeroSignature } from '../emulators/xero';
import { Factory } from '../factories';
import { Actor, Team } from '../support/actors';
import { bootApp, TestApp } from '../support/app';
import { databaseKind } from '../support/database';
import { invoicingTeam } from '../support/invoicing-accounts';
import type { InvoicingWorld } from '../support/invoicing-subject';
import { startXeroWorld } from '../support/invoicing-subjects/xero';
import { bookedBlock as bookedBlockOf } from './support';

/*
 * Xero's webhook (`POST /api/v1/webhooks/xero`), configured in the developer portal with danwel's
 * URL and a signing key (XERO_WEBHOOK_KEY). The emulator signs every delivery as Xero does and
 * sends it to the listening app: an invoice made from danwel's entries sends their blocks to
 * billing through the worker, without the scheduled check; anything not signed with the key
 * answers 401 and changes nothing.
 */

const PATH = '/api/v1/webhooks/xero';

describe(`Xero's webhook (${databaseKind()})`, () => {
  const key = randomBytes(48).toString('base64');
  let world: InvoicingWorld;
  let xero: XeroEmulator;
  let t: TestApp;
  let team: Team;
  let ann: Actor;
  let integration: Integration;
  let projectId: number;
  let day = 0;

  beforeAll(async () => {
    ({ world, xero } = await startXeroWorld());
    t = await bootApp({ env: { ...world.env(), XERO_WEBHOOK_KEY: key } });
    await t.app.listen(0, '127.0.0.1');
    const port = (t.app.getHttpServer().address() as AddressInfo).port;
    xero.webhooks.configure(`http://127.0.0.1:${port}${PATH}`, key);
    const factory = new Factory(t.dataSource);
    let project;
    ({ team, ann, integration, project } = await invoicingTeam(t, factory, world, {
      require_approval: false,
    }));
    projectId = project.id;
  });

  afterAll(async () => {
    await t?.close();
    await world?.stop();
  });

  const jobs = (type?: string) => t.dataSource.manager.findBy(Job, type ? { type } : {});
  const block = (id: number) => t.dataSource.manager.findOneByOrFail(TimeBlock, { id });

  /** A billable block of Ann's on its own past day, booked in the account. */
  async function bookedBlock(): Promise<{ id: number; entryId: string }> {
    day += 1;
    const booked = await bookedBlockOf(t, team, ann, projectId, day);
    const entryId = booked.entryId;
    expect(entryId).toMatch(/^[0-9a-f-]+\//);
    return booked;
  }

  it('passes Xero’s intent-to-receive check: 200 and empty to a signed delivery, 401 otherwise', async () => {
    const check = await xero.webhooks.intentToReceive();

    expect(check.valid).toMatchObject({ status: 200, responseBody: '' });
    expect(check.invalid).toMatchObject({ status: 401 });
    expect(check.passed).toBe(true);
    expect(await jobs()).toEqual([]);
  });

  it('sends an invoiced entry’s block to billing through the worker, without the scheduled check', async () => {
    const { id, entryId } = await bookedBlock();

    await world.invoiceEntry(entryId);
    await xero.webhooks.settled();

    const delivery = xero.webhooks.log.at(-1)!;
    expect(delivery).toMatchObject({ kind: 'INVOICE', status: 200, responseBody: '' });
    expect((await jobs()).map((job) => [job.type, job.payload])).toEqual([
      [CHECK_INTEGRATION_LOCKS, { integration_id: integration.id }],
    ]);
    expect((await block(id)).approvalStatus).not.toBe('sent_to_billing');

    await t.worker.drain();

    expect(await block(id)).toMatchObject({ approvalStatus: 'sent_to_billing' });
    expect(await jobs(CHECK_INVOICING_LOCKS)).toEqual([]);
    expect(await jobs()).toEqual([]);
  });

  it('imports contacts when one changes in Xero', async () => {
    xero.editContact(world.fixtures.accountId, world.fixtures.contactExternalId, {
      name: 'Globex Corporation',
    });
    await xero.webhooks.settled();

    expect((await jobs()).map((job) => job.type)).toEqual([INVOICING_IMPORT]);
    await t.worker.drain();
    const client = await t.dataSource.manager.findOneByOrFail(Client, {
      externalId: world.fixtures.contactExternalId,
    });
    expect(client.name).toBe('Globex Corporation');
  });

  it('refuses a badly signed or unsigned delivery with 401 and does nothing', async () => {
    const { id } = await bookedBlock();
    const event = {
      resourceUrl: `${xero.apiUrl}/Invoices/1b5b7ae4-4f4a-4b2d-9d1c-0bd1e5a7d0c1`,
      resourceId: '1b5b7ae4-4f4a-4b2d-9d1c-0bd1e5a7d0c1',
      eventDateUtc: '2026-04-20T10:00:00.000',
      eventType: 'CREATE' as const,
      eventCategory: 'INVOICE' as const,
      tenantId: world.fixtures.accountId,
      tenantType: 'ORGANISATION' as const,
    };

    const forged = xero.webhooks.deliver([event], { badSignature: true });
    await xero.webhooks.settled();
    expect(forged.status).toBe(401);

    const body = JSON.stringify({ events: [event], firstEventSequence: 1, lastEventSequence: 1 });
    const unsigned = await t.http().post(PATH).set('Content-Type', 'application/json').send(body);
    expect(unsigned.status).toBe(401);
    // Signed with the key, but another body: the signature covers the bytes.
    const swapped = await t
      .http()
      .post(PATH)
      .set('Content-Type', 'application/json')
      .set('x-xero-signature', xeroSignature(body.replace('CREATE', 'UPDATE'), key))
      .send(body);
    expect(swapped.status).toBe(401);

    expect(await jobs()).toEqual([]);
    expect((await block(id)).approvalStatus).not.toBe('sent_to_billing');
  });

  it('ignores events of tenants that are not a danwel integration', async () => {
    const other = xero.addTenant({ name: 'Initech' });
    xero.addContact(other.tenantId, { name: 'Initrode' });
    await xero.webhooks.settled();

    expect(xero.webhooks.log.at(-1)).toMatchObject({ kind: 'CONTACT', status: 200 });
    expect(await jobs()).toEqual([]);
  });

  it('answers a signed delivery that is not Xero’s shape with 400', async () => {
    const body = JSON.stringify({ event: [] });
    const response = await t
      .http()
      .post(PATH)
      .set('Content-Type', 'application/json')
      .set('x-xero-signature', xeroSignature(body, key))
      .send(body);
    expect(response.status).toBe(400);
    expect(await jobs()).toEqual([]);
  });
});

describe(`Xero's webhook without XERO_WEBHOOK_KEY (${databaseKind()})`, () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await bootApp();
  });
  afterAll(() => t?.close());

  it('is not there: 404, whatever the signature, and nothing is done', async () => {
    const body = JSON.stringify({ events: [], firstEventSequence: 1, lastEventSequence: 1 });
    const response = await t
      .http()
      .post(PATH)
      .set('Content-Type', 'application/json')
      .set('x-xero-signature', xeroSignature(body, ''))
      .send(body);
    expect(response.status).toBe(404);
    expect(await t.dataSource.manager.findBy(Job, {})).toEqual([]);
  });
});
