import { EntityManager, EntityTarget, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { NotFoundError, ValidationFailedError } from '../errors/domain.error';

/**
 * Every read and write of a tenant table goes through one of these, so the organization filter
 * cannot be forgotten in one method (TypeORM has no global scopes; this makes the safe path the
 * easy one, in the spirit of Twenty's workspace context). Another tenant's row is
 * indistinguishable from a missing one: 404 in paths, 422 in bodies.
 */
export class TenantScope {
  constructor(readonly organizationId: number) {}

  /** A query on `entity` already restricted to this organization. */
  query<T extends ObjectLiteral & { organizationId: number | null }>(
    manager: EntityManager,
    entity: EntityTarget<T>,
    alias: string,
  ): SelectQueryBuilder<T> {
    return manager
      .getRepository(entity)
      .createQueryBuilder(alias)
      .where(`${alias}.organizationId = :tenantOrganizationId`, {
        tenantOrganizationId: this.organizationId,
      });
  }

  /** The row with this id in this organization, or 404 naming the resource. */
  async findOrFail<T extends ObjectLiteral & { organizationId: number | null }>(
    manager: EntityManager,
    entity: EntityTarget<T>,
    id: number,
    resource: string,
  ): Promise<T> {
    const row = await this.query(manager, entity, 'row').andWhere('row.id = :id', { id }).getOne();
    if (!row) throw new NotFoundError(resource);
    return row;
  }

  /** A foreign id sent in a body: resolved within this organization, else 422 on that field. */
  async resolveReference<T extends ObjectLiteral & { organizationId: number | null }>(
    manager: EntityManager,
    entity: EntityTarget<T>,
    id: number,
    field: string,
  ): Promise<T> {
    const row = await this.query(manager, entity, 'row').andWhere('row.id = :id', { id }).getOne();
    if (!row)
      throw ValidationFailedError.field(field, `${field} does not exist in this organization.`);
    return row;
  }
}
