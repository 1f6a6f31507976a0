// The three invoicing systems as the browser specs drive them: each one's emulator (the server
// specs'), a person's accounts in it, and the time entries danwel booked there, read back through
// the emulator's test controls.
import { createRequire } from 'node:module';
import {
  HARVEST_APP,
  HARVEST_PORT,
  MONEYBIRD_APP,
  MONEYBIRD_PORT,
  XERO_APP,
  XERO_PORT,
} from './playwright.config';

// The emulators live in a CommonJS package: required, not imported.
const require = createRequire(import.meta.url);
const { startHarvestEmulator } =
  require('../../test/emulators/harvest') as typeof import('../../test/emulators/harvest');
const { startMoneybirdEmulator } =
  require('../../test/emulators/moneybird') as typeof import('../../test/emulators/moneybird');
const { startXeroEmulator } =
  require('../../test/emulators/xero') as typeof import('../../test/emulators/xero');

/** A time entry as the invoicing system holds it. */
export interface BookedEntry {
  description: string;
  minutes: number;
  /** The email of the provider user it is booked for. */
  user: string;
}

/** Where a person's work is booked: the second of the two accounts `seed` gives them. */
export interface LedgerAccount {
  name: string;
  entries(): BookedEntry[];
  /** Another user of the account (not one who signs in); answers the name it is listed by. */
  addUser(name: string, email: string): string;
}

export interface Ledger {
  provider: 'harvest' | 'moneybird' | 'xero';
  name: string;
  /** Time is booked on a task of the project (a task column in the bookings). */
  tasks: boolean;
  /** Time is booked for a provider user chosen per member (a member column in the bookings). */
  users: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
  /**
   * Two accounts `email` reaches, named after `who`; only the second (`… Studio`) holds work: a
   * client Globex and its project Website (with the tasks Design and Meetings where there are tasks).
   */
  seed(email: string, who: string): LedgerAccount;
  /** The next consent at the provider signs in as `email`. */
  consentAs(email: string): void;
  /** What the confirmation step says about the account `email` gave access to. */
  confirmation(email: string): string;
}

const signedInAs = (name: string) => (email: string) => `${name} signed in as ${email}`;

function harvestLedger(): Ledger {
  let harvest: Awaited<ReturnType<typeof startHarvestEmulator>>;
  return {
    provider: 'harvest',
    name: 'Harvest',
    tasks: true,
    users: false,
    start: async () => {
      harvest = await startHarvestEmulator({
        host: '127.0.0.1',
        port: HARVEST_PORT,
        apps: [HARVEST_APP],
      });
    },
    stop: () => harvest.stop(),
    seed(email, who) {
      harvest.addAccount({ name: `${who} Ops`, members: [email] });
      const account = harvest.addAccount({ name: `${who} Studio`, members: [email] });
      const client = harvest.addClient(account.id, { name: 'Globex' });
      const project = harvest.addProject(account.id, { name: 'Website', clientId: client.id });
      for (const name of ['Design', 'Meetings']) {
        harvest.assignTask(account.id, project.id, harvest.addTask(account.id, { name }).id);
      }
      const users = () => harvest.store.account(account.id).users;
      return {
        name: account.name,
        entries: () =>
          harvest.timeEntries(account.id).map((e) => ({
            description: e.notes ?? '',
            minutes: Math.round(e.hours * 60),
            user: users().get(e.userId)!.email,
          })),
        addUser: (name, userEmail) => {
          harvest.addUser(account.id, { email: userEmail, firstName: name });
          return name;
        },
      };
    },
    consentAs: (email) => harvest.consents.push({ email }),
    confirmation: signedInAs('Harvest'),
  };
}

function moneybirdLedger(): Ledger {
  let moneybird: Awaited<ReturnType<typeof startMoneybirdEmulator>>;
  return {
    provider: 'moneybird',
    name: 'Moneybird',
    tasks: false,
    users: true,
    start: async () => {
      moneybird = await startMoneybirdEmulator({
        host: '127.0.0.1',
        port: MONEYBIRD_PORT,
        apps: [MONEYBIRD_APP],
      });
    },
    stop: () => moneybird.stop(),
    seed(email, who) {
      moneybird.addAdministration({ name: `${who} Ops`, members: [email] });
      const administration = moneybird.addAdministration({
        name: `${who} Studio`,
        members: [email],
      });
      moneybird.addContact(administration.id, { companyName: 'Globex' });
      moneybird.addProject(administration.id, { name: 'Website' });
      return {
        name: administration.name,
        entries: () =>
          moneybird.timeEntries(administration.id).map((e) => ({
            description: e.description,
            minutes: (Date.parse(e.ended_at!) - Date.parse(e.started_at)) / 60_000,
            user: administration.users.get(e.user_id)!.email,
          })),
        addUser: (name, userEmail) =>
          moneybird.addUser(administration.id, { email: userEmail, name, member: false }).name,
      };
    },
    consentAs: (email) => moneybird.consents.push({ email }),
    // Its token names no person: the administration is chosen after connecting.
    confirmation: () => 'Moneybird gave access without naming the account.',
  };
}

function xeroLedger(): Ledger {
  let xero: Awaited<ReturnType<typeof startXeroEmulator>>;
  return {
    provider: 'xero',
    name: 'Xero',
    tasks: true,
    users: true,
    start: async () => {
      xero = await startXeroEmulator({ host: '127.0.0.1', port: XERO_PORT, apps: [XERO_APP] });
    },
    stop: () => xero.stop(),
    seed(email, who) {
      xero.addTenant({ name: `${who} Ops`, members: [email] });
      const tenant = xero.addTenant({ name: `${who} Studio`, members: [email] });
      const client = xero.addContact(tenant.tenantId, { name: 'Globex' });
      const project = xero.addProject(tenant.tenantId, {
        name: 'Website',
        contactId: client.contactId,
      });
      for (const name of ['Design', 'Meetings']) {
        xero.addTask(tenant.tenantId, project.projectId, { name });
      }
      return {
        name: tenant.tenantName,
        entries: () =>
          xero.timeEntries(tenant.tenantId).map((e) => ({
            description: e.description ?? '',
            minutes: e.duration,
            user: tenant.users.get(e.userId)!.email,
          })),
        addUser: (name, userEmail) =>
          xero.addUser(tenant.tenantId, { email: userEmail, name, member: false }).name,
      };
    },
    consentAs: (email) => xero.consents.push({ email }),
    confirmation: signedInAs('Xero'),
  };
}

export const LEDGERS: readonly Ledger[] = [harvestLedger(), moneybirdLedger(), xeroLedger()];
