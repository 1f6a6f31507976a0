/** Small lookups the invoicing emulators' stores share. */

/** The entry under `id`, or an error naming what was missing (a test's setup mistake). */
export function required<K, V>(map: Map<K, V>, id: K, what: string): V {
  const value = map.get(id);
  if (value === undefined) throw new Error(`no ${what} ${String(id)}`);
  return value;
}

/** The organisations (administrations, accounts, tenants) whose members include `email`. */
export function reachableBy<T extends { members: Set<string> }>(
  map: Map<unknown, T>,
  email: string,
): T[] {
  return [...map.values()].filter((o) => o.members.has(email.toLowerCase()));
}
