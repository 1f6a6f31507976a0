import { DataSource, EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import { Encrypter, SecretColumn } from '../common/crypto/encrypter';
import { mapEncryptedStrings } from '../common/crypto/encrypted-strings';
import { inTransaction, isSqlite } from '../database/transaction';
import { Integration } from '../integrations/integration.entity';
import { OAuthState } from '../integrations/oauth-state.entity';
import { Job } from '../jobs/job.entity';
import { User } from '../users/user.entity';
import { CliError, Output, writeLine } from './output';
import { renderTable } from './table';

export const DEFAULT_ROTATE_BATCH_SIZE = 100;

/**
 * Every place a secret encrypted with `Encrypter` is stored (grep `encrypter.encrypt`): whole
 * columns, and JSON columns whose string values of the encrypted form are secrets (a job payload
 * carries an invitation token that way).
 */
interface SecretTable {
  table: string;
  entity: EntityTarget<ObjectLiteral>;
  /** Entity property → column name, for text columns holding one encrypted value each. */
  columns: Record<string, string>;
  /** Entity property → column name, for JSON columns with encrypted values inside. */
  json?: Record<string, string>;
}

const SECRET_TABLES: SecretTable[] = [
  {
    table: 'integrations',
    entity: Integration,
    columns: {
      accessToken: 'access_token',
      refreshToken: 'refresh_token',
      tokenMetadata: 'token_metadata',
      webhookToken: 'webhook_token',
    },
  },
  {
    table: 'oauth_states',
    entity: OAuthState,
    columns: { codeVerifier: 'code_verifier', parkedGrant: 'parked_grant' },
  },
  { table: 'users', entity: User, columns: { twoFactorSecret: 'two_factor_secret' } },
  { table: 'jobs', entity: Job, columns: {}, json: { payload: 'payload' } },
];

export interface KeyRotateOptions {
  batchSize?: number;
}

export interface SecretCount {
  /** `table.column`, or `table.column.key` inside a JSON column. */
  secret: string;
  reencrypted: number;
  current: number;
}

export interface Unreadable {
  secret: string;
  id: number;
}

export interface KeyRotateResult {
  counts: SecretCount[];
  unreadable: Unreadable[];
}

/**
 * `key:rotate`: re-encrypts every stored secret under the current APP_KEY, reading old values
 * with APP_PREVIOUS_KEYS. Table by table in batches of rows (by id), each batch in a transaction
 * with its rows locked (MySQL), so a worker refreshing a token meanwhile cannot lose its write.
 * Idempotent: a value the current key already reads is left as it is. A value no configured key
 * can read is reported by table, column and id, and its row is left untouched; the command then
 * fails after rotating everything else.
 */
export async function keyRotate(
  dataSource: DataSource,
  keys: { appKey: Buffer; previousKeys: Buffer[] },
  out: Output,
  options: KeyRotateOptions = {},
): Promise<KeyRotateResult> {
  const batchSize = options.batchSize ?? DEFAULT_ROTATE_BATCH_SIZE;
  const rotation = new Rotation(new Encrypter(keys.appKey, keys.previousKeys));
  for (const secrets of SECRET_TABLES) {
    let after = 0;
    for (;;) {
      const last = await inTransaction(dataSource, (manager) =>
        rotation.batch(manager, secrets, after, batchSize, !isSqlite(dataSource)),
      );
      if (last === null) break;
      after = last;
    }
  }

  const counts = [...rotation.counts.values()];
  writeLine(
    out,
    renderTable(
      ['Secret', 'Re-encrypted', 'Already current'],
      counts.map((count) => [count.secret, String(count.reencrypted), String(count.current)]),
    ),
  );
  const total = counts.reduce((sum, count) => sum + count.reencrypted, 0);
  const current = counts.reduce((sum, count) => sum + count.current, 0);
  writeLine(
    out,
    `\nRe-encrypted ${total} secret${total === 1 ? '' : 's'} under the current APP_KEY ` +
      `(${current} already were).`,
  );
  const unreadable = rotation.unreadable;
  if (unreadable.length > 0) {
    const listed = unreadable
      .slice(0, 20)
      .map((item) => `${item.secret} id ${item.id}`)
      .join(', ');
    const more = unreadable.length > 20 ? ` and ${unreadable.length - 20} more` : '';
    const one = unreadable.length === 1;
    throw new CliError(
      `${unreadable.length} stored secret${one ? '' : 's'} could not be decrypted with APP_KEY ` +
        `or APP_PREVIOUS_KEYS, and ${one ? 'its row was' : 'their rows were'} left unchanged: ` +
        `${listed}${more}. Add the key ${one ? 'it was' : 'they were'} written with to ` +
        'APP_PREVIOUS_KEYS and run key:rotate again (or reconnect those accounts).',
    );
  }
  if (total > 0) {
    writeLine(
      out,
      'Once every running process uses the new APP_KEY, the old key can be removed from ' +
        'APP_PREVIOUS_KEYS.',
    );
  }
  return { counts, unreadable };
}

class Rotation {
  /** Every secret column, listed even when it holds nothing yet. */
  readonly counts = new Map<string, SecretCount>(
    SECRET_TABLES.flatMap(({ table, columns, json }) =>
      [...Object.values(columns), ...Object.values(json ?? {})].map((column) => {
        const secret = `${table}.${column}`;
        return [secret, { secret, reencrypted: 0, current: 0 }] as const;
      }),
    ),
  );
  readonly unreadable: Unreadable[] = [];

  constructor(private readonly encrypter: Encrypter) {}

  /** One batch of rows after `after`; the last id seen, or null when there were none. */
  async batch(
    manager: EntityManager,
    secrets: SecretTable,
    after: number,
    size: number,
    lock: boolean,
  ): Promise<number | null> {
    const properties = [...Object.keys(secrets.columns), ...Object.keys(secrets.json ?? {})];
    const query = manager
      .getRepository(secrets.entity)
      .createQueryBuilder('row')
      .select(['row.id', ...properties.map((property) => `row.${property}`)])
      .where('row.id > :after', { after })
      .orderBy('row.id', 'ASC')
      .limit(size);
    if (lock) query.setLock('pessimistic_write');
    const rows = await query.getMany();
    for (const row of rows) await this.row(manager, secrets, row);
    return rows.length > 0 ? Number(rows[rows.length - 1].id) : null;
  }

  /** Re-encrypts one row's secrets, all or none of them. */
  private async row(manager: EntityManager, secrets: SecretTable, row: ObjectLiteral) {
    const id = Number(row.id);
    const changes: Record<string, unknown> = {};
    const tally: Array<[string, 'reencrypted' | 'current']> = [];
    let readable = true;
    /** `secret` names the column in the counts, `path` the value (a JSON key) when unreadable. */
    const visit = (secret: string, path: string, value: string): string => {
      const rotated = this.rotate(value, path as SecretColumn, id);
      if (rotated === null) {
        this.unreadable.push({ secret: path, id });
        readable = false;
        return value;
      }
      tally.push([secret, rotated === value ? 'current' : 'reencrypted']);
      return rotated;
    };

    for (const [property, column] of Object.entries(secrets.columns)) {
      const value = row[property] as string | null;
      if (value === null || value === undefined) continue;
      const secret = `${secrets.table}.${column}`;
      const rotated = visit(secret, secret, value);
      if (rotated !== value) changes[property] = rotated;
    }
    for (const [property, column] of Object.entries(secrets.json ?? {})) {
      const secret = `${secrets.table}.${column}`;
      let changed = false;
      const rotated = mapEncryptedStrings(row[property], secret, (path, text) => {
        const next = visit(secret, path, text);
        changed ||= next !== text;
        return next;
      });
      if (changed) changes[property] = rotated;
    }

    if (!readable) return;
    for (const [secret, outcome] of tally) this.counts.get(secret)![outcome] += 1;
    if (Object.keys(changes).length > 0) {
      await manager.update(secrets.entity, { id }, changes);
    }
  }

  /**
   * The value under the current key, bound to its place (itself if it already is), or null if no
   * key reads it there. Values from before the binding (`v1:`) are bound on the way.
   */
  private rotate(value: string, column: SecretColumn, id: number): string | null {
    const place = { column, id };
    if (this.encrypter.isCurrent(value, place)) return value;
    try {
      return this.encrypter.encrypt(this.encrypter.decrypt(value, place), place);
    } catch {
      return null;
    }
  }
}
