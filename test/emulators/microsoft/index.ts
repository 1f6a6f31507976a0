export { startMicrosoftEmulator } from './server';
export type {
  ConsentResult,
  LoggedRequest,
  MicrosoftEmulator,
  MicrosoftEmulatorOptions,
  ThrottleSettings,
} from './server';
export { FaultPlan, seededRandom } from './faults';
export type { Fault, FaultKind, FaultMatch, FaultRule, RandomFaultOptions } from './faults';
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
} from '../shared/notifications';
