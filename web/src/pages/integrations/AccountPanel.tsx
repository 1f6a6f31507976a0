import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { api } from '../../api/client';
import type { Calendar, Integration } from '../../api/models';
import { FormError } from '../../app/ui';
import { t } from '../../strings';
import { ConnectionState } from './ConnectionState';

const DIRECTIONS = ['write', 'read', 'both'] as const;

interface CalendarChange {
  calendarId: number;
  body: Record<string, unknown>;
}

/** One connected calendar account: its state, its calendars, and what its owner can do. */
export function AccountPanel({
  orgId,
  zone,
  integration,
  calendars,
  manage,
  onReconnect,
}: {
  orgId: number;
  zone: string;
  integration: Integration;
  calendars: Calendar[];
  /** The caller may change it (their own account, or an admin). */
  manage: boolean;
  onReconnect: () => void;
}) {
  const id = useId();
  const queryClient = useQueryClient();
  const [disconnecting, setDisconnecting] = useState(false);
  const refresh = () => queryClient.invalidateQueries({ queryKey: [orgId] });
  const organizationId = orgId;
  // The change being saved, set in the event handler itself: the mutation's own state reaches
  // React a tick later, and a controlled checkbox would show the old value in between.
  const [saving, setSaving] = useState<CalendarChange | null>(null);
  const update = useMutation({
    mutationFn: ({ calendarId, body }: CalendarChange) =>
      api().PATCH('/api/v1/organizations/{organizationId}/calendars/{calendarId}', {
        params: { path: { organizationId, calendarId } },
        body: body as never,
      }),
    onSettled: async () => {
      await refresh();
      setSaving(null);
    },
  });
  const save = (change: CalendarChange) => {
    setSaving(change);
    update.mutate(change);
  };
  const reload = useMutation({
    mutationFn: () =>
      api().POST(
        '/api/v1/organizations/{organizationId}/integrations/{integrationId}/calendars/refresh',
        { params: { path: { organizationId, integrationId: integration.id } } },
      ),
    onSettled: refresh,
  });
  const disconnect = useMutation({
    mutationFn: (removeEvents: boolean) =>
      api().DELETE('/api/v1/organizations/{organizationId}/integrations/{integrationId}', {
        params: {
          path: { organizationId, integrationId: integration.id },
          query: { remove_events: removeEvents } as never,
        },
      }),
    onSuccess: refresh,
  });

  // A change shows at once; the list's refetch then confirms it (or an error undoes it).
  const shown = <K extends 'is_enabled' | 'sync_direction'>(calendar: Calendar, field: K) =>
    saving?.calendarId === calendar.id && field in saving.body
      ? (saving.body[field] as Calendar[K])
      : calendar[field];

  const provider = t.integrations.providers[integration.provider] ?? integration.provider;
  const email = integration.provider_account_email ?? provider;

  return (
    <section className="panel" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>
        {provider}: {email}
      </h2>
      <ConnectionState
        integration={integration}
        zone={zone}
        mayReconnect={manage}
        onReconnect={onReconnect}
      />

      <h3>{t.integrations.calendars}</h3>
      {calendars.length === 0 ? (
        <p className="state empty">{t.integrations.noCalendars}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t.integrations.calendar}</th>
              <th scope="col">{t.integrations.enabled}</th>
              <th scope="col">{t.integrations.direction}</th>
            </tr>
          </thead>
          <tbody>
            {calendars.map((calendar) => (
              <tr key={calendar.id}>
                <td>
                  {calendar.name}
                  {calendar.is_primary && <small> ({t.integrations.primary})</small>}
                </td>
                <td>
                  <input
                    type="checkbox"
                    aria-label={t.integrations.enabledFor(calendar.name)}
                    checked={shown(calendar, 'is_enabled')}
                    disabled={!manage || saving !== null}
                    onChange={(e) =>
                      save({ calendarId: calendar.id, body: { is_enabled: e.target.checked } })
                    }
                  />
                </td>
                <td>
                  <select
                    aria-label={t.integrations.directionFor(calendar.name)}
                    value={shown(calendar, 'sync_direction')}
                    disabled={!manage || saving !== null}
                    onChange={(e) =>
                      save({ calendarId: calendar.id, body: { sync_direction: e.target.value } })
                    }
                  >
                    {DIRECTIONS.map((d) => (
                      <option key={d} value={d}>
                        {t.integrations.directions[d]}
                      </option>
                    ))}
                  </select>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <FormError error={update.error ?? reload.error} fields={[]} />

      {manage && (
        <div className="actions account-actions">
          <button type="button" onClick={() => reload.mutate()} disabled={reload.isPending}>
            {t.integrations.refresh}
          </button>
          {!disconnecting && (
            <button
              type="button"
              className="danger"
              aria-label={t.integrations.disconnectAccount(email)}
              onClick={() => setDisconnecting(true)}
            >
              {t.integrations.disconnect}
            </button>
          )}
        </div>
      )}
      {manage && disconnecting && (
        <form
          aria-label={t.integrations.disconnectAccount(email)}
          onSubmit={(e) => {
            e.preventDefault();
            const removeEvents = new FormData(e.currentTarget).get('remove_events') === 'on';
            disconnect.mutate(removeEvents);
          }}
        >
          <label className="checkbox">
            <input type="checkbox" name="remove_events" />
            {t.integrations.removeEvents}
          </label>
          <FormError error={disconnect.error} fields={[]} />
          <div className="actions">
            <button type="submit" className="danger" disabled={disconnect.isPending}>
              {t.integrations.confirmDisconnect}
            </button>
            <button type="button" onClick={() => setDisconnecting(false)}>
              {t.cancel}
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
