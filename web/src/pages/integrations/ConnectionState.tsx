import type { Integration } from '../../api/models';
import { t } from '../../strings';
import { formatInstant } from '../../time/week-time';

/** A connection's health, shared by calendar and invoicing panels: status, last sync, reconnect. */
export function ConnectionState({
  integration,
  zone,
  mayReconnect,
  onReconnect,
}: {
  integration: Integration;
  zone: string;
  mayReconnect: boolean;
  onReconnect: () => void;
}) {
  const status = integration.needs_reconnect
    ? t.integrations.needsReconnect
    : integration.is_active
      ? t.integrations.active
      : t.integrations.paused;
  return (
    <>
      <p className="hint">
        <span>
          {t.integrations.status}: <strong>{status}</strong>
        </span>
        <span>
          {integration.last_sync_at
            ? t.integrations.lastSync(formatInstant(integration.last_sync_at, zone))
            : t.integrations.neverSynced}
        </span>
      </p>
      {integration.needs_reconnect && (
        <div className="alert" role="alert">
          <p>{t.integrations.reconnectHelp}</p>
          {mayReconnect && (
            <button type="button" className="primary" onClick={onReconnect}>
              {t.integrations.reconnect}
            </button>
          )}
        </div>
      )}
      {integration.last_error && !integration.needs_reconnect && (
        <p className="form-error">{integration.last_error}</p>
      )}
    </>
  );
}
