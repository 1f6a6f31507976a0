import { createBrowserRouter, Navigate } from 'react-router';
import { AppShell, HomeRedirect, IntegrationsReturn } from './AppShell';
import { RouteError } from './ui';

// Screens load on demand so the first page only carries the shell and the sign-in form.
const lazy = (load: () => Promise<{ default: React.ComponentType }>) => async () => ({
  Component: (await load()).default,
});

export const router = createBrowserRouter([
  { path: '/login', lazy: lazy(() => import('../pages/SignIn')) },
  { path: '/register', lazy: lazy(() => import('../pages/SignUp')) },
  { path: '/forgot-password', lazy: lazy(() => import('../pages/ForgotPassword')) },
  { path: '/reset-password', lazy: lazy(() => import('../pages/ResetPassword')) },
  { path: '/verify-email', lazy: lazy(() => import('../pages/VerifyEmail')) },
  { path: '/invitations/:token', lazy: lazy(() => import('../pages/AcceptInvitation')) },
  {
    path: '/',
    Component: AppShell,
    ErrorBoundary: RouteError,
    children: [
      { index: true, Component: HomeRedirect },
      { path: 'organizations/new', lazy: lazy(() => import('../pages/NewOrganization')) },
      { path: 'profile', lazy: lazy(() => import('../pages/Profile')) },
      { path: 'integrations', Component: IntegrationsReturn },
      {
        path: 'o/:orgId',
        children: [
          { index: true, element: <Navigate to="planner" replace /> },
          { path: 'planner', lazy: lazy(() => import('../planner/PlannerPage')) },
          { path: 'team', lazy: lazy(() => import('../pages/TeamWeek')) },
          { path: 'clients', lazy: lazy(() => import('../pages/Clients')) },
          { path: 'projects', lazy: lazy(() => import('../pages/Projects')) },
          { path: 'members', lazy: lazy(() => import('../pages/Members')) },
          { path: 'integrations', lazy: lazy(() => import('../pages/Integrations')) },
          { path: 'reports', lazy: lazy(() => import('../pages/Reports')) },
          { path: 'approvals', lazy: lazy(() => import('../pages/Approvals')) },
          { path: 'audit', lazy: lazy(() => import('../pages/AuditLog')) },
        ],
      },
      { path: '*', lazy: lazy(() => import('../pages/NotFound')) },
    ],
  },
]);
