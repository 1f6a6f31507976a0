import { Integration } from './integration.entity';

export interface IntegrationBlockCounts {
  pending: number;
  error: number;
}

/**
 * An integration as the API shows it: the account and its health, never a token (neither the
 * access or refresh token nor the token metadata leave the server).
 */
export function presentIntegration(integration: Integration, counts?: IntegrationBlockCounts) {
  return {
    id: integration.id,
    provider: integration.provider,
    provider_type: integration.providerType,
    name: integration.name,
    connected_by: integration.connectedById,
    provider_account_id: integration.providerAccountId,
    provider_account_email: integration.providerAccountEmail,
    expires_at: integration.expiresAt?.toISOString() ?? null,
    is_active: integration.isActive !== false,
    last_sync_at: integration.lastSyncAt?.toISOString() ?? null,
    last_error: integration.lastError,
    error_count: integration.errorCount ?? 0,
    needs_reconnect: needsReconnect(integration),
    /** danwel's webhook is registered in the provider (Moneybird); false: found on a schedule. */
    webhook_registered: integration.webhookId !== null && integration.webhookId !== undefined,
    ...(counts ? { blocks: { pending: counts.pending, error: counts.error } } : {}),
    created_at: integration.createdAt?.toISOString() ?? null,
    updated_at: integration.updatedAt?.toISOString() ?? null,
  };
}

/** The provider refused the refresh token (`invalid_grant`): only consent again can fix it. */
export function needsReconnect(integration: Integration): boolean {
  return integration.needsReconnect === true;
}
