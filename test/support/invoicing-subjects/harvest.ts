import { loadConfig } from '../../../src/config';
import { HARVEST_PAGE_SIZE } from '../../../src/invoicing/harvest/harvest-invoicing.provider';
import { InvoicingProviders } from '../../../src/invoicing/invoicing-providers';
import { ProviderHttp } from '../../../src/providers/provider-http';
import {
  API_CALLS,
  harvestFaults,
  startHarvestEmulator,
  TOKEN_REFRESH,
} from '../../emulators/harvest';
import { TEST_APP_KEY } from '../app';
import type {
  ApiRequest,
  InvoicingSubject,
  InvoicingWorld,
  StoredEntry,
} from '../invoicing-subject';

const EMAIL = 'ann@acme.test';

/**
 * Harvest: an account with one administrator, a client, its project and a billable task on it;
 * with `timestampTimers`, one that tracks start and end times (`wants_timestamp_timers`).
 */
function harvest(timestampTimers: boolean): InvoicingSubject['start'] {
  return async (options = {}): Promise<InvoicingWorld> => {
    const hv = await startHarvestEmulator();
    hv.advanceTime(options.clockOffsetMs ?? 0);
    const account = hv.addAccount({ name: 'Acme', members: [EMAIL], timestampTimers });
    const id = account.id;
    const user = [...account.users.values()][0];
    const client = hv.addClient(id, { name: 'Globex' });
    const project = hv.addProject(id, { name: 'Website', clientId: client.id });
    const admin = hv.addTask(id, { name: 'Admin', billableByDefault: false });
    const design = hv.addTask(id, { name: 'Design' });
    hv.assignTask(id, project.id, admin.id);
    hv.assignTask(id, project.id, design.id);
    const issued = hv.issueTokens({ email: EMAIL });
    const token = issued.access_token;

    const env = (): Record<string, string> => ({
      ...hv.danwelEnv(),
      HARVEST_USER_AGENT: 'danwel-contract (contract@danwel.test)',
    });
    const config = loadConfig({ NODE_ENV: 'test', APP_KEY: TEST_APP_KEY, ...env() });
    const provider = new InvoicingProviders(config, new ProviderHttp()).get('harvest');
    const entry = (externalId: string) => {
      const found = hv.timeEntry(id, Number(externalId));
      if (!found) throw new Error(`no Harvest time entry ${externalId}`);
      return found;
    };
    // New projects get the billable task, as a project set up in Harvest would.
    const newProject = (name: string, clientId: number) => {
      const added = hv.addProject(id, { name, clientId });
      hv.assignTask(id, added.id, design.id);
      return String(added.id);
    };

    return {
      provider,
      env,
      refreshToken: () => issued.refresh_token,
      access: () => ({ accessToken: token, accountId: String(id) }),
      fixtures: {
        accountId: String(id),
        accountName: account.name,
        contactExternalId: String(client.id),
        contactName: 'Globex',
        projectExternalId: String(project.id),
        projectName: 'Website',
        taskExternalId: String(design.id),
        // Harvest books for the token's user unless told: no user mapping is needed.
        userExternalId: String(user.id),
        userEmail: EMAIL,
      },
      pageSize: HARVEST_PAGE_SIZE,
      checkpoint: () => {
        // `updated_at` is kept to the second: move past the second of every change so far.
        hv.advanceTime(1000);
        return Promise.resolve(new Date(hv.now()));
      },

      advanceTime: (ms) => hv.advanceTime(ms),

      entries: (): StoredEntry[] =>
        hv.timeEntries(id).map((e) => ({
          externalId: String(e.id),
          spentDate: e.spentDate,
          minutes: Math.round(e.hours * 60),
          description: e.notes ?? '',
          projectExternalId: String(e.projectId),
          taskExternalId: String(e.taskId),
          userExternalId: String(e.userId),
          times:
            e.startedTime && e.endedTime ? { started: e.startedTime, ended: e.endedTime } : null,
          billable: hv.renderTimeEntry(id, e.id).billable,
        })),
      lockEntry: (externalId) => {
        hv.lock(id, entry(externalId).id);
        return Promise.resolve();
      },
      invoiceEntry: (externalId) => Promise.resolve(hv.invoice(id, [entry(externalId).id]).number),
      editEntry: (externalId, changes) => {
        hv.asUser(id).edit(entry(externalId).id, { notes: changes.description });
        return Promise.resolve();
      },
      deleteEntry: (externalId) => {
        hv.asUser(id).delete(entry(externalId).id);
        return Promise.resolve();
      },
      archive: (kind, externalId) => {
        if (kind === 'contact') hv.editClient(id, Number(externalId), { isActive: false });
        else hv.editProject(id, Number(externalId), { isActive: false });
        return Promise.resolve();
      },
      rename: (kind, externalId, name) => {
        if (kind === 'contact') hv.editClient(id, Number(externalId), { name });
        else hv.editProject(id, Number(externalId), { name });
        return Promise.resolve();
      },
      addContact: (name) => Promise.resolve(String(hv.addClient(id, { name }).id)),
      addProject: (name, contactExternalId) =>
        Promise.resolve(newProject(name, Number(contactExternalId))),
      addTask: (projectExternalId, name) => {
        const task = hv.addTask(id, { name });
        hv.assignTask(id, Number(projectExternalId), task.id);
        return Promise.resolve(String(task.id));
      },
      addUser: (email) => Promise.resolve(String(hv.addUser(id, { email, member: false }).id)),

      loseNextResponse: () => {
        hv.faults.add({
          match: { ...API_CALLS, method: ['POST', 'PATCH', 'DELETE'] },
          fault: { kind: 'lostResponse' },
        });
      },
      throttleNext: (seconds) => {
        hv.faults.add({ match: API_CALLS, fault: harvestFaults.throttle(seconds) });
      },
      failNext: () => {
        hv.faults.add({ match: API_CALLS, fault: harvestFaults.serverError() });
      },
      expireAccessToken: () => hv.expireAccessTokens(EMAIL),
      refuseNextRefresh: () => {
        hv.faults.add({ match: TOKEN_REFRESH, fault: { kind: 'invalidGrant', revoke: true } });
      },

      rateLimited: () => hv.throttled,
      requestCount: () => hv.requests.filter((r) => r.path.startsWith('/v2/')).length,
      requests: (): ApiRequest[] =>
        hv.requests
          .filter((r) => r.path.startsWith('/v2/'))
          .map((r) => ({
            method: r.method,
            path: r.path,
            query: r.query,
            body: r.body,
            headers: {},
          })),
      stop: () => hv.stop(),
    };
  };
}

export const harvestSubject: InvoicingSubject = {
  name: 'harvest',
  label: 'harvest',
  start: harvest(false),
};

/** Harvest with an account that tracks start and end times instead of durations. */
export const harvestTimestampSubject: InvoicingSubject = {
  name: 'harvest',
  label: 'harvest (timestamp account)',
  start: harvest(true),
};
