import { Counter, Gauge, Histogram, Registry } from './registry';

/**
 * This process's metrics, one registry per process: counters are incremented where each event
 * happens (an HTTP answer, a provider request, a token refresh, a lease taken over); the gauges
 * are read from the database at scrape time, so they cover every worker process.
 */
export const registry = new Registry();

export const metrics = {
  httpRequestDuration: registry.register(
    new Histogram(
      'danwel_http_request_duration_seconds',
      'HTTP answers by method, route template and status.',
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    ),
  ),
  providerRequests: registry.register(
    new Counter(
      'danwel_provider_requests_total',
      'HTTP requests to providers, by host and status.',
    ),
  ),
  providerThrottled: registry.register(
    new Counter('danwel_provider_throttled_total', 'Provider answers of 429, by host.'),
  ),
  tokenRefreshes: registry.register(
    new Counter(
      'danwel_token_refreshes_total',
      'Access token refreshes, by provider and outcome (ok, reconnect, failed).',
    ),
  ),
  leaseTakeovers: registry.register(
    new Counter(
      'danwel_lease_takeovers_total',
      'Leases taken over after their holder let them run out, by table.',
    ),
  ),
  invoicingLockChecks: registry.register(
    new Counter(
      'danwel_invoicing_lock_checks_total',
      'Checks of an invoicing account for locked and invoiced entries, by provider and outcome.',
    ),
  ),
  pendingBlocks: registry.register(
    new Gauge('danwel_sync_pending_blocks', 'Blocks waiting to be pushed, per integration.'),
  ),
  failedBlocks: registry.register(
    new Gauge('danwel_sync_failed_blocks', 'Blocks whose push failed for good, per integration.'),
  ),
  pullLag: registry.register(
    new Gauge(
      'danwel_sync_pull_lag_seconds',
      'Per integration, how long its most overdue calendar pull has been due (0: none overdue).',
    ),
  ),
};
