import type { Project } from '../../projects/project.entity';
import { changed, SyncValues } from '../../sync/block-sync-state';
import type { TimeBlock } from '../../time-blocks/time-block.entity';
import { BILLABLE_ACTIVITIES, DESCRIPTIONS, DEMO_TIMEZONE, INTERNAL_ACTIVITIES } from './demo-data';
import { SeededRandom } from './random';
import { PlannedBlock } from './schedule';

export type DemoBlockRow = Pick<
  TimeBlock,
  | 'organizationId'
  | 'userId'
  | 'title'
  | 'description'
  | 'startTime'
  | 'endTime'
  | 'timezone'
  | 'color'
  | 'clientId'
  | 'projectId'
  | 'isBillable'
  | 'createdAt'
  | 'updatedAt'
> &
  SyncValues;

/**
 * Gives planned slots their content. Exactly half the blocks (rounded down) are billable client
 * work on a client's project; the rest is internal time, half of it booked on the internal project.
 * Sync is 'disabled' on both sides: the demo has no connected calendar or invoicing system, and
 * 'pending' would leave work queued for integrations that do not exist.
 */
export function demoBlockRows(
  planned: PlannedBlock[],
  context: { organizationId: number; userIds: number[]; projects: Project[]; now: Date },
  random: SeededRandom,
): DemoBlockRow[] {
  const clientProjects = context.projects.filter((project) => project.clientId !== null);
  const internalProjects = context.projects.filter((project) => project.clientId === null);
  const billable = new Set(
    random.shuffle([...planned.keys()]).slice(0, Math.floor(planned.length / 2)),
  );

  return planned.map((block, index) => {
    const isBillable = billable.has(index);
    let project: Project | null;
    let title: string;
    if (isBillable) {
      project = random.pick(clientProjects);
      title = `${project.name} – ${random.pick(BILLABLE_ACTIVITIES)}`;
    } else {
      project =
        internalProjects.length > 0 && random.next() < 0.5 ? random.pick(internalProjects) : null;
      title = random.pick(INTERNAL_ACTIVITIES);
    }
    return {
      organizationId: context.organizationId,
      userId: context.userIds[block.person],
      title,
      description: random.next() < 0.3 ? random.pick(DESCRIPTIONS) : null,
      startTime: block.start,
      endTime: block.end,
      timezone: DEMO_TIMEZONE,
      color: project?.color ?? null,
      clientId: project?.clientId ?? null,
      projectId: project?.id ?? null,
      isBillable,
      ...changed({}, { calendar: false, invoicing: false }),
      createdAt: context.now,
      updatedAt: context.now,
    };
  });
}
