/** Reads secrets from the Secret Store. A missing store or key is `null`, never an exception. */
import { SecretStore } from 'fastly:secret-store';
import { SECRET_STORE_NAME } from '../core/config.ts';

export async function readSecret(key: string): Promise<string | null> {
  try {
    const entry = await new SecretStore(SECRET_STORE_NAME).get(key);
    return entry ? entry.plaintext() : null;
  } catch {
    return null;
  }
}
