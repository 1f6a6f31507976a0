import { useQueryClient } from '@tanstack/react-query';
import { Suspense } from 'react';
import { Navigate, NavLink, Outlet, useLocation, useNavigate, useParams } from 'react-router';
import { api, onUnauthorized, tokenStore } from '../api/client';
import { connectingOrganization } from '../pages/integrations/connect-flow';
import { t } from '../strings';
import { isAdmin, roleIn, useMe, useSignOut } from './session';
import { ErrorState, Loading } from './ui';

/** Where a signed-in person lands: their current organization's planner. */
export function HomeRedirect() {
  const me = useMe();
  if (me.isPending) return <Loading />;
  if (me.isError) return <ErrorState error={me.error} onRetry={() => me.refetch()} />;
  const ids = me.data.memberships.map((m) => m.organization.id);
  const current = ids.includes(me.data.current_organization_id ?? -1)
    ? me.data.current_organization_id
    : ids[0];
  return <Navigate to={current ? `/o/${current}/planner` : '/organizations/new'} replace />;
}

/** Back from a provider's consent: the organization the connection started in, same query. */
export function IntegrationsReturn() {
  const me = useMe();
  const location = useLocation();
  if (me.isPending) return <Loading />;
  if (me.isError) return <ErrorState error={me.error} onRetry={() => me.refetch()} />;
  const ids = me.data.memberships.map((m) => m.organization.id);
  const orgId = [connectingOrganization(), me.data.current_organization_id, ids[0]].find(
    (id) => id != null && ids.includes(id),
  );
  if (!orgId) return <Navigate to="/organizations/new" replace />;
  return <Navigate to={`/o/${orgId}/integrations${location.search}`} replace />;
}

/** The signed-in frame: navigation, organization switcher, and the screen. */
export function AppShell() {
  const location = useLocation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const signOut = useSignOut();
  const me = useMe();
  const { orgId } = useParams();
  const organizationId = orgId ? Number(orgId) : undefined;

  onUnauthorized(() => {
    tokenStore.clear();
    queryClient.clear();
    navigate(`/login?next=${encodeURIComponent(location.pathname)}`);
  });

  if (!tokenStore.get()) {
    return <Navigate to={`/login?next=${encodeURIComponent(location.pathname)}`} replace />;
  }
  if (me.isPending) return <Loading />;
  if (me.isError) return <ErrorState error={me.error} onRetry={() => me.refetch()} />;

  const role = organizationId ? roleIn(me.data, organizationId) : undefined;
  // Pages outside an organization (the profile) keep the current one's navigation.
  const navOrganization =
    organizationId ??
    (roleIn(me.data, me.data.current_organization_id ?? -1)
      ? me.data.current_organization_id!
      : undefined);
  const navRole = navOrganization ? roleIn(me.data, navOrganization) : undefined;
  const admin = isAdmin(navRole);

  async function switchOrganization(value: string) {
    if (value === 'new') return navigate('/organizations/new');
    const id = Number(value);
    await api().PUT('/api/v1/me/current-organization', { body: { organization_id: id } });
    // Nothing of one organization stays cached into another.
    queryClient.clear();
    navigate(`/o/${id}/planner`);
  }

  const link = (to: string, label: string) => (
    <li>
      <NavLink to={`/o/${navOrganization}/${to}`}>{label}</NavLink>
    </li>
  );

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">{t.appName}</span>
        <label className="org-switcher">
          <span className="visually-hidden">{t.nav.organization}</span>
          <select
            value={navOrganization ?? ''}
            onChange={(e) => void switchOrganization(e.target.value)}
          >
            {!navOrganization && <option value="">{t.nav.organization}</option>}
            {me.data.memberships.map((m) => (
              <option key={m.organization.id} value={m.organization.id}>
                {m.organization.name}
              </option>
            ))}
            <option value="new">{t.nav.newOrganization}</option>
          </select>
        </label>
        <nav aria-label={t.nav.main}>
          <ul>
            {navOrganization && navRole && (
              <>
                {link('planner', t.nav.planner)}
                {admin && link('team', t.nav.team)}
                {link('clients', t.nav.clients)}
                {link('projects', t.nav.projects)}
                {link('members', t.nav.members)}
                {link('integrations', t.nav.integrations)}
                {link('reports', t.nav.reports)}
                {admin && link('approvals', t.nav.approvals)}
                {admin && link('audit', t.nav.audit)}
              </>
            )}
            <li>
              <NavLink to="/profile">{t.nav.profile}</NavLink>
            </li>
          </ul>
        </nav>
        <button type="button" className="link-button" onClick={() => void signOut()}>
          {t.nav.signOut}
        </button>
      </header>
      <main id="main">
        {organizationId && !role ? (
          <p className="state" role="alert">
            {t.notFound}
          </p>
        ) : (
          <Suspense fallback={<Loading />}>
            <Outlet />
          </Suspense>
        )}
      </main>
    </div>
  );
}
