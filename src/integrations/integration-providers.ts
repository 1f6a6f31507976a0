import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config';
import { CalendarOAuthProvider } from '../providers/calendar-provider';
import { GoogleCalendarProvider } from '../providers/google/google-calendar.provider';
import { MicrosoftCalendarProvider } from '../providers/microsoft/microsoft-calendar.provider';
import { ProviderHttp } from '../providers/provider-http';

/** The calendar providers a member can connect, by the name used in URLs and `integrations.provider`. */
export const CALENDAR_PROVIDERS = ['google_calendar', 'office365'] as const;
export type CalendarProviderName = (typeof CALENDAR_PROVIDERS)[number];

export const isCalendarProvider = (name: string): name is CalendarProviderName =>
  (CALENDAR_PROVIDERS as readonly string[]).includes(name);

/** Builds the provider client for a name, from configuration. */
@Injectable()
export class IntegrationProviders {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly http: ProviderHttp,
  ) {}

  get(name: CalendarProviderName): CalendarOAuthProvider {
    const { requestTimeoutMs } = this.config.sync;
    return name === 'google_calendar'
      ? new GoogleCalendarProvider(this.config.providers.google, requestTimeoutMs)
      : new MicrosoftCalendarProvider(this.config.providers.microsoft, this.http, requestTimeoutMs);
  }
}
