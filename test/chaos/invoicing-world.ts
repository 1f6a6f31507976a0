import { In } from 'typeorm';
import { Integration } from '../../src/integrations/integration.entity';
import { Project } from '../../src/projects/project.entity';
import { InvoicingLocks } from '../../src/sync/invoicing-locks';
import { TimeBlock } from '../../src/time-blocks/time-block.entity';
import { Factory } from '../factories';
import { Actor, actingAs, makeTeam, Team } from '../support/actors';
import { bootApp, TestApp } from '../support/app';
import type { InvoicingWorld, StoredEntry } from '../support/invoicing-subject';
import { INVOICING_SUBJECTS } from '../support/invoicing-subjects';
import { storeTokens } from '../support/secrets';
import { ChaosRandom, Tally } from './driver';

/*
 * The invoicing side of the chaos test: one organization per provider (Moneybird, Harvest,
 * Xero), all requiring approval, their member Ann known to every provider account by her
 * address. Ann plans billable and non-billable blocks and edits and deletes them, the admins
 * approve and reject, the provider users lock and invoice entries (Moneybird's only by invoice:
 * its lock is of a whole period, every entry up to a date, which the push spec covers), and every
 * emulator loses answers, fails with 5xx and throttles with its own Retry-After.
 */

/** Rate-limit 429s before this are the warm-up (fresh windows, first mapping reads). */
const WARM_UP_MS = 10_000;
/**
 * Moneybird stores instants, no date: an entry's day is the one in the administration's zone
 * (Europe/Amsterdam here), so its blocks are planned there.
 */
const ZONES: Record<string, string[]> = { moneybird: ['Europe/Amsterdam'] };
const ANY_ZONE = ['Europe/Amsterdam', 'America/New_York', 'Asia/Tokyo', 'UTC'];

/** One provider's organization as the operations see it. */
export interface Tenant {
  name: string;
  world: InvoicingWorld;
  team: Team;
  integration: Integration;
  /** The provider's project (bookable) and a local one (never booked). */
  bookable: Project;
  local: Project;
  /** Live blocks (id → tag: the slot it was made in, in its description as `[chaos N]`). */
  live: Map<number, number>;
  /**
   * Entries the provider user locked or invoiced, as they were then, with the invoice reference
   * the provider shows (undefined for a lock, null where entries do not name their invoice).
   */
  locked: Map<string, { entry: StoredEntry; reference: string | null | undefined }>;
}

export class InvoicingChaosWorld {
  readonly operations = new Tally();
  readonly faults = new Tally();
  /** Lock checks that failed for an account, by provider and code. */
  readonly lockCheckFailures = new Tally();
  private slot = 0;
  private readonly started = Date.now();
  /** Each tenant's rate-limit 429s when the warm-up ended (null: not yet). */
  private warmedUp: number[] | null = null;

  private constructor(
    readonly t: TestApp,
    readonly tenants: Tenant[],
    private readonly ann: Actor,
  ) {}

  static async start(): Promise<InvoicingChaosWorld> {
    const worlds = await Promise.all(INVOICING_SUBJECTS.map((subject) => subject.start()));
    const t = await bootApp({ env: mergedEnv(worlds) });
    const factory = new Factory(t.dataSource);
    // Every emulator's account knows the same member by e-mail address.
    const user = await factory.user({ email: worlds[0].fixtures.userEmail });
    const ann = await actingAs(t, user);
    const tenants: Tenant[] = [];
    for (const [index, subject] of INVOICING_SUBJECTS.entries()) {
      const world = worlds[index];
      const team = await makeTeam(t, factory, { settings: { require_approval: true } });
      await factory.member(team.organization, user, 'member');
      const integration = await factory.integration(team.organization, {
        connectedBy: team.admin.user,
        provider: subject.name,
        providerType: 'invoicing',
        providerAccountId: world.access().accountId,
        isActive: true,
      });
      await storeTokens(t, integration.id, { accessToken: world.access().accessToken });
      const client = await factory.client(team.organization, {
        name: world.fixtures.contactName,
        integrationId: integration.id,
        externalId: world.fixtures.contactExternalId,
      });
      const bookable = await factory.project(team.organization, {
        client,
        name: world.fixtures.projectName,
        integrationId: integration.id,
        externalId: world.fixtures.projectExternalId,
      });
      const local = await factory.project(team.organization, { name: 'Internal' });
      tenants.push({
        name: subject.name,
        world,
        team,
        integration,
        bookable,
        local,
        live: new Map(),
        locked: new Map(),
      });
    }
    return new InvoicingChaosWorld(t, tenants, ann);
  }

  async close(): Promise<void> {
    await this.t.close();
    for (const tenant of this.tenants) await tenant.world.stop();
  }

  /** What a worker process needs on top of the database: the emulators, quick retries. */
  workerEnv(): Record<string, string> {
    return {
      SYNC_LEASE_SECONDS: '8',
      SYNC_REQUEST_TIMEOUT_MS: '1500',
      SYNC_BACKOFF_BASE_SECONDS: '1',
      SYNC_BACKOFF_MAX_SECONDS: '2',
      ...mergedEnv(this.tenants.map((tenant) => tenant.world)),
    };
  }

  // ---- faults ---------------------------------------------------------------------------

  /**
   * One fault in a random provider's own shape — a lost answer, a 5xx, a 429 with its
   * Retry-After — and now and then the scheduled lock check, as a worker would run it (rarely:
   * it reads every booked entry, and Moneybird allows 150 requests per 5 minutes).
   */
  async injectFault(random: ChaosRandom): Promise<void> {
    const tenant = random.pick(this.tenants);
    const roll = random.number();
    if (roll < 0.35) {
      tenant.world.loseNextResponse();
      this.faults.add(`${tenant.name} lost answer`);
    } else if (roll < 0.7) {
      tenant.world.failNext();
      this.faults.add(`${tenant.name} 5xx`);
    } else {
      tenant.world.throttleNext(1);
      this.faults.add(`${tenant.name} 429`);
    }
    if (this.warmedUp === null && Date.now() - this.started > WARM_UP_MS) {
      this.warmedUp = this.tenants.map((x) => x.world.rateLimited());
    }
    if (random.chance(0.02)) await this.checkLocks();
  }

  /** Each provider's own rate-limit 429s since the warm-up (injected throttles not counted). */
  rateLimitedAfterWarmUp(): Record<string, number> {
    return Object.fromEntries(
      this.tenants.map((x, i) => [x.name, x.world.rateLimited() - (this.warmedUp?.[i] ?? 0)]),
    );
  }

  /**
   * The scheduled lock check, run here: whether it saw every account and found nothing new (a
   * check of an account that failed — a fault, its rate limit — saw none of its locks).
   */
  async checkLocks(): Promise<boolean> {
    const { moved, failed } = await this.t.app.get(InvoicingLocks).check();
    for (const failure of failed) {
      const tenant = this.tenants.find((x) => x.integration.id === failure.integrationId);
      this.lockCheckFailures.add(`${tenant?.name ?? failure.integrationId} ${failure.code}`);
    }
    return moved === 0 && failed.length === 0;
  }

  // ---- operations -----------------------------------------------------------------------

  /**
   * One random thing someone of the tenant's organization does: Ann plans a block (always while
   * she has fewer than four) or edits or deletes one, an admin approves or rejects, or a
   * provider user locks or invoices an entry.
   */
  async operation(tenant: Tenant, random: ChaosRandom): Promise<void> {
    const live = [...tenant.live.keys()];
    type Kind = 'create' | 'approve' | 'reject' | 'edit' | 'delete' | 'lock';
    const kind: Kind =
      live.length < 4
        ? 'create'
        : random.weighted<Kind>([
            { weight: 30, value: 'create' },
            { weight: 30, value: 'approve' },
            { weight: 6, value: 'reject' },
            { weight: 14, value: 'edit' },
            { weight: 6, value: 'delete' },
            { weight: 14, value: 'lock' },
          ]);
    if (kind === 'create') return this.create(tenant, random);
    if (kind === 'lock') return this.lockOrInvoice(tenant, random);
    const id = random.pick(live);
    const { team } = tenant;
    const url = team.url(`/time-blocks/${id}`);
    if (kind === 'approve') {
      const ids = [id, random.pick(live)].filter((v, i, all) => all.indexOf(v) === i);
      const response = await team.admin.post(team.url('/time-blocks/approve')).send({ ids });
      // Either block may have been sent to billing meanwhile.
      if (response.status === 409) return this.operations.add('refused: sent to billing');
      expect(response.status).toBe(200);
    } else if (kind === 'reject') {
      const response = await team.admin
        .post(team.url('/time-blocks/reject'))
        .send({ ids: [id], note: 'Which project?' });
      if (await this.refusedAsBilled(id, response.status)) return;
      expect(response.status).toBe(200);
    } else if (kind === 'edit') {
      const current = await this.row(id);
      const change = random.pick(['title', 'times', 'project', 'billable'] as const);
      const values =
        change === 'title'
          ? { title: `Chaos ${tenant.live.get(id)} edit ${random.below(1e6)}` }
          : change === 'times'
            ? {
                end_time: new Date(
                  current.startTime.getTime() + (15 + random.below(120)) * 60_000,
                ).toISOString(),
              }
            : change === 'project'
              ? {
                  project_id:
                    current.projectId === tenant.bookable.id ? tenant.local.id : tenant.bookable.id,
                }
              : { is_billable: !current.isBillable };
      const response = await this.ann.patch(url).send(values);
      if (await this.refusedAsBilled(id, response.status)) return;
      expect(response.status).toBe(200);
      return this.operations.add(`edit ${change}`);
    } else {
      const response = await this.ann.delete(url);
      if (await this.refusedAsBilled(id, response.status)) return;
      expect(response.status).toBe(204);
      tenant.live.delete(id);
    }
    this.operations.add(kind);
  }

  /** Ann plans a block on a past day (approval is for time spent), of a length that rounds up. */
  private async create(tenant: Tenant, random: ChaosRandom): Promise<void> {
    this.slot += 1;
    const start = new Date(Date.UTC(2026, 9, 1) + this.slot * 5 * 3_600_000 + 7 * 60_000);
    const minutes = 20 + random.below(100);
    const billable = random.chance(0.8);
    const response = await this.ann.post(tenant.team.url('/time-blocks')).send({
      title: `Chaos ${this.slot}`,
      description: `[chaos ${this.slot}]`,
      start_time: start.toISOString(),
      end_time: new Date(start.getTime() + minutes * 60_000).toISOString(),
      timezone: random.pick(ZONES[tenant.name] ?? ANY_ZONE),
      project_id: random.chance(0.85) ? tenant.bookable.id : tenant.local.id,
      is_billable: billable,
    });
    expect(response.status).toBe(201);
    tenant.live.set((response.body as { id: number }).id, this.slot);
    this.operations.add(billable ? 'create billable' : 'create non-billable');
  }

  /** A provider user locks or invoices one of the organization's booked entries. */
  async lockOrInvoice(tenant: Tenant, random: ChaosRandom): Promise<void> {
    const booked = await this.t.dataSource.manager.findBy(TimeBlock, {
      id: In([...tenant.live.keys()]),
      invoicingSyncStatus: 'synced',
    });
    const entryIds = booked
      .map((b) => b.externalInvoicingEntryId)
      .filter((e): e is string => e !== null && !e.startsWith('unconfirmed:'))
      .filter((e) => !tenant.locked.has(e));
    const entryId = random.pick(entryIds);
    if (
      entryId === undefined ||
      !tenant.world.entries().some((entry) => entry.externalId === entryId)
    ) {
      return this.operations.add('nothing booked to lock yet');
    }
    let reference: string | null | undefined;
    if (tenant.name !== 'moneybird' && random.chance(0.5)) {
      await tenant.world.lockEntry(entryId);
      this.operations.add(`${tenant.name} lock`);
    } else {
      reference = await tenant.world.invoiceEntry(entryId);
      this.operations.add(`${tenant.name} invoice`);
    }
    const entry = tenant.world.entries().find((e) => e.externalId === entryId)!;
    tenant.locked.set(entryId, { entry, reference });
  }

  /** A refusal that the block's state explains: it was sent to billing meanwhile. */
  private async refusedAsBilled(id: number, status: number): Promise<boolean> {
    if (status !== 409) return false;
    expect((await this.row(id)).approvalStatus).toBe('sent_to_billing');
    this.operations.add('refused: sent to billing');
    return true;
  }

  private row(id: number): Promise<TimeBlock> {
    return this.t.dataSource.manager.findOneOrFail(TimeBlock, { where: { id }, withDeleted: true });
  }

  // ---- settling -------------------------------------------------------------------------

  /** Blocks (deleted ones too) of the tenants still waiting for their invoicing account. */
  pendingBlocks(): Promise<number> {
    return this.t.dataSource.manager.count(TimeBlock, {
      where: {
        organizationId: In(this.tenants.map((x) => x.team.organization.id)),
        invoicingSyncStatus: 'pending',
      },
      withDeleted: true,
    });
  }

  /** The pending blocks and their integrations' state, for a failure message. */
  async stuck(): Promise<string> {
    const rows = await this.t.dataSource.manager.find(TimeBlock, {
      where: { invoicingSyncStatus: 'pending' },
      withDeleted: true,
    });
    const integrations = await this.t.dataSource.manager.findBy(Integration, {
      providerType: 'invoicing',
    });
    return JSON.stringify({
      blocks: rows.map((r) => ({
        id: r.id,
        entry: r.externalInvoicingEntryId,
        approval: r.approvalStatus,
        attempts: r.invoicingSyncAttempts,
        retryAt: r.invoicingSyncRetryAt,
        error: r.invoicingSyncError,
      })),
      integrations: integrations.map((i) => ({
        id: i.id,
        provider: i.provider,
        lease: i.syncLeaseOwner,
        retryAt: i.syncRetryAt,
        error: i.lastError,
      })),
    });
  }
}

/** Every emulator's `env()` at once: danwel pointed at all three. */
function mergedEnv(worlds: InvoicingWorld[]): Record<string, string> {
  return Object.assign({}, ...worlds.map((world) => world.env())) as Record<string, string>;
}
