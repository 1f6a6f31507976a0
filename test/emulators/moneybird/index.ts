export { DEFAULT_MONEYBIRD_APP, MoneybirdEmulator, startMoneybirdEmulator } from './emulator';
export type {
  IssuedMoneybirdTokens,
  LoggedRequest,
  MoneybirdConsent,
  MoneybirdEmulatorOptions,
} from './emulator';
export { API_CALLS, moneybirdFaults, RATE_LIMIT } from './faults';
export { MONEYBIRD_SCOPES } from './state';
export type {
  Administration,
  MoneybirdContact,
  MoneybirdProject,
  MoneybirdTimeEntry,
  MoneybirdUser,
} from './state';
export { FaultSchedule, TOKEN_REFRESH, weightedFaults } from '../common/faults';
export type { Fault, FaultMatch, FaultRule } from '../common/faults';
export { MoneybirdWebhooks } from './webhooks';
export type { MoneybirdWebhook } from './webhooks';
