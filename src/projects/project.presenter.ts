import { readOnlyFields, sourceOf } from '../clients/catalog';
import { Project } from './project.entity';

/**
 * A project as the API shows it; `hourly_rate` is a two-decimal string or null (money is never a
 * JSON float). `source`, `integration_id`, `external_id` and `read_only_fields` as for clients.
 */
export function presentProject(project: Project) {
  return {
    id: project.id,
    name: project.name,
    client_id: project.clientId,
    color: project.color,
    hourly_rate: project.hourlyRate,
    metadata: project.metadata ?? {},
    is_active: project.isActive !== false,
    source: sourceOf(project),
    integration_id: project.integrationId,
    external_id: project.externalId,
    read_only_fields: readOnlyFields(project, 'project'),
    created_at: project.createdAt?.toISOString() ?? null,
    updated_at: project.updatedAt?.toISOString() ?? null,
  };
}
