import { EntityManager } from 'typeorm';
import { Integration } from './integration.entity';

/**
 * The invoicing integrations a background job can work with: active, with the account chosen,
 * and a grant that still works (one needing reconnect waits for a person).
 */
export function workingInvoicingIntegrations(manager: EntityManager): Promise<Integration[]> {
  return manager
    .getRepository(Integration)
    .createQueryBuilder('integration')
    .where('integration.providerType = :type', { type: 'invoicing' })
    .andWhere('integration.isActive = :yes', { yes: true })
    .andWhere('(integration.needsReconnect IS NULL OR integration.needsReconnect = :no)', {
      no: false,
    })
    .andWhere('integration.providerAccountId IS NOT NULL')
    .getMany();
}
