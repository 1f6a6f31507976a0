import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config';
import { ProvidersConfig } from '../config/app-config';
import { NotFoundError } from '../common/errors/domain.error';
import { ProviderHttp } from '../providers/provider-http';
import { HarvestInvoicingProvider } from './harvest/harvest-invoicing.provider';
import {
  INVOICING_PROVIDERS,
  InvoicingProvider,
  InvoicingProviderName,
} from './invoicing-provider';
import { MoneybirdInvoicingProvider } from './moneybird/moneybird-invoicing.provider';
import { XeroInvoicingProvider } from './xero/xero-invoicing.provider';

/** What a provider client is built from. */
export interface InvoicingProviderDeps {
  providers: ProvidersConfig;
  http: ProviderHttp;
  requestTimeoutMs: number;
}

type Factory = (deps: InvoicingProviderDeps) => InvoicingProvider;

/** One line per provider: its name and how its client is built. */
const FACTORIES: { [name in InvoicingProviderName]?: Factory } = {
  moneybird: ({ providers, http, requestTimeoutMs }) =>
    new MoneybirdInvoicingProvider(providers.moneybird, http, requestTimeoutMs),
  harvest: ({ providers, http, requestTimeoutMs }) =>
    new HarvestInvoicingProvider(providers.harvest, http, requestTimeoutMs),
  xero: ({ providers, http, requestTimeoutMs }) =>
    new XeroInvoicingProvider(providers.xero, http, requestTimeoutMs),
};

/** The invoicing providers this build can connect, and their clients, built from configuration. */
@Injectable()
export class InvoicingProviders {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly http: ProviderHttp,
  ) {}

  /** The providers with a client, in the order of `INVOICING_PROVIDERS`. */
  available(): InvoicingProviderName[] {
    return INVOICING_PROVIDERS.filter((name) => FACTORIES[name] !== undefined);
  }

  has(name: string): name is InvoicingProviderName {
    return (this.available() as string[]).includes(name);
  }

  /** The client for a provider; 404 for one this build cannot connect. */
  get(name: string): InvoicingProvider {
    const factory = this.has(name) ? FACTORIES[name] : undefined;
    if (!factory) throw new NotFoundError('Provider');
    return factory({
      providers: this.config.providers,
      http: this.http,
      requestTimeoutMs: this.config.sync.requestTimeoutMs,
    });
  }
}
