/**
 * Exponential backoff with full jitter (a random delay between 1 s and the exponential cap), so
 * many failing jobs do not retry in lockstep against a recovering provider. The 1-second floor
 * keeps a failed job from being claimed again in the same poll.
 */
export function backoffSeconds(
  attempt: number,
  { baseSeconds = 5, capSeconds = 3600, random = Math.random } = {},
): number {
  const ceiling = Math.min(capSeconds, baseSeconds * 2 ** Math.max(0, attempt - 1));
  return Math.max(1, Math.round(random() * ceiling));
}
