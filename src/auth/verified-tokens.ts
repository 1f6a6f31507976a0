import { DataSource, EntityManager, EntitySubscriberInterface, EventSubscriber } from 'typeorm';
import type { TransactionCommitEvent } from 'typeorm/subscriber/event/TransactionCommitEvent';
import type { TransactionRollbackEvent } from 'typeorm/subscriber/event/TransactionRollbackEvent';
import type { QueryRunner } from 'typeorm/query-runner/QueryRunner';
import { OrganizationRole } from '../organizations/organization-member.entity';

/*
 * A short-lived, per-process cache of verified bearer tokens, so that a hot request runs only its
 * own query. What it holds for a token (and the route's organization) is what the token query
 * answers: the user, their role there, the two-factor facts, the token's expiry and last use.
 *
 * Every write that can change such an answer calls `authFactsChanged(manager)` in its transaction
 * (docs/architecture.md, "Tenancy and access"): it moves the `auth_revision` counter, and once the
 * transaction commits this process's cache is dropped. Every process reads the counter every
 * POLL_MS and drops its cache when it moved; a process serves from its cache only while its last
 * successful read started less than STALE_MS ago. So a revocation holds at once in the process
 * that made it and within STALE_MS everywhere else; expiry is compared on every hit.
 */

/** How often each serving process reads the revision: one tiny query, not one per request. */
export const POLL_MS = 250;
/** The bound on how late another process sees a revocation; past it the cache is not used. */
export const STALE_MS = 1_000;
/** A backstop for changes made around the application (SQL by hand): no entry lives longer. */
const ENTRY_TTL_MS = 5_000;
const MAX_ENTRIES = 10_000;

export interface VerifiedToken {
  tokenId: number;
  userId: number;
  email: string;
  name: string;
  expiresAt: number;
  lastUsedAt: number | null;
  /** For the organization in the key; null when not a member (or it is deleted). */
  role: OrganizationRole | null;
  missingRequiredTwoFactor: boolean;
}

interface Entry {
  token: VerifiedToken;
  loadedAt: number;
}

const CHANGED = Symbol('authFactsChanged');

export class VerifiedTokenCache {
  private readonly entries = new Map<string, Entry>();
  /** Moves on every drop: a lookup that overlapped one may have read the old facts. */
  private generation = 0;
  private revision: string | null = null;
  /** When the last successful revision read was sent; the cache serves only while it is recent. */
  private confirmedAt = -Infinity;
  private polling = false;

  constructor(private readonly dataSource: DataSource) {}

  /** A cached answer, or undefined: the caller asks the database and `store`s what it read. */
  get(key: string, now = Date.now()): VerifiedToken | undefined {
    this.startPolling();
    if (now - this.confirmedAt > STALE_MS) return undefined;
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (now - entry.loadedAt > ENTRY_TTL_MS || entry.token.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.token;
  }

  /** Marks the start of a database lookup; `store` keeps its result only if nothing moved since. */
  begin(): number {
    return this.generation;
  }

  store(key: string, token: VerifiedToken, begun: number, now = Date.now()): void {
    if (begun !== this.generation) return;
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    this.entries.set(key, { token, loadedAt: now });
  }

  drop(): void {
    this.generation++;
    this.entries.clear();
  }

  /** Started by the first lookup, so only processes that serve requests poll; ends with the data source. */
  private startPolling(): void {
    if (this.polling) return;
    this.polling = true;
    void this.poll();
  }

  private async poll(): Promise<void> {
    if (!this.dataSource.isInitialized) {
      this.polling = false;
      return;
    }
    const sent = Date.now();
    try {
      const [row] = (await this.dataSource.query(
        'SELECT revision FROM auth_revision WHERE id = 1',
      )) as { revision: number | string }[];
      if (row) {
        const revision = String(row.revision);
        if (revision !== this.revision) {
          this.drop();
          this.revision = revision;
        }
        this.confirmedAt = sent;
      }
    } catch {
      // Unreadable: the cache goes stale and lookups go to the database, which says what is wrong.
    }
    setTimeout(() => void this.poll(), POLL_MS).unref();
  }
}

const caches = new WeakMap<DataSource, VerifiedTokenCache>();

export function verifiedTokenCache(dataSource: DataSource): VerifiedTokenCache {
  let cache = caches.get(dataSource);
  if (!cache) {
    cache = new VerifiedTokenCache(dataSource);
    caches.set(dataSource, cache);
  }
  return cache;
}

/**
 * To be called by every write that can change who a bearer token is or what they may do there:
 * revoking tokens (logout, revoke, password change or reset, purge), a user's name, e-mail or
 * two-factor, a membership added, removed or re-roled, an organization's settings or deletion.
 * Call it after the rows it concerns are written, so the revision row is locked only briefly and
 * always after them (no lock-order cycles between such transactions).
 */
export async function authFactsChanged(manager: EntityManager): Promise<void> {
  await manager.query('UPDATE auth_revision SET revision = revision + 1 WHERE id = 1');
  const runner = manager.queryRunner;
  if (runner?.isTransactionActive) {
    // Dropped once the change is visible: before that, a lookup would read and keep the old facts.
    (runner.data as Record<symbol, boolean>)[CHANGED] = true;
  } else {
    verifiedTokenCache(manager.connection).drop();
  }
}

/** Drops this process's cache when a transaction that called authFactsChanged commits. */
@EventSubscriber()
export class AuthFactsSubscriber implements EntitySubscriberInterface {
  afterTransactionCommit(event: TransactionCommitEvent): void {
    if (takeFlag(event.queryRunner)) verifiedTokenCache(event.connection).drop();
  }

  afterTransactionRollback(event: TransactionRollbackEvent): void {
    takeFlag(event.queryRunner);
  }
}

/**
 * The mark, once the outermost transaction has ended (a savepoint's end is not a commit). SQLite
 * reuses one query runner for every transaction: the mark must not outlive its own.
 */
function takeFlag(runner: QueryRunner): boolean {
  if (runner.isTransactionActive) return false;
  const data = runner.data as Record<symbol, boolean> | undefined;
  if (!data?.[CHANGED]) return false;
  delete data[CHANGED];
  return true;
}
