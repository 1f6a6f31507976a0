import { isEncrypted } from './encrypter';

/**
 * A copy of `value` (JSON) with every encrypted string replaced by `replace(path, text)`, where
 * `path` extends `path` by the keys and indexes that lead to it (`jobs.payload.token`).
 */
export function mapEncryptedStrings(
  value: unknown,
  path: string,
  replace: (path: string, text: string) => string,
): unknown {
  if (typeof value === 'string') return isEncrypted(value) ? replace(path, value) : value;
  if (Array.isArray(value)) {
    return value.map((item, index) => mapEncryptedStrings(item, `${path}.${index}`, replace));
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        key,
        mapEncryptedStrings(item, `${path}.${key}`, replace),
      ]),
    );
  }
  return value;
}
