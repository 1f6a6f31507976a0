import { IANAZone } from 'luxon';

const DAY_MS = 86_400_000;

/**
 * Wall-clock readings of one IANA zone, fast enough for a row per block. Asking Intl (which luxon
 * does) costs tens of microseconds per call, which a 20,000-block export feels; a zone's UTC
 * offset only changes a couple of times a year, so offsets are cached per UTC day: when the
 * offset at a day's first and last millisecond agree, it holds for the whole day (no zone changes
 * its offset twice within 24 hours); on the days of a change every instant is asked exactly.
 */
export class ZoneClock {
  private static readonly clocks = new Map<string, ZoneClock | null>();
  private readonly zone: IANAZone;
  private readonly offsets = new Map<number, number | null>();

  private constructor(name: string) {
    this.zone = IANAZone.create(name);
  }

  /** The clock of `name`, or null when it is no IANA zone luxon knows. */
  static of(name: string): ZoneClock | null {
    let clock = ZoneClock.clocks.get(name);
    if (clock === undefined) {
      clock = IANAZone.isValidZone(name) ? new ZoneClock(name) : null;
      if (ZoneClock.clocks.size < 1000) ZoneClock.clocks.set(name, clock);
    }
    return clock;
  }

  /** The zone's offset from UTC at `ms`, in minutes. */
  offsetMinutes(ms: number): number {
    const day = Math.floor(ms / DAY_MS);
    let offset = this.offsets.get(day);
    if (offset === undefined) {
      const first = this.zone.offset(day * DAY_MS);
      offset = first === this.zone.offset(day * DAY_MS + DAY_MS - 1) ? first : null;
      this.offsets.set(day, offset);
    }
    return offset ?? this.zone.offset(ms);
  }

  /** `2025-03-30 03:30:00`: the wall-clock time at a Unix second. */
  localDateTime(second: number): string {
    return this.local(second).slice(0, 19).replace('T', ' ');
  }

  /** `2025-03-30`: the local date at a Unix second. */
  localDate(second: number): string {
    return this.local(second).slice(0, 10);
  }

  private local(second: number): string {
    const ms = second * 1000;
    return new Date(ms + this.offsetMinutes(ms) * 60_000).toISOString();
  }
}
