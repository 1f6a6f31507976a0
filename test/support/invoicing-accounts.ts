import type { Integration } from '../../src/integrations/integration.entity';
import type { Organization } from '../../src/organizations/organization.entity';
import type { Project } from '../../src/projects/project.entity';
import type { User } from '../../src/users/user.entity';
import { Factory } from '../factories';
import { Actor, actingAs, makeTeam, Team } from './actors';
import { TestApp } from './app';
import { storeTokens } from './secrets';
import type { InvoicingWorld } from './invoicing-subject';

/**
 * An organization connected to the emulator's account as an import leaves it: the integration
 * (its tokens, the account chosen), the fixture contact as a client and the fixture project.
 */
export async function connectedInvoicing(
  t: TestApp,
  factory: Factory,
  world: InvoicingWorld,
  organization: Organization,
  connectedBy: User,
): Promise<{ integration: Integration; project: Project }> {
  const access = world.access();
  const integration = await factory.integration(organization, {
    connectedBy,
    provider: world.provider.name,
    providerType: 'invoicing',
    // Valid by the clock: a refresh happens only when the provider refuses the token.
    expiresAt: new Date(Date.now() + 3_600_000),
    providerAccountId: access.accountId,
    isActive: true,
  });
  await storeTokens(t, integration.id, {
    accessToken: access.accessToken,
    refreshToken: world.refreshToken(),
  });
  const client = await factory.client(organization, {
    name: world.fixtures.contactName,
    integrationId: integration.id,
    externalId: world.fixtures.contactExternalId,
  });
  const project = await factory.project(organization, {
    client,
    name: world.fixtures.projectName,
    integrationId: integration.id,
    externalId: world.fixtures.projectExternalId,
  });
  return { integration, project };
}

/**
 * A team connected to the emulator's account, with Ann, the member the provider knows by her
 * e-mail address.
 */
export async function invoicingTeam(
  t: TestApp,
  factory: Factory,
  world: InvoicingWorld,
  settings: { require_approval: boolean },
): Promise<{ team: Team; ann: Actor; integration: Integration; project: Project }> {
  const team = await makeTeam(t, factory, { settings });
  const user = await factory.user({ email: world.fixtures.userEmail });
  await factory.member(team.organization, user, 'member');
  const ann = await actingAs(t, user);
  const connected = await connectedInvoicing(t, factory, world, team.organization, team.admin.user);
  return { team, ann, ...connected };
}
