import { readOnlyFields, sourceOf } from './catalog';
import { Client } from './client.entity';

/**
 * A client as the API shows it. `source` says whether it was made here or synced from the
 * organization's invoicing provider (`integration_id`, `external_id`); `read_only_fields` lists
 * what the provider owns, so the SPA can disable those inputs.
 */
export function presentClient(client: Client) {
  return {
    id: client.id,
    name: client.name,
    email: client.email,
    metadata: client.metadata ?? {},
    is_active: client.isActive !== false,
    source: sourceOf(client),
    integration_id: client.integrationId,
    external_id: client.externalId,
    read_only_fields: readOnlyFields(client, 'client'),
    created_at: client.createdAt?.toISOString() ?? null,
    updated_at: client.updatedAt?.toISOString() ?? null,
  };
}
