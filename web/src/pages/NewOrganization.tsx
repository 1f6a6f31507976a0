import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { api, data } from '../api/client';
import type { Organization } from '../api/models';
import { Field, formValues } from '../app/forms';
import { useMe } from '../app/session';
import { FormError, Page } from '../app/ui';
import { t } from '../strings';

export default function NewOrganization() {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const me = useMe();
  const create = useMutation({
    mutationFn: (body: { name: string; timezone: string }) =>
      data<Organization>(api().POST('/api/v1/organizations', { body })),
    onSuccess: async (organization) => {
      await api().PUT('/api/v1/me/current-organization', { body: { organization_id: organization.id } });
      queryClient.clear();
      navigate(`/o/${organization.id}/planner`);
    },
  });
  return (
    <Page title={t.orgs.create}>
      {me.data && me.data.memberships.length === 0 && <p>{t.orgs.none}</p>}
      <form
        className="narrow"
        onSubmit={(e) => {
          e.preventDefault();
          const v = formValues(e.currentTarget);
          create.mutate({ name: v.name, timezone: v.timezone });
        }}
      >
        <Field label={t.orgs.name} name="name" required error={create.error} />
        <Field
          label={t.orgs.timezone}
          name="timezone"
          required
          defaultValue={me.data?.timezone || Intl.DateTimeFormat().resolvedOptions().timeZone}
          error={create.error}
        />
        <FormError error={create.error} fields={['name', 'timezone']} />
        <button type="submit" className="primary" disabled={create.isPending}>
          {t.create}
        </button>
      </form>
    </Page>
  );
}
