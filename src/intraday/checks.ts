/**
 * Every intraday check: one declaration each over the engine in evaluate.ts,
 * as the close-out's are over theirs (id, severity, kind, the section of
 * `intraday:` holding its parameters, playbook, message). Adding one is a
 * declaration here and its test. Pure.
 */
import type { CheckCommon } from '../checks/model.ts';
import type { IntradayRules } from '../config/monitor-config.ts';

/**
 * What every intraday declaration adds to the common fields: the close-out
 * metrics its alerts are about. A day on which it raised a CRITICAL alert
 * nobody called a false positive leaves those metrics' baselines, close-out
 * and intraday alike, as the close-out's own checks about them do.
 */
interface IntradayCommon<Id extends string> extends CheckCommon<Id> {
  about: readonly string[];
}

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
const whole = (v: number) => Math.round(v).toLocaleString('en-US');

/** A count below what the baseline days had in the same slots, for one event type. */
interface VolumeDropCheck<Id extends string> extends IntradayCommon<Id> {
  kind: 'volume_drop';
  parameters: 'volume';
  message: (f: { type: string; observed: number; expected: number; window: string; p: number }) => string;
}

/** No event of a type for longer than the baseline days ever were around this hour. */
interface SilenceCheck<Id extends string> extends IntradayCommon<Id> {
  kind: 'silence';
  parameters: 'silence';
  message: (f: { type: string; minutes: number; learnedMinutes: number; expected: number }) => string;
}

/** The trailing window's share of events without a client id, above the limit and the baseline hours'. */
interface NullRateCheck<Id extends string> extends IntradayCommon<Id> {
  kind: 'null_rate';
  parameters: 'nullClient';
  message: (f: { rate: number; expected: number; windowMinutes: number; limit: number }) => string;
}

/** A funnel step (a role's events) far below what today's page views predict, while page views go on. */
interface StepStopCheck<Id extends string> extends IntradayCommon<Id> {
  kind: 'step_stop';
  parameters: 'stepStop';
  message: (f: {
    step: string;
    names: string;
    observed: number;
    expected: number;
    pageViews: number;
    windowMinutes: number;
    p: number;
  }) => string;
}

export type IntradayCheckDeclaration<Id extends string = string> =
  | VolumeDropCheck<Id>
  | SilenceCheck<Id>
  | NullRateCheck<Id>
  | StepStopCheck<Id>;

export const defineIntradayCheck = <const Id extends string>(
  d: IntradayCheckDeclaration<Id>,
): IntradayCheckDeclaration<Id> => d;

export const INTRADAY_CHECKS = [
  defineIntradayCheck({
    id: 'intraday_volume_drop',
    severity: 'CRITICAL',
    kind: 'volume_drop',
    about: ['event_count', 'page_views'],
    parameters: 'volume',
    message: (f) =>
      `${f.type}: ${whole(f.observed)} events ${f.window}, against ${whole(f.expected)} expected from the baseline days at today's level (−${Math.round((1 - f.observed / f.expected) * 100)}%; chance ${f.p.toExponential(1)})`,
    playbook: {
      title: () =>
        'An event type fell far below the same hours of its baseline days (CRITICAL; a sustained halving over 3 hours or the day so far: WARNING)',
      investigate: [
        'Check for a site outage or a tracking script that stopped loading for this event type (a deploy, a consent banner, a tag manager change)',
        'Compare with web server or CDN request counts for the same hours',
      ],
      resolution: 'Fix the page or the tag; once fixed, replay the gap if the source kept it',
    },
  }),
  defineIntradayCheck({
    id: 'intraday_silence',
    severity: 'CRITICAL',
    kind: 'silence',
    about: ['event_count', 'page_views'],
    parameters: 'silence',
    message: (f) =>
      `${f.type}: no event for ${f.minutes} min; the baseline days were silent at most ${f.learnedMinutes} min around this hour and had ${whole(f.expected)} events in that span`,
    playbook: {
      title: () => 'No event of a type for longer than its baseline days ever were around this hour',
      investigate: [
        'Check whether the page or step still fires it (open it with the browser network panel)',
        'Check the stream health dashboard for where the events stopped (producer, Kafka, the monitor)',
      ],
      resolution: 'Restore the event where it stopped; replay the gap if the source kept it',
    },
  }),
  defineIntradayCheck({
    id: 'intraday_null_client_rate',
    severity: 'CRITICAL',
    kind: 'null_rate',
    about: ['null_client_rate'],
    parameters: 'nullClient',
    message: (f) =>
      `${pct(f.rate)} of events in the last ${f.windowMinutes} min have no client id, against ${pct(f.expected)} in the same hours of the baseline days (limit ${pct(f.limit)})`,
    playbook: {
      title: ({ limit }) =>
        `Client ids went empty on more than ${limit === null ? 'the limit' : pct(limit)} of the last hour's events, more than the baseline hours allow`,
      investigate: [
        'Check the consent banner and cookie settings',
        'Check the tracker version deployed today',
      ],
      resolution: 'Restore the client id; sessions and funnels of these hours are unreliable',
    },
  }),
  defineIntradayCheck({
    id: 'intraday_step_stopped',
    severity: 'CRITICAL',
    kind: 'step_stop',
    about: ['conversions', 'revenue'],
    parameters: 'stepStop',
    message: (f) =>
      `${f.step} (${f.names}): ${whole(f.observed)} events in the last ${f.windowMinutes} min while ${whole(f.pageViews)} page views came in; the baseline days' rate per page view predicts ${whole(f.expected)} (chance ${f.p.toExponential(1)})`,
    playbook: {
      title: () => 'A funnel step stopped while page views continue',
      investigate: [
        "Open the step's page (cart, checkout, thank-you page) with the browser network panel: does it still send the event, under the configured name?",
        'Check deploys and tag manager changes of the last hours on that page, and the event name the mapping expects (source.mapping.events)',
        'Check the dead letters of the last hours for that event (event-monitor dlq summary)',
      ],
      resolution:
        'Restore the event on the step; the funnel, conversions and revenue of these hours are missing until it is replayed',
    },
  }),
] as const;

export type IntradayCheckId = (typeof INTRADAY_CHECKS)[number]['id'];
export const INTRADAY_CHECK_IDS: readonly IntradayCheckId[] = INTRADAY_CHECKS.map((c) => c.id);

/** The parameters of a check: its section of `intraday:`. */
export const parametersOf = <C extends IntradayCheckDeclaration>(c: C, rules: IntradayRules) =>
  rules[c.parameters] as IntradayRules[C['parameters']];

/** The limit an intraday check's playbook title states: the day's null client rate limit for `null_rate`; none else. */
export const playbookLimitOf = (c: IntradayCheckDeclaration, maxNullClientRate: number): number | null =>
  c.kind === 'null_rate' ? maxNullClientRate : null;
