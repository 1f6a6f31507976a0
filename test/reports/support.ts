import { Organization } from '../../src/organizations/organization.entity';
import { TimeBlock } from '../../src/time-blocks/time-block.entity';
import { User } from '../../src/users/user.entity';
import { Factory } from '../factories';
import { makeTeam, Team } from '../support/actors';
import { TestApp } from '../support/app';

/** A fresh organization (UTC, default rate 100.00 unless overridden) for one report scenario. */
export function reportTeam(
  t: TestApp,
  factory: Factory,
  values: { timezone?: string; settings?: Record<string, unknown> } = {},
): Promise<Team> {
  return makeTeam(t, factory, {
    timezone: values.timezone ?? 'UTC',
    settings: values.settings ?? { default_hourly_rate: '100.00' },
  });
}

/** A block from `start` to `end` (ISO 8601 instants), billable unless told otherwise. */
export function block(
  factory: Factory,
  organization: Organization,
  user: User,
  start: string,
  end: string,
  options: Parameters<Factory['timeBlock']>[2] = {},
): Promise<TimeBlock> {
  return factory.timeBlock(organization, user, {
    startTime: new Date(start),
    endTime: new Date(end),
    isBillable: true,
    ...options,
  });
}

export interface Figures {
  total_seconds: number;
  billable_seconds: number;
  billed_hours: string;
  amount: string;
}

export interface Group extends Figures {
  key: Record<string, unknown>;
  groups?: Group[];
}

export const figures = (
  total_seconds: number,
  billable_seconds: number,
  billed_hours: string,
  amount: string,
): Figures => ({ total_seconds, billable_seconds, billed_hours, amount });

/** `"12.25"` → 1225: decimal strings compared as integers, never as floats. */
const hundredths = (value: string) => {
  const [whole, fraction] = value.split('.');
  return Number(whole) * 100 + Number(fraction);
};

/**
 * For every level, the groups' figures added up (as integers) next to their parent's: a helper
 * for "the groups add up to the totals", on top of the hand-computed expectations.
 */
export function sumsByLevel(
  parent: Figures,
  groups: Group[],
): { parent: number[]; sum: number[] }[] {
  const add = (gs: Group[]) => [
    gs.reduce((a, g) => a + g.total_seconds, 0),
    gs.reduce((a, g) => a + g.billable_seconds, 0),
    gs.reduce((a, g) => a + hundredths(g.billed_hours), 0),
    gs.reduce((a, g) => a + hundredths(g.amount), 0),
  ];
  const own = {
    parent: [
      parent.total_seconds,
      parent.billable_seconds,
      hundredths(parent.billed_hours),
      hundredths(parent.amount),
    ],
    sum: add(groups),
  };
  return [
    own,
    ...groups.flatMap((group) => (group.groups ? sumsByLevel(group, group.groups) : [])),
  ];
}
