/**
 * The service configuration from the Config Store, never failing the request.
 * Keys are read when the request first uses them (see readConfig).
 */
import { ConfigStore } from 'fastly:config-store';
import { CONFIG_STORE_NAME, type ParsedConfig, describe, readConfig } from '../core/config.ts';

export function loadConfig(): ParsedConfig {
  let store: ConfigStore | undefined;
  let openProblem: string | undefined;
  try {
    store = new ConfigStore(CONFIG_STORE_NAME);
  } catch (error) {
    openProblem = `config store ${CONFIG_STORE_NAME} could not be opened (${describe(error)}); using defaults`;
  }
  return readConfig((key) => (store ? store.get(key) : null), openProblem ? [openProblem] : []);
}
