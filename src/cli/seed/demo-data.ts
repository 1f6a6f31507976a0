import type { OrganizationRole } from '../../organizations/organization-member.entity';

/*
 * The demo organization, as data. Everything here is fictional: the `.test` top-level domain is
 * reserved (RFC 2606), so no demo address can reach a real mailbox.
 */

export const DEMO_TIMEZONE = 'Europe/Amsterdam';

export const DEMO_ORGANIZATION = {
  name: 'Acme Studio',
  slug: 'acme-studio',
  timezone: DEMO_TIMEZONE,
  billingEmail: 'billing@acme-studio.test',
  // A demo should not run into a trial that ends; the rate is a decimal string (never a float).
  subscriptionStatus: 'active',
  settings: { default_hourly_rate: '95.00' },
} as const;

export interface DemoPerson {
  name: string;
  email: string;
  role: OrganizationRole;
  /** How many days before seeding the person joined (the owner founded the organization). */
  joinedDaysAgo: number;
}

export const DEMO_PEOPLE: readonly DemoPerson[] = [
  { name: 'Sanne de Vries', email: 'owner@demo.test', role: 'owner', joinedDaysAgo: 420 },
  { name: 'Daan Bakker', email: 'admin@demo.test', role: 'admin', joinedDaysAgo: 310 },
  { name: 'Lotte Jansen', email: 'member1@demo.test', role: 'member', joinedDaysAgo: 240 },
  { name: 'Bram Visser', email: 'member2@demo.test', role: 'member', joinedDaysAgo: 150 },
  { name: 'Fatima El Amrani', email: 'member3@demo.test', role: 'member', joinedDaysAgo: 75 },
  { name: 'Pieter Smit', email: 'viewer@demo.test', role: 'viewer', joinedDaysAgo: 30 },
];

export const DEMO_EMAILS = DEMO_PEOPLE.map((person) => person.email);

/**
 * Who plans time: everyone but the viewer. Viewers only read (docs/architecture.md, "Tenancy and access"),
 * so a viewer owning blocks would be data the API itself could never produce.
 */
export const PLANNING_ROLES: readonly OrganizationRole[] = ['owner', 'admin', 'member'];

export interface DemoClient {
  key: string;
  name: string;
  email: string;
}

export const DEMO_CLIENTS: readonly DemoClient[] = [
  { key: 'bakery', name: 'Bakkerij Van Dijk', email: 'info@bakkerij-vandijk.test' },
  { key: 'bikes', name: 'Fietsfabriek Amsterdam', email: 'office@fietsfabriek.test' },
  { key: 'logistics', name: 'Tulip Logistics B.V.', email: 'finance@tulip-logistics.test' },
  { key: 'energy', name: 'Noordzee Energie', email: 'inkoop@noordzee-energie.test' },
  { key: 'museum', name: 'Museum Het Grachtenhuis', email: 'projecten@grachtenhuis.test' },
];

export interface DemoProject {
  name: string;
  /** `DemoClient.key`, or null for internal work. */
  client: string | null;
  color: string;
  /** Decimal string; null falls back to the organization's default rate. */
  hourlyRate: string | null;
}

export const DEMO_PROJECTS: readonly DemoProject[] = [
  { name: 'Website relaunch', client: 'bakery', color: '#4F46E5', hourlyRate: '95.00' },
  { name: 'Online ordering app', client: 'bakery', color: '#0EA5E9', hourlyRate: '110.00' },
  { name: 'Brand refresh', client: 'bikes', color: '#F59E0B', hourlyRate: null },
  { name: 'Fleet dashboard', client: 'logistics', color: '#10B981', hourlyRate: '120.00' },
  { name: 'Customer portal', client: 'energy', color: '#EF4444', hourlyRate: '105.00' },
  { name: 'Annual report 2025', client: 'energy', color: '#8B5CF6', hourlyRate: null },
  { name: 'Exhibition microsite', client: 'museum', color: '#EC4899', hourlyRate: '85.00' },
  { name: 'Studio operations', client: null, color: '#6B7280', hourlyRate: null },
];

/** Client work, billed: shown as "<project> – <activity>". */
export const BILLABLE_ACTIVITIES: readonly string[] = [
  'Wireframes',
  'Design review with client',
  'Frontend implementation',
  'API integration',
  'Bug fixing',
  'Content migration',
  'Sprint planning',
  'Usability testing',
  'Copywriting',
  'Accessibility audit',
  'Release and smoke tests',
  'Performance tuning',
  'Client call',
  'Prototype in Figma',
  'Illustrations',
  'Data modelling',
  'Code review',
  'Workshop preparation',
];

/** Internal time, not billed; some of it booked on the internal project. */
export const INTERNAL_ACTIVITIES: readonly string[] = [
  'Team stand-up',
  'Weekly planning',
  'Email and admin',
  'Studio meeting',
  'Learning: TypeScript deep dive',
  'Proposal for a new client',
  'Recruitment interview',
  '1:1 check-in',
  'Invoicing and timesheets',
  'Tooling and laptop maintenance',
  'Portfolio update',
  'Focus time',
];

/** Short notes attached to some blocks, so the description column is not always empty. */
export const DESCRIPTIONS: readonly string[] = [
  'Notes and links in the project channel.',
  'Follow up on the open questions from last week.',
  'Bring the latest designs.',
  'Timebox: stop when the hour is up.',
  'Agenda shared in advance.',
];
