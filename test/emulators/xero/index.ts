export {
  ACCESS_TOKEN_TTL_SECONDS,
  DEFAULT_XERO_APP,
  startXeroEmulator,
  XeroEmulator,
} from './emulator';
export type { IssuedXeroTokens, LoggedRequest, XeroConsent, XeroEmulatorOptions } from './emulator';
export { MAX_DURATION_MINUTES, MAX_IDEMPOTENCY_KEY_LENGTH } from './api';
export { API_CALLS, RATE_LIMITS, xeroFaults } from './faults';
export type { RateLimitProblem } from './faults';
export { XERO_SCOPES } from './state';
export { XERO_WEBHOOK_TIMEOUT_MS, xeroSignature, XeroWebhooks } from './webhooks';
export type { XeroEventCategory, XeroWebhookEvent } from './webhooks';
export type {
  Tenant,
  XeroContact,
  XeroProject,
  XeroProjectUser,
  XeroTask,
  XeroTimeEntry,
} from './state';
export { FaultSchedule, TOKEN_REFRESH, weightedFaults } from '../common/faults';
export type { Fault, FaultMatch, FaultRule } from '../common/faults';
