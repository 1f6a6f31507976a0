import { Auth, calendar_v3, googleAuth, googleCalendar } from './google-api';
import { countedFetch } from '../provider-http';

/** A Calendar API client that acts with one access token. */
export interface GoogleSession {
  auth: Auth.OAuth2Client;
  calendar: calendar_v3.Calendar;
}

/**
 * The one way danwel calls the Calendar API with an access token (calendar list, writes, pulls,
 * channels). googleapis retries every request by default (PUT and DELETE included, ignoring
 * `Retry-After`): here it never does, so each failure reaches the caller, whose backoff decides.
 * Only the access token: refreshing is the caller's business (after an `unauthorized`). gaxios gets
 * the native `fetch`, counted into the provider metrics (same error shapes everywhere, and Jest
 * cannot load node-fetch).
 */
export function googleSession(apiBaseUrl: string, accessToken: string): GoogleSession {
  const auth = new googleAuth.OAuth2({
    transporterOptions: { fetchImplementation: countedFetch },
  });
  auth.setCredentials({ access_token: accessToken });
  const calendar = googleCalendar({
    version: 'v3',
    rootUrl: `${apiBaseUrl.replace(/\/+$/, '')}/`,
    auth,
    retry: false,
  });
  return { auth, calendar };
}
