import { billableMinutes, entryMarker, InvoicingError, isTokenRefusal } from './invoicing-provider';

const at = (time: string) => new Date(`2026-03-02T${time}Z`);

describe('billableMinutes', () => {
  it.each([
    ['09:00:00', '09:15:00', 15],
    ['09:00:00', '09:15:01', 30],
    ['09:00:00', '09:01:00', 15],
    ['09:00:00', '10:00:00', 60],
    ['09:00:00', '10:01:00', 75],
    ['09:07:00', '09:52:00', 45],
    ['09:00:00', '17:29:00', 510],
  ])('%s–%s books %i minutes (rounded up to the quarter hour)', (start, end, minutes) => {
    expect(billableMinutes(at(start), at(end))).toBe(minutes);
  });

  it('books at least one quarter hour', () => {
    expect(billableMinutes(at('09:00:00'), at('09:00:00'))).toBe(15);
  });
});

describe('entryMarker', () => {
  it('names the block', () => {
    expect(entryMarker(42)).toBe('[danwel:42]');
    expect(entryMarker(42)).not.toBe(entryMarker(421));
  });
});

describe('isTokenRefusal', () => {
  const failure = (kind: 'unauthorized' | 'permanent') =>
    new InvoicingError({ kind, status: 401, code: 'invalid_token', message: 'refused' });

  it('is true only for an unauthorized invoicing failure', () => {
    expect(isTokenRefusal(failure('unauthorized'))).toBe(true);
    expect(isTokenRefusal(failure('permanent'))).toBe(false);
    expect(isTokenRefusal(new Error('unauthorized'))).toBe(false);
  });
});
