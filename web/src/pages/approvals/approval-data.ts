// The review queue's reads and decisions. A decision refreshes every cached week of the
// organization, so the planner's badges follow without a reload.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, data } from '../../api/client';
import type { Organization } from '../../api/models';
import { listTimeBlocks, WEEK_POLL_MS } from '../../planner/planner-data';

/** The most blocks one decision changes (the server's limit); larger selections go in chunks. */
export const MAX_REVIEWED_BLOCKS = 500;

export type QueueStatus = 'pending' | 'rejected';

export function useOrganization(orgId: number) {
  return useQuery({
    queryKey: [orgId, 'organization'],
    queryFn: () =>
      data<Organization>(
        api().GET('/api/v1/organizations/{organizationId}', {
          params: { path: { organizationId: orgId } },
        }),
      ),
  });
}

/** Billable blocks of one status overlapping [from, to), everyone's or one member's. */
export function useReviewQueue(
  orgId: number,
  query: { from: string; to: string; userId: string; status: QueueStatus },
) {
  return useQuery({
    queryKey: [orgId, 'time-blocks', 'review', query],
    // Members' edits put rejected blocks back in the queue while it is open.
    refetchInterval: WEEK_POLL_MS,
    queryFn: () =>
      listTimeBlocks(orgId, {
        from: query.from,
        to: query.to,
        user_id: query.userId,
        approval_status: query.status,
        is_billable: true,
      }),
  });
}

function chunks(ids: number[]): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < ids.length; i += MAX_REVIEWED_BLOCKS) {
    out.push(ids.slice(i, i + MAX_REVIEWED_BLOCKS));
  }
  return out;
}

export function useReviewDecisions(orgId: number) {
  const queryClient = useQueryClient();
  const onSettled = () => queryClient.invalidateQueries({ queryKey: [orgId, 'time-blocks'] });
  const path = { params: { path: { organizationId: orgId } } };

  const approve = useMutation({
    mutationFn: async (ids: number[]) => {
      for (const chunk of chunks(ids)) {
        await api().POST('/api/v1/organizations/{organizationId}/time-blocks/approve', {
          ...path,
          body: { ids: chunk },
        });
      }
      return ids.length;
    },
    onSettled,
  });

  const reject = useMutation({
    mutationFn: async ({ ids, note }: { ids: number[]; note: string }) => {
      for (const chunk of chunks(ids)) {
        await api().POST('/api/v1/organizations/{organizationId}/time-blocks/reject', {
          ...path,
          body: { ids: chunk, note },
        });
      }
      return ids.length;
    },
    onSettled,
  });

  const requireApproval = useMutation({
    mutationFn: (on: boolean) =>
      api().PATCH('/api/v1/organizations/{organizationId}', {
        ...path,
        // A partial update: the document marks `timezone` required because it has a default.
        body: { settings: { require_approval: on } } as never,
      }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: [orgId, 'organization'] }),
  });

  return { approve, reject, requireApproval };
}
