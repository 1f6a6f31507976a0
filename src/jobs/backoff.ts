/**
 * Exponential backoff with full jitter (a random delay between 0 and the exponential cap), so
 * many failing jobs do not retry in lockstep against a recovering provider.
 */
export function backoffSeconds(
  attempt: number,
  { baseSeconds = 5, capSeconds = 3600, random = Math.random } = {},
): number {
  const ceiling = Math.min(capSeconds, baseSeconds * 2 ** Math.max(0, attempt - 1));
  return Math.round(random() * ceiling);
}
