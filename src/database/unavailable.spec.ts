import { QueryFailedError } from 'typeorm';
import { isDatabaseUnavailable } from './unavailable';

const driverError = (code: string, extra: object = {}) =>
  Object.assign(new Error(code), { code, ...extra });

describe('isDatabaseUnavailable', () => {
  it('recognizes a refused, reset or lost connection, bare or wrapped', () => {
    expect(isDatabaseUnavailable(driverError('ECONNREFUSED'))).toBe(true);
    expect(isDatabaseUnavailable(driverError('PROTOCOL_CONNECTION_LOST'))).toBe(true);
    expect(
      isDatabaseUnavailable(new QueryFailedError('SELECT 1', [], driverError('ECONNRESET'))),
    ).toBe(true);
    expect(
      isDatabaseUnavailable(
        new AggregateError([driverError('ECONNREFUSED'), driverError('ECONNREFUSED')]),
      ),
    ).toBe(true);
    expect(isDatabaseUnavailable(driverError('ER_SOMETHING_ELSE', { fatal: true }))).toBe(true);
  });

  it('leaves statement errors and other failures alone', () => {
    expect(
      isDatabaseUnavailable(new QueryFailedError('INSERT', [], driverError('ER_DUP_ENTRY'))),
    ).toBe(false);
    expect(isDatabaseUnavailable(driverError('ER_LOCK_DEADLOCK'))).toBe(false);
    expect(isDatabaseUnavailable(new Error('boom'))).toBe(false);
    expect(isDatabaseUnavailable(undefined)).toBe(false);
  });
});
