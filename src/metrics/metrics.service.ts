import { Inject, Injectable } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Calendar } from '../calendars/calendar.entity';
import { blockCounts, toDate } from '../cli/sync-status.command';
import { APP_CONFIG, AppConfig } from '../config';
import { Integration } from '../integrations/integration.entity';
import { metrics, registry } from './metrics';

@Injectable()
export class MetricsService {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Unset METRICS_TOKEN turns /metrics off. */
  get enabled(): boolean {
    return this.config.metrics.token !== '';
  }

  /** Whether `authorization` carries the metrics token (compared in constant time). */
  authorized(authorization: string | undefined): boolean {
    const match = /^Bearer (.+)$/.exec(authorization ?? '');
    if (!this.enabled || !match) return false;
    const digest = (text: string) => createHash('sha256').update(text).digest();
    return timingSafeEqual(digest(match[1]), digest(this.config.metrics.token));
  }

  /** The exposition text, after reading the gauges from the database. */
  async scrape(): Promise<string> {
    await this.readSyncGauges(new Date());
    return registry.render();
  }

  /** Pending and failed blocks and pull lag per calendar integration: three grouped queries. */
  private async readSyncGauges(now: Date): Promise<void> {
    const integrations = await this.dataSource
      .getRepository(Integration)
      .createQueryBuilder('integration')
      .select(['integration.id', 'integration.provider'])
      .where('integration.providerType = :calendar', { calendar: 'calendar' })
      .getMany();
    const counts = await blockCounts(this.dataSource);
    const pulls = await this.dataSource
      .getRepository(Calendar)
      .createQueryBuilder('calendar')
      .select('calendar.integrationId', 'integration_id')
      .addSelect('MIN(calendar.nextPullAt)', 'next_pull_at')
      .where('calendar.isEnabled = :yes', { yes: true })
      .andWhere('calendar.syncDirection IN (:...readable)', { readable: ['read', 'both'] })
      .groupBy('calendar.integrationId')
      .getRawMany<{ integration_id: number | string; next_pull_at: Date | string | null }>();
    const due = new Map(pulls.map((row) => [Number(row.integration_id), toDate(row.next_pull_at)]));
    const labels = (integration: Integration) => ({
      integration: String(integration.id),
      provider: integration.provider,
    });
    metrics.pendingBlocks.set(
      integrations.map((i) => ({ labels: labels(i), value: counts.get(i.id)?.pending ?? 0 })),
    );
    metrics.failedBlocks.set(
      integrations.map((i) => ({ labels: labels(i), value: counts.get(i.id)?.error ?? 0 })),
    );
    metrics.pullLag.set(
      integrations
        .filter((i) => due.has(i.id))
        .map((i) => {
          const next = due.get(i.id)?.getTime() ?? now.getTime();
          return { labels: labels(i), value: Math.max(0, (now.getTime() - next) / 1000) };
        }),
    );
  }
}
