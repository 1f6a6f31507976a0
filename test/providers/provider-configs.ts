import { OAuthProviderConfig } from '../../src/config/app-config';
import { DEFAULT_CLIENT, GoogleEmulator } from '../emulators/google';
import { MicrosoftEmulator } from '../emulators/microsoft';

/** The providers' configuration pointed at the emulators, as `loadConfig` would build it. */
export function googleConfig(google: GoogleEmulator): OAuthProviderConfig {
  return {
    clientId: DEFAULT_CLIENT.clientId,
    clientSecret: DEFAULT_CLIENT.clientSecret,
    redirectUri: DEFAULT_CLIENT.redirectUris[0],
    authorizeUrl: google.endpoints.oauth2AuthBaseUrl,
    tokenUrl: google.endpoints.oauth2TokenUrl,
    revokeUrl: google.endpoints.oauth2RevokeUrl,
    apiBaseUrl: google.url,
  };
}

export function microsoftConfig(ms: MicrosoftEmulator): OAuthProviderConfig {
  return {
    clientId: ms.app.clientId,
    clientSecret: ms.app.clientSecret,
    redirectUri: 'https://danwel.test/integrations/office365/callback',
    authorizeUrl: `${ms.url}/common/oauth2/v2.0/authorize`,
    tokenUrl: `${ms.url}/common/oauth2/v2.0/token`,
    // Microsoft identity has no revocation endpoint (as in loadConfig).
    revokeUrl: '',
    // Graph's root without the version: the SDK adds `v1.0`.
    apiBaseUrl: ms.url,
  };
}
