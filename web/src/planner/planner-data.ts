// What the planner reads and writes, as TanStack Query hooks. Query keys start with the
// organization id, so switching organizations never shows another one's cached data.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { allPages, api, data } from '../api/client';
import type { operations } from '../api/schema';
import type {
  Calendar,
  CalendarEvent,
  Client,
  Member,
  Page,
  Project,
  TimeBlock,
} from '../api/models';

/** How often an open week asks for changes made elsewhere (another tab, the sync worker). */
export const WEEK_POLL_MS = 15_000;

/** The list filters of GET …/time-blocks, paging aside. */
export type TimeBlockFilters = Omit<
  operations['TimeBlocksController_list']['parameters']['query'],
  'cursor' | 'limit'
>;

/** Every block matching the filters, all pages (the planner, the team week, the review queue). */
export function listTimeBlocks(orgId: number, filters: TimeBlockFilters): Promise<TimeBlock[]> {
  return allPages((cursor) =>
    data<Page<TimeBlock>>(
      api().GET('/api/v1/organizations/{organizationId}/time-blocks', {
        params: { path: { organizationId: orgId }, query: { ...filters, limit: 100, cursor } },
      }),
    ),
  );
}

export function useWeekBlocks(orgId: number, from: string, to: string, userId: string) {
  return useQuery({
    queryKey: [orgId, 'time-blocks', from, to, userId],
    refetchInterval: WEEK_POLL_MS,
    queryFn: () => listTimeBlocks(orgId, { from, to, user_id: userId }),
  });
}

export function useBusyTime(orgId: number, from: string, to: string, userId: string) {
  return useQuery({
    queryKey: [orgId, 'calendar-events', from, to, userId],
    refetchInterval: WEEK_POLL_MS,
    queryFn: () =>
      allPages((cursor) =>
        data<Page<CalendarEvent>>(
          api().GET('/api/v1/organizations/{organizationId}/calendar-events', {
            params: {
              path: { organizationId: orgId },
              query: { from, to, user_id: userId, limit: 100, cursor },
            },
          }),
        ),
      ),
  });
}

export function useProjects(orgId: number) {
  return useQuery({
    queryKey: [orgId, 'projects'],
    queryFn: () =>
      allPages((cursor) =>
        data<Page<Project>>(
          api().GET('/api/v1/organizations/{organizationId}/projects', {
            params: { path: { organizationId: orgId }, query: { limit: 100, cursor } },
          }),
        ),
      ),
  });
}

export function useClients(orgId: number) {
  return useQuery({
    queryKey: [orgId, 'clients'],
    queryFn: () =>
      allPages((cursor) =>
        data<Page<Client>>(
          api().GET('/api/v1/organizations/{organizationId}/clients', {
            params: { path: { organizationId: orgId }, query: { limit: 100, cursor } },
          }),
        ),
      ),
  });
}

export function useMembers(orgId: number, enabled = true) {
  return useQuery({
    queryKey: [orgId, 'members'],
    enabled,
    queryFn: () =>
      allPages((cursor) =>
        data<Page<Member>>(
          api().GET('/api/v1/organizations/{organizationId}/members', {
            params: { path: { organizationId: orgId }, query: { limit: 100, cursor } },
          }),
        ),
      ),
  });
}

export function useCalendars(orgId: number) {
  return useQuery({
    queryKey: [orgId, 'calendars'],
    queryFn: () =>
      allPages((cursor) =>
        data<Page<Calendar>>(
          api().GET('/api/v1/organizations/{organizationId}/calendars', {
            params: { path: { organizationId: orgId }, query: { limit: 100, cursor } },
          }),
        ),
      ),
  });
}

export interface BlockInput {
  title: string;
  description?: string | null;
  start_time: string;
  end_time: string;
  timezone?: string;
  client_id?: number | null;
  project_id?: number | null;
  calendar_id?: number | null;
  is_billable: boolean;
  user_id?: number;
}

type WeekKey = readonly unknown[];

/**
 * Create, change and delete blocks. Changes to an existing block apply to the week at once and
 * are put back as they were when the server refuses them (overlap 409, validation 422).
 */
export function useBlockMutations(orgId: number, weekKey: WeekKey) {
  const queryClient = useQueryClient();
  const invalidate = () => queryClient.invalidateQueries({ queryKey: [orgId, 'time-blocks'] });

  const create = useMutation({
    mutationFn: (body: BlockInput) =>
      data<TimeBlock>(
        api().POST('/api/v1/organizations/{organizationId}/time-blocks', {
          params: { path: { organizationId: orgId } },
          body,
        }),
      ),
    onSettled: invalidate,
  });

  const update = useMutation({
    mutationFn: ({ id, changes }: { id: number; changes: Partial<BlockInput> }) =>
      data<TimeBlock>(
        api().PATCH('/api/v1/organizations/{organizationId}/time-blocks/{timeBlockId}', {
          params: { path: { organizationId: orgId, timeBlockId: id } },
          body: changes,
        }),
      ),
    onMutate: async ({ id, changes }) => {
      await queryClient.cancelQueries({ queryKey: weekKey });
      const before = queryClient.getQueryData<TimeBlock[]>(weekKey);
      queryClient.setQueryData<TimeBlock[]>(weekKey, (blocks) =>
        blocks?.map((b) =>
          b.id === id
            ? { ...b, ...(changes as Partial<TimeBlock>), calendar_sync_status: 'pending' }
            : b,
        ),
      );
      return { before };
    },
    onError: (_error, _vars, context) => {
      if (context?.before) queryClient.setQueryData(weekKey, context.before);
    },
    onSettled: invalidate,
  });

  const remove = useMutation({
    mutationFn: (id: number) =>
      api().DELETE('/api/v1/organizations/{organizationId}/time-blocks/{timeBlockId}', {
        params: { path: { organizationId: orgId, timeBlockId: id } },
      }),
    onSettled: invalidate,
  });

  return { create, update, remove };
}
