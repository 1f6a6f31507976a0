import type { InvoicingSubject } from '../invoicing-subject';
import { harvestSubject, harvestTimestampSubject } from './harvest';
import { moneybirdSubject } from './moneybird';
import { xeroSubject } from './xero';

/** Every invoicing provider's contract subject: one line per provider. */
export const INVOICING_SUBJECTS: InvoicingSubject[] = [
  moneybirdSubject,
  harvestSubject,
  xeroSubject,
];

/** Every provider, and each kind of account a provider books time differently in. */
export const INVOICING_ACCOUNT_KINDS: InvoicingSubject[] = [
  ...INVOICING_SUBJECTS,
  harvestTimestampSubject,
];
