import { loadConfig } from '../../../src/config';
import { InvoicingProviders } from '../../../src/invoicing/invoicing-providers';
import { ProviderHttp } from '../../../src/providers/provider-http';
import { parseXeroEntryId, xeroEntryId } from '../../../src/invoicing/xero/xero-entries';
import {
  API_CALLS,
  startXeroEmulator,
  TOKEN_REFRESH,
  XeroEmulator,
  XeroEmulatorOptions,
  xeroFaults,
} from '../../emulators/xero';
import { TEST_APP_KEY } from '../app';
import type {
  ApiRequest,
  InvoicingSubject,
  InvoicingWorld,
  StoredEntry,
} from '../invoicing-subject';

const EMAIL = 'ann@acme.test';

/** Xero: an organisation whose member is a project user, a contact, a project and a task. */
export const xeroSubject: InvoicingSubject = {
  name: 'xero',
  label: 'xero',
  start: async (options) => (await startXeroWorld(options)).world,
};

/** The Xero world and its emulator, for specs of what only Xero has (its webhook). */
export async function startXeroWorld(
  options: { clockOffsetMs?: number; emulator?: XeroEmulatorOptions } = {},
): Promise<{ world: InvoicingWorld; xero: XeroEmulator }> {
  const xero = await startXeroEmulator(options.emulator);
  xero.advanceTime(options.clockOffsetMs ?? 0);
  const org = xero.addTenant({ name: 'Acme Ltd', members: [EMAIL] });
  const tenant = org.tenantId;
  const user = [...org.users.values()][0];
  const contact = xero.addContact(tenant, { name: 'Globex' });
  const project = xero.addProject(tenant, { name: 'Website', contactId: contact.contactId });
  const task = xero.addTask(tenant, project.projectId, { name: 'Design' });
  const issued = xero.issueTokens({ email: EMAIL });
  const token = issued.access_token;

  const env = () => xero.danwelEnv();
  const config = loadConfig({ NODE_ENV: 'test', APP_KEY: TEST_APP_KEY, ...env() });
  const provider = new InvoicingProviders(config, new ProviderHttp()).get('xero');
  const asUser = () => xero.asUser(tenant);
  const entryOf = (externalId: string) => {
    const parsed = parseXeroEntryId(externalId);
    if (!parsed) throw new Error(`not a Xero entry id: ${externalId}`);
    return parsed.timeEntryId;
  };

  const world: InvoicingWorld = {
    provider,
    env,
    refreshToken: () => issued.refresh_token,
    access: () => ({ accessToken: token, accountId: tenant }),
    fixtures: {
      accountId: tenant,
      accountName: org.tenantName,
      contactExternalId: contact.contactId,
      contactName: 'Globex',
      projectExternalId: project.projectId,
      projectName: 'Website',
      taskExternalId: task.taskId,
      userExternalId: user.userId,
      userEmail: EMAIL,
    },
    // Contacts come 100 a page; danwel asks for projects 100 a page as well.
    pageSize: 100,
    checkpoint: () => {
      // `If-Modified-Since` has whole seconds: move past the second of the last change.
      const changed = Math.max(xero.now(), ...[...org.contacts.values()].map((c) => c.updatedMs));
      const next = (Math.floor(changed / 1000) + 1) * 1000;
      xero.advanceTime(next - xero.now());
      return Promise.resolve(new Date(xero.now()));
    },

    advanceTime: (ms) => xero.advanceTime(ms),

    entries: (): StoredEntry[] =>
      xero.timeEntries(tenant).map((e) => ({
        externalId: xeroEntryId(e.projectId, e.timeEntryId),
        spentDate: e.dateUtc.slice(0, 10),
        minutes: e.duration,
        description: e.description ?? '',
        projectExternalId: e.projectId,
        taskExternalId: e.taskId,
        userExternalId: e.userId,
        times: null,
        // Billable is the task's charge type in Xero, not a field of the entry.
        billable: org.tasks.get(e.taskId)?.chargeType !== 'NON_CHARGEABLE',
      })),
    lockEntry: (externalId) => Promise.resolve(asUser().lock(entryOf(externalId))),
    // Xero's time entries do not name their invoice: no reference shows.
    invoiceEntry: (externalId) => {
      asUser().invoice([entryOf(externalId)]);
      return Promise.resolve(null);
    },
    editEntry: (externalId, changes) => {
      asUser().edit(entryOf(externalId), { description: changes.description });
      return Promise.resolve();
    },
    deleteEntry: (externalId) => Promise.resolve(asUser().delete(entryOf(externalId))),
    archive: (kind, externalId) => {
      if (kind === 'contact') xero.editContact(tenant, externalId, { status: 'ARCHIVED' });
      else xero.editProject(tenant, externalId, { status: 'CLOSED' });
      return Promise.resolve();
    },
    rename: (kind, externalId, name) => {
      if (kind === 'contact') xero.editContact(tenant, externalId, { name });
      else xero.editProject(tenant, externalId, { name });
      return Promise.resolve();
    },
    addContact: (name) => Promise.resolve(xero.addContact(tenant, { name }).contactId),
    addProject: (name, contactExternalId) =>
      Promise.resolve(xero.addProject(tenant, { name, contactId: contactExternalId }).projectId),
    addTask: (projectExternalId, name) =>
      Promise.resolve(xero.addTask(tenant, projectExternalId, { name }).taskId),
    addUser: (email) => Promise.resolve(xero.addUser(tenant, { email, member: false }).userId),

    loseNextResponse: () => {
      xero.faults.add({
        match: { ...API_CALLS, method: ['POST', 'PUT', 'DELETE'] },
        fault: { kind: 'lostResponse' },
      });
    },
    throttleNext: (seconds) => {
      xero.faults.add({ match: API_CALLS, fault: xeroFaults.throttle(seconds) });
    },
    failNext: () => {
      xero.faults.add({ match: API_CALLS, fault: xeroFaults.serverError() });
    },
    expireAccessToken: () => xero.expireAccessTokens(EMAIL),
    refuseNextRefresh: () => {
      xero.faults.add({ match: TOKEN_REFRESH, fault: { kind: 'invalidGrant', revoke: true } });
    },

    rateLimited: () => Object.values(xero.throttled).reduce((sum, n) => sum + n, 0),
    requestCount: () => xero.requests.filter((r) => /^\/(api|projects)\.xro\//.test(r.path)).length,
    requests: (): ApiRequest[] =>
      xero.requests
        .filter((r) => /^\/(api|projects)\.xro\//.test(r.path))
        .map((r) => ({
          method: r.method,
          path: r.path,
          query: r.query,
          body: r.body,
          headers: r.ifModifiedSince
            ? { 'if-modified-since': r.ifModifiedSince }
            : ({} as Record<string, string>),
        })),
    stop: () => xero.stop(),
  };
  return { world, xero };
}
