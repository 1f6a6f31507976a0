// The provider sends the browser back to /integrations (no organization in the path): the
// organization the flow started in is remembered for that return.
const KEY = 'danwel.connecting-organization';

export function rememberConnectingOrganization(orgId: number): void {
  globalThis.sessionStorage?.setItem(KEY, String(orgId));
}

export function connectingOrganization(): number | null {
  const value = Number(globalThis.sessionStorage?.getItem(KEY));
  return Number.isInteger(value) && value > 0 ? value : null;
}
