import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId } from 'react';
import { api, data } from '../../api/client';
import type { Me, User } from '../../api/models';
import { Field } from '../../app/forms';
import { FieldError, FormError } from '../../app/ui';
import { t } from '../../strings';
import { WEEKDAYS, type Weekday } from '../../time/week-time';

const FIELDS = ['timezone', 'work_days', 'work_hours_start', 'work_hours_end', 'preferences'];
// ISO weekday numbers, as the planner reads preferences.week_start.
const WEEK_STARTS = WEEKDAYS.map((day, i) => ({ day, number: i + 1 }));
const ZONES: string[] = Intl.supportedValuesOf?.('timeZone') ?? [];

interface ProfileChange {
  timezone: string;
  work_days: Weekday[];
  work_hours_start: string;
  work_hours_end: string;
  preferences: Record<string, unknown>;
}

/** Time zone, work days and hours, and the first day of the planner's week. */
export function Preferences({ me }: { me: Me }) {
  const queryClient = useQueryClient();
  const id = useId();
  const save = useMutation({
    mutationFn: (body: ProfileChange) => data<User>(api().PATCH('/api/v1/me', { body })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['me'] }),
  });
  const resend = useMutation({
    mutationFn: () => api().POST('/api/v1/me/email/verification'),
  });

  function submit(form: HTMLFormElement) {
    const values = new FormData(form);
    const weekStart = Number(values.get('week_start'));
    const preferences = { ...me.preferences, week_start: weekStart || undefined };
    save.mutate({
      timezone: String(values.get('timezone')).trim(),
      work_days: values.getAll('work_days').map(String) as Weekday[],
      work_hours_start: String(values.get('work_hours_start')),
      work_hours_end: String(values.get('work_hours_end')),
      preferences,
    });
  }

  return (
    <section className="panel" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{t.profile.preferences}</h2>
      <p className="hint">
        {me.email_verified_at
          ? t.profile.emailVerified(me.email)
          : t.profile.emailUnverified(me.email)}
      </p>
      {!me.email_verified_at && (
        <p>
          <button type="button" onClick={() => resend.mutate()} disabled={resend.isPending}>
            {t.profile.resendVerification}
          </button>{' '}
          {resend.isSuccess && <span role="status">{t.profile.verificationSent}</span>}
          <FormError error={resend.error} fields={[]} />
        </p>
      )}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          submit(e.currentTarget);
        }}
      >
        <Field
          label={t.profile.timezone}
          name="timezone"
          required
          list={`${id}-zones`}
          defaultValue={me.timezone}
          error={save.error}
        />
        <datalist id={`${id}-zones`}>
          {ZONES.map((zone) => (
            <option key={zone} value={zone} />
          ))}
        </datalist>
        <fieldset aria-describedby={`${id}-days-error`}>
          <legend>{t.profile.workDays}</legend>
          <div className="weekdays">
            {WEEKDAYS.map((day) => (
              <label key={day} className="checkbox">
                <input
                  type="checkbox"
                  name="work_days"
                  value={day}
                  defaultChecked={me.work_days.includes(day)}
                />
                {t.weekdays[day]}
              </label>
            ))}
          </div>
          <FieldError error={save.error} field="work_days" id={`${id}-days-error`} />
        </fieldset>
        <div className="field-row">
          <Field
            label={t.profile.workStart}
            name="work_hours_start"
            type="time"
            required
            defaultValue={me.work_hours_start.slice(0, 5)}
            error={save.error}
          />
          <Field
            label={t.profile.workEnd}
            name="work_hours_end"
            type="time"
            required
            defaultValue={me.work_hours_end.slice(0, 5)}
            error={save.error}
          />
        </div>
        <div className="field">
          <label htmlFor={`${id}-week-start`}>{t.profile.weekStart}</label>
          <select
            id={`${id}-week-start`}
            name="week_start"
            defaultValue={String(me.preferences?.week_start ?? '')}
          >
            <option value="">{t.profile.weekStartDefault}</option>
            {WEEK_STARTS.map(({ day, number }) => (
              <option key={day} value={number}>
                {t.weekdays[day]}
              </option>
            ))}
          </select>
        </div>
        <FormError error={save.error} fields={FIELDS} />
        <button type="submit" className="primary" disabled={save.isPending}>
          {t.save}
        </button>{' '}
        {save.isSuccess && <span role="status">{t.profile.saved}</span>}
      </form>
    </section>
  );
}
