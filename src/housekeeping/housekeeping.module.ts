import { Module } from '@nestjs/common';
import { ExpiredRecords } from './expired-records';

/** Recurring clean-up jobs run by the workers. */
@Module({ providers: [ExpiredRecords], exports: [ExpiredRecords] })
export class HousekeepingModule {}
