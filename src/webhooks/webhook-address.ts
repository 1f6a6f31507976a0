/**
 * Where a provider is told to send its notifications: `APP_URL` + the route, and only when
 * `APP_URL` is public https (the providers deliver nowhere else, and an http address would send
 * secrets in the clear). Null: danwel does not register webhooks and relies on its schedules.
 */
export function webhookAddress(appUrl: string, path: string): string | null {
  if (!appUrl.startsWith('https://')) return null;
  return `${appUrl.replace(/\/+$/, '')}${path}`;
}
