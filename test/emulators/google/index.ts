export {
  CALENDAR_SCOPES,
  DEFAULT_CLIENT,
  GoogleEmulator,
  startGoogleEmulator,
  type AccountInput,
  type GoogleEmulatorOptions,
  type IssuedTokens,
  type LoggedRequest,
  type UserActions,
} from './emulator';
export { googleFaults, type GoogleFaultName } from './faults';
export type { Consent } from './oauth';
export { MAX_CHANNEL_TTL_MS, type PushChannel } from './push';
export type {
  NotificationDropHandle,
  NotificationDropRule,
  NotificationMatch,
  NotificationRecord,
  WebhookOptions,
} from '../common/notifications';
export type { EventResource, OAuthClient } from './state';
export type { Fault, FaultMatch, FaultRule, RequestFacts } from '../common/faults';
