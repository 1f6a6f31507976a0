import { TimeBlock } from '../time-blocks/time-block.entity';
import { changed, neverSynced } from './block-sync-state';

const block = (values: Partial<TimeBlock> = {}) =>
  Object.assign(new TimeBlock(), {
    ...neverSynced(),
    syncVersion: 3,
    invoicingSyncVersion: 5,
    ...values,
  });

describe('changed', () => {
  it('marks each given target and moves both versions on when one of them is pending', () => {
    const row = block({ syncError: 'backendError', syncAttempts: 2, invoicingSyncAttempts: 1 });
    const values = changed(row, { calendar: false, invoicing: true });

    expect(values).toEqual({
      calendarSyncStatus: 'disabled',
      syncVersion: 4,
      syncError: null,
      syncAttempts: 0,
      syncRetryAt: null,
      invoicingSyncStatus: 'pending',
      invoicingSyncVersion: 6,
      invoicingSyncError: null,
      invoicingSyncAttempts: 0,
      invoicingSyncRetryAt: null,
    });
    // The entity says what was stored, for the presenter.
    expect(row).toMatchObject(values);
  });

  it('keeps the versions when no target has anything to push', () => {
    const values = changed(block(), { calendar: false, invoicing: false });

    expect(values).toMatchObject({
      calendarSyncStatus: 'disabled',
      invoicingSyncStatus: 'disabled',
    });
    expect(values).not.toHaveProperty('syncVersion');
    expect(values).not.toHaveProperty('invoicingSyncVersion');
  });

  it('leaves a target that is not given alone (an approval concerns invoicing only)', () => {
    const row = block({ calendarSyncStatus: 'error', syncError: 'invalid: refused' });
    const values = changed(row, { invoicing: true });

    expect(Object.keys(values).filter((key) => !key.startsWith('invoicing'))).toEqual([]);
    expect(row).toMatchObject({
      calendarSyncStatus: 'error',
      syncVersion: 3,
      syncError: 'invalid: refused',
      invoicingSyncStatus: 'pending',
      invoicingSyncVersion: 6,
    });
  });

  it('starts a new block from version 0', () => {
    expect(changed({}, { calendar: true, invoicing: false })).toMatchObject({
      calendarSyncStatus: 'pending',
      syncVersion: 1,
      invoicingSyncVersion: 1,
    });
  });
});
