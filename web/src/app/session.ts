import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback } from 'react';
import { api, data, tokenStore } from '../api/client';
import type { Me, Role } from '../api/models';

export function useMe() {
  return useQuery({
    queryKey: ['me'],
    queryFn: () => data<Me>(api().GET('/api/v1/me')),
    enabled: tokenStore.get() !== null,
  });
}

export function useSignOut() {
  const queryClient = useQueryClient();
  return useCallback(async () => {
    await api()
      .POST('/api/v1/auth/logout')
      .catch(() => undefined);
    tokenStore.clear();
    queryClient.clear();
    window.location.assign('/login');
  }, [queryClient]);
}

export function roleIn(me: Me | undefined, orgId: number): Role | undefined {
  return me?.memberships.find((m) => m.organization.id === orgId)?.role;
}

export const isAdmin = (role: Role | undefined) => role === 'owner' || role === 'admin';
export const canEdit = (role: Role | undefined) => role !== undefined && role !== 'viewer';
