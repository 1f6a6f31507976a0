export { MicrosoftEmulator, startMicrosoftEmulator } from './emulator';
export type {
  ConsentResult,
  LoggedRequest,
  MicrosoftEmulatorOptions,
  Endpoint,
  ThrottleSettings,
} from './emulator';
export { microsoftFaults, GRAPH_CALLS } from './faults';
export { FaultSchedule, seededRandom, TOKEN_REFRESH, weightedFaults } from '../common/faults';
export type { Fault, FaultKind, FaultMatch, FaultRule, RandomFaults } from '../common/faults';
export { canonicalPropertyId, GraphHttpError, MicrosoftState } from './state';
export { generateSelfSignedCertificate, trustingDispatcher } from './tls';
export { MAX_EVENT_SUBSCRIPTION_MINUTES } from './subscriptions';
export type { LifecycleEvent, Subscription, ValidationRecord } from './subscriptions';
export type {
  NotificationDropHandle,
  NotificationDropRule,
  NotificationMatch,
  NotificationRecord,
  WebhookOptions,
} from '../common/notifications';
