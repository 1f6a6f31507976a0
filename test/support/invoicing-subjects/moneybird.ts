import { DateTime } from 'luxon';
import { loadConfig } from '../../../src/config';
import { InvoicingProviders } from '../../../src/invoicing/invoicing-providers';
import { ProviderHttp } from '../../../src/providers/provider-http';
import {
  API_CALLS,
  MoneybirdEmulator,
  MoneybirdEmulatorOptions,
  moneybirdFaults,
  startMoneybirdEmulator,
  TOKEN_REFRESH,
} from '../../emulators/moneybird';
import { TEST_APP_KEY } from '../app';
import type {
  ApiRequest,
  InvoicingSubject,
  InvoicingWorld,
  StoredEntry,
} from '../invoicing-subject';

const EMAIL = 'ann@acme.test';

/** Moneybird: an administration with one user, a contact and a project (no tasks). */
export const moneybirdSubject: InvoicingSubject = {
  name: 'moneybird',
  label: 'moneybird',
  start: async (options) => (await startMoneybirdWorld(options)).world,
};

/** The Moneybird world and its emulator, for specs of what only Moneybird has (its webhooks). */
export async function startMoneybirdWorld(
  options: { clockOffsetMs?: number; emulator?: MoneybirdEmulatorOptions } = {},
): Promise<{ world: InvoicingWorld; mb: MoneybirdEmulator }> {
  const mb = await startMoneybirdEmulator(options.emulator);
  mb.advanceTime(options.clockOffsetMs ?? 0);
  const administration = mb.addAdministration({ name: 'Acme BV', members: [EMAIL] });
  const adm = administration.id;
  const user = [...administration.users.values()][0];
  const contact = mb.addContact(adm, { companyName: 'Globex' });
  const project = mb.addProject(adm, { name: 'Website' });
  const issued = mb.issueTokens({ email: EMAIL });
  const token = issued.access_token;

  const env = () => mb.danwelEnv();
  const config = loadConfig({ NODE_ENV: 'test', APP_KEY: TEST_APP_KEY, ...env() });
  const provider = new InvoicingProviders(config, new ProviderHttp()).get('moneybird');
  const localDate = (iso: string) =>
    DateTime.fromISO(iso, { zone: 'utc' }).setZone(administration.timeZone).toISODate()!;
  const asUser = () => mb.asUser(adm);

  const world: InvoicingWorld = {
    provider,
    env,
    refreshToken: () => issued.refresh_token,
    access: () => ({ accessToken: token, accountId: adm }),
    fixtures: {
      accountId: adm,
      accountName: administration.name,
      contactExternalId: contact.id,
      contactName: 'Globex',
      projectExternalId: project.id,
      projectName: 'Website',
      taskExternalId: null,
      userExternalId: user.id,
      userEmail: EMAIL,
    },
    pageSize: 100,
    checkpoint: () => {
      // Contact versions are epoch seconds that run ahead when many change within one second.
      const versions = [...administration.contacts.values()].map((c) => c.version);
      const ahead = (Math.max(0, ...versions) + 1) * 1000 - mb.now();
      mb.advanceTime(Math.max(ahead, 0) + 1000);
      return Promise.resolve(new Date(mb.now()));
    },

    advanceTime: (ms) => mb.advanceTime(ms),

    entries: (): StoredEntry[] =>
      mb.timeEntries(adm).map((e) => ({
        externalId: e.id,
        spentDate: localDate(e.started_at),
        minutes: (Date.parse(e.ended_at ?? e.started_at) - Date.parse(e.started_at)) / 60_000,
        description: e.description,
        projectExternalId: e.project_id,
        taskExternalId: null,
        userExternalId: e.user_id,
        times: null,
        billable: e.billable,
      })),
    lockEntry: (externalId) => {
      const entry = mb.timeEntry(adm, externalId);
      if (!entry) throw new Error(`no time entry ${externalId}`);
      mb.lockPeriod(adm, localDate(entry.started_at));
      return Promise.resolve();
    },
    invoiceEntry: (externalId) => Promise.resolve(asUser().invoice([externalId])),
    editEntry: (externalId, changes) => {
      asUser().edit(externalId, { description: changes.description });
      return Promise.resolve();
    },
    deleteEntry: (externalId) => {
      asUser().delete(externalId);
      return Promise.resolve();
    },
    archive: (kind, externalId) => {
      if (kind === 'contact') mb.editContact(adm, externalId, { archived: true });
      else mb.editProject(adm, externalId, { state: 'archived' });
      return Promise.resolve();
    },
    rename: (kind, externalId, name) => {
      if (kind === 'contact') mb.editContact(adm, externalId, { companyName: name });
      else mb.editProject(adm, externalId, { name });
      return Promise.resolve();
    },
    addContact: (name) => Promise.resolve(mb.addContact(adm, { companyName: name }).id),
    // Moneybird projects belong to no contact.
    addProject: (name) => Promise.resolve(mb.addProject(adm, { name }).id),
    addTask: () => Promise.resolve(null),
    addUser: (email) => Promise.resolve(mb.addUser(adm, { email, member: false }).id),

    loseNextResponse: () => {
      mb.faults.add({
        match: { ...API_CALLS, method: ['POST', 'PATCH', 'DELETE'] },
        fault: { kind: 'lostResponse' },
      });
    },
    throttleNext: (seconds) => {
      mb.faults.add({ match: API_CALLS, fault: moneybirdFaults.throttle(seconds) });
    },
    failNext: () => {
      mb.faults.add({ match: API_CALLS, fault: moneybirdFaults.serverError() });
    },
    expireAccessToken: () => mb.expireAccessTokens(EMAIL),
    refuseNextRefresh: () => {
      mb.faults.add({ match: TOKEN_REFRESH, fault: { kind: 'invalidGrant', revoke: true } });
    },

    rateLimited: () => mb.throttled,
    requestCount: () => mb.requests.filter((r) => r.path.startsWith('/api/v2/')).length,
    requests: (): ApiRequest[] =>
      mb.requests
        .filter((r) => r.path.startsWith('/api/v2/'))
        .map((r) => ({
          method: r.method,
          path: r.path,
          query: r.query,
          body: r.body,
          headers: {},
        })),
    stop: () => mb.stop(),
  };
  return { world, mb };
}
