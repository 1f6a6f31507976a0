import { useLocation } from 'react-router';

/** The token of a mailed link (reset, verification): everything after `#`. */
export function useLinkToken(): string {
  return decodeURIComponent(useLocation().hash.replace(/^#/, '')).trim();
}
