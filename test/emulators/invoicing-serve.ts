/**
 * The Moneybird, Harvest and Xero emulators as one standalone process, each with a demo account
 * (a client "Globex", its project "Website", a billable task "Design", the member --account), for
 * trying the invoicing flows by hand against a dev server:
 *
 *   node test/emulators/common/run-ts.cjs test/emulators/invoicing-serve.ts --account ann@example.com
 *
 * Options: --account EMAIL (the person who consents and whose time is booked), --moneybird-port,
 * --harvest-port, --xero-port (8086, 8087, 8088). Prints the .env lines that point danwel at them.
 */
import { parseArgs } from 'node:util';
import { startHarvestEmulator } from './harvest';
import { startMoneybirdEmulator } from './moneybird';
import { startXeroEmulator } from './xero';

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      account: { type: 'string', default: 'ann@example.com' },
      'moneybird-port': { type: 'string', default: '8086' },
      'harvest-port': { type: 'string', default: '8087' },
      'xero-port': { type: 'string', default: '8088' },
    },
  });
  const email = values.account;

  const moneybird = await startMoneybirdEmulator({ port: Number(values['moneybird-port']) });
  const administration = moneybird.addAdministration({ name: 'Acme BV', members: [email] });
  moneybird.addContact(administration.id, { companyName: 'Globex' });
  moneybird.addProject(administration.id, { name: 'Website' });

  const harvest = await startHarvestEmulator({ port: Number(values['harvest-port']) });
  const account = harvest.addAccount({ name: 'Acme', members: [email] });
  const client = harvest.addClient(account.id, { name: 'Globex' });
  const project = harvest.addProject(account.id, { name: 'Website', clientId: client.id });
  harvest.assignTask(account.id, project.id, harvest.addTask(account.id, { name: 'Design' }).id);

  const xero = await startXeroEmulator({ port: Number(values['xero-port']) });
  const tenant = xero.addTenant({ name: 'Acme Ltd', members: [email] });
  const contact = xero.addContact(tenant.tenantId, { name: 'Globex' });
  const site = xero.addProject(tenant.tenantId, { name: 'Website', contactId: contact.contactId });
  xero.addTask(tenant.tenantId, site.projectId, { name: 'Design' });

  const emulators = { moneybird, harvest, xero };
  console.log(`Invoicing emulators for ${email} (each account: client Globex, project Website).`);
  console.log('Put these lines into .env and restart danwel:\n');
  for (const emulator of Object.values(emulators)) {
    for (const [name, value] of Object.entries(emulator.danwelEnv())) {
      console.log(`${name}=${value}`);
    }
  }
  const stop = () => {
    void Promise.all(Object.values(emulators).map((emulator) => emulator.stop())).then(() =>
      process.exit(0),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
