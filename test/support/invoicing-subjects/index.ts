import type { InvoicingSubject } from '../invoicing-subject';
import { harvestSubject } from './harvest';
import { moneybirdSubject } from './moneybird';
import { xeroSubject } from './xero';

/** Every invoicing provider's contract subject: one line per provider. */
export const INVOICING_SUBJECTS: InvoicingSubject[] = [
  moneybirdSubject,
  harvestSubject,
  xeroSubject,
];
