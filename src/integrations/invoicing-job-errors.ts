import { DecryptionError } from '../common/crypto/encrypter';
import { InvoicingError } from '../invoicing/invoicing-provider';
import { PermanentJobError, RetryJobLaterError } from '../jobs/job-handler';
import { ReconnectRequiredError } from './access-tokens';

/**
 * How a job that talks to an invoicing account fails: a refused grant (or a token that no longer
 * decrypts) waits for a person, so the job stops; a throttle retries after the provider's
 * `Retry-After`; anything else is the worker's backoff.
 */
export function invoicingJobError(error: unknown, integrationId: number): unknown {
  if (error instanceof ReconnectRequiredError || error instanceof DecryptionError) {
    return new PermanentJobError(`Integration ${integrationId} needs to be connected again.`);
  }
  if (error instanceof InvoicingError && error.failure.retryAfterSeconds !== undefined) {
    return new RetryJobLaterError(error.message, error.failure.retryAfterSeconds);
  }
  return error;
}
