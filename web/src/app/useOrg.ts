import { useParams } from 'react-router';
import { isAdmin, roleIn, useMe } from './session';

/** The organization of the current route and the caller's role in it. */
export function useOrg() {
  const orgId = Number(useParams().orgId);
  const me = useMe().data!;
  const role = roleIn(me, orgId);
  return { orgId, me, role, admin: isAdmin(role) };
}
