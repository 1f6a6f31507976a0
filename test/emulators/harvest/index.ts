export { DEFAULT_HARVEST_APP, HarvestEmulator, startHarvestEmulator } from './emulator';
export type {
  HarvestConsent,
  HarvestEmulatorOptions,
  IssuedHarvestTokens,
  LoggedRequest,
} from './emulator';
export type { TimeEntryInput } from './api';
export { API_CALLS, harvestFaults, RATE_LIMIT } from './faults';
export type {
  ExternalReference,
  HarvestAccount,
  HarvestClient,
  HarvestProject,
  HarvestTask,
  HarvestTaskAssignment,
  HarvestTimeEntry,
  HarvestUser,
} from './state';
export { FaultSchedule, TOKEN_REFRESH, weightedFaults } from '../common/faults';
export type { Fault, FaultMatch, FaultRule } from '../common/faults';
