/**
 * What a day is judged by: the configured thresholds and intraday check
 * parameters, with every override that matches the day applied in order
 * (later wins). The close-out and the intraday schedule read them only here,
 * so an override reaches every check the same way. Pure.
 */
import { DayResolver } from '../calendar/day-resolver.ts';
import {
  INTRADAY_CHECK_SECTIONS,
  type IntradayRules,
  type MonitorConfig,
  type Thresholds,
} from './monitor-config.ts';

type Overrides = MonitorConfig['overrides'];
export type Override = Overrides[number];

/** The overrides that apply to a day, in the order they are configured. */
export function overridesOn(day: string, overrides: Overrides): Overrides {
  const weekday = DayResolver.weekday(day);
  return overrides.filter(
    (o) =>
      (!o.weekdays || o.weekdays.includes(weekday)) && (!o.from || day >= o.from) && (!o.to || day <= o.to),
  );
}

/** Thresholds for a day: the configured ones, then every matching override. */
export function thresholdsFor(
  day: string,
  config: Pick<MonitorConfig, 'thresholds' | 'overrides'>,
): Thresholds {
  return Object.assign(
    { ...config.thresholds },
    ...overridesOn(day, config.overrides).map((o) => o.thresholds),
  );
}

/** The intraday rules for a day: each check's parameters with every matching override's changes. */
export function intradayRulesFor(
  day: string,
  config: Pick<MonitorConfig, 'intraday' | 'overrides'>,
): IntradayRules {
  const rules: Record<string, unknown> = { ...config.intraday };
  for (const o of overridesOn(day, config.overrides))
    for (const section of INTRADAY_CHECK_SECTIONS)
      rules[section] = { ...(rules[section] as object), ...o.intraday[section] };
  return rules as IntradayRules;
}

/** An override as the reports name it: why, and what it changes ("weekends (minDailyConversions 5)"). */
function overrideSummary(o: Override): string {
  const changes = [
    ...Object.entries(o.thresholds).map(([key, value]) => `${key} ${JSON.stringify(value)}`),
    ...Object.entries(o.intraday).flatMap(([section, parameters]) =>
      Object.entries(parameters ?? {}).map(
        ([key, value]) => `intraday.${section}.${key} ${JSON.stringify(value)}`,
      ),
    ),
  ];
  return `${o.reason || 'unnamed override'} (${changes.join(', ') || 'no change'})`;
}

/** The overrides a day was judged with, as the text and HTML reports and an intraday run say. */
export function overridesLine(overrides: readonly Override[]): string {
  return `Overrides in effect: ${overrides.map(overrideSummary).join('; ')}`;
}
