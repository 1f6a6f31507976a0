import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config';
import { RateLimit } from '../config/app-config';
import { NotFoundError } from '../common/errors/domain.error';
import { InvoicingProviders } from '../invoicing/invoicing-providers';
import { InvoicingProviderName } from '../invoicing/invoicing-provider';
import { CalendarOAuthProvider } from '../providers/calendar-provider';
import { GoogleCalendarProvider } from '../providers/google/google-calendar.provider';
import { MicrosoftCalendarProvider } from '../providers/microsoft/microsoft-calendar.provider';
import { ProviderHttp } from '../providers/provider-http';
import { IntegrationProviderType } from './integration.entity';

/** The calendar providers a member can connect, by the name used in URLs and `integrations.provider`. */
export const CALENDAR_PROVIDERS = ['google_calendar', 'office365'] as const;
export type CalendarProviderName = (typeof CALENDAR_PROVIDERS)[number];

export const isCalendarProvider = (name: string): name is CalendarProviderName =>
  (CALENDAR_PROVIDERS as readonly string[]).includes(name);

/** Any provider an integration can be connected to: a calendar or an invoicing system. */
export type IntegrationProviderName = CalendarProviderName | InvoicingProviderName;

/**
 * What the connect flow, token refresh and disconnect need of any provider, calendar or
 * invoicing: both contracts have it. `revoke` resolves false where there is nothing to revoke.
 */
export interface OAuthClient {
  authorizeUrl: CalendarOAuthProvider['authorizeUrl'];
  exchangeCode: CalendarOAuthProvider['exchangeCode'];
  refresh: CalendarOAuthProvider['refresh'];
  revoke?(token: string): Promise<boolean>;
}

/** Revokes a grant where the provider can; false where it cannot or the call failed. */
export async function revokeGrant(client: OAuthClient, token: string): Promise<boolean> {
  try {
    return client.revoke ? await client.revoke(token) : false;
  } catch {
    return false;
  }
}

/** Builds the provider client for a name, from configuration. */
@Injectable()
export class IntegrationProviders {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly http: ProviderHttp,
    private readonly invoicing: InvoicingProviders,
  ) {}

  get(name: CalendarProviderName): CalendarOAuthProvider {
    const { requestTimeoutMs } = this.config.sync;
    return name === 'google_calendar'
      ? new GoogleCalendarProvider(this.config.providers.google, requestTimeoutMs)
      : new MicrosoftCalendarProvider(this.config.providers.microsoft, this.http, requestTimeoutMs);
  }

  /** What kind of integration a provider name makes; null for one this build cannot connect. */
  typeOf(name: string): IntegrationProviderType | null {
    if (isCalendarProvider(name)) return 'calendar';
    if (this.invoicing.has(name)) return 'invoicing';
    return null;
  }

  /** The OAuth side of any connectable provider; 404 for another name. */
  oauth(name: string): OAuthClient {
    if (isCalendarProvider(name)) return this.get(name);
    return this.invoicing.get(name);
  }

  /** The request limits one account of the provider is held to, all respected before sending. */
  rateLimits(name: IntegrationProviderName): readonly RateLimit[] {
    if (isCalendarProvider(name)) return [this.config.sync.rateLimits[name]];
    if (!this.invoicing.has(name)) throw new NotFoundError('Provider');
    return this.invoicing.get(name).rateLimits;
  }
}
