import type { InvoicingSubject } from '../invoicing-subject';
import { moneybirdSubject } from './moneybird';

/** Every invoicing provider's contract subject: one line per provider. */
export const INVOICING_SUBJECTS: InvoicingSubject[] = [moneybirdSubject];
