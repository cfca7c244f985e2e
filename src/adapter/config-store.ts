/** Reads the service configuration from the Config Store, never failing the request. */
import { ConfigStore } from 'fastly:config-store';
import { CONFIG_STORE_NAME, type ParsedConfig, describe, parseConfig } from '../core/config.ts';

export function loadConfig(): ParsedConfig {
  let store: ConfigStore | undefined;
  let openProblem: string | undefined;
  try {
    store = new ConfigStore(CONFIG_STORE_NAME);
  } catch (error) {
    openProblem = `config store ${CONFIG_STORE_NAME} could not be opened (${describe(error)}); using defaults`;
  }
  const parsed = parseConfig((key) => (store ? store.get(key) : null));
  return openProblem ? { config: parsed.config, problems: [openProblem, ...parsed.problems] } : parsed;
}
