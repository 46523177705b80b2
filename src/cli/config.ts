/** `event-monitor config show [--date D]`: the configuration as the monitor reads it. */
import { stringify } from 'yaml';
import { intradayRulesFor, overridesLine, overridesOn, thresholdsFor } from '../config/day-rules.ts';
import { asConfigFile, type MonitorConfig } from '../config/monitor-config.ts';

/**
 * The resolved config as YAML, as a config file would state it (it reads
 * back as the same config). With a date, its thresholds and intraday
 * parameters are that day's (every matching override applied), and a first
 * comment line names the overrides, so what a day is judged by can be read
 * before the day comes.
 */
export function resolvedConfigYaml(config: MonitorConfig, date?: string): string {
  if (!date) return stringify(asConfigFile(config));
  const overrides = overridesOn(date, config.overrides);
  const day = {
    ...config,
    thresholds: thresholdsFor(date, config),
    intraday: intradayRulesFor(date, config),
  };
  return `# ${date}: ${overrides.length ? overridesLine(overrides) : 'no override applies'}\n${stringify(asConfigFile(day))}`;
}
