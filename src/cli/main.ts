#!/usr/bin/env node
/**
 * event-monitor: the command line. Every command reads the same configuration
 * (environment, optional MONITOR_CONFIG_FILE); a configuration problem stops it
 * with one line per problem and exit code 2.
 */
import { writeFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import type { Severity } from '../checks/model.ts';
import { ConfigError } from '../config/env.ts';
import { EVENT_FORMAT_NAMES } from '../config/formats/index.ts';
import { ALL_CHECK_IDS } from '../delivery/catalog.ts';
import { UsageError } from '../errors.ts';
import { REJECT_REASONS } from '../outcome.ts';
import { parseDuration } from '../source/dlq-summary.ts';
import { ensureTopics } from '../source/topics.ts';
import { FEEDBACK_VERDICTS, type FeedbackEntry } from '../state/feedback-store.ts';
import { calendarDay, wholeNumberIn } from './arguments.ts';
import { closeoutOnce, closeoutSchedule } from './closeout.ts';
import { resolvedConfigYaml } from './config.ts';
import { consume } from './consume.ts';
import { createContext, kafkaOf } from './context.ts';
import { dlqReplay, dlqSummary, replayText } from './dlq.ts';
import { feedbackStats, recordFeedback } from './feedback.ts';
import { intradayBackfillOnce, intradayOnce, intradaySchedule } from './intraday.ts';
import { planCheck, planInfer, planInferTopic } from './plan.ts';
import { replayCommand } from './replay.ts';
import { VERSION } from './version.ts';

const positiveInt = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a whole number >= 0`);
  return n;
};

const durationMs = (v: string) => {
  const ms = parseDuration(v);
  if (ms === null) throw new InvalidArgumentError('use a number and m, h or d, e.g. 24h');
  return ms;
};
const SINCE_OPTION = [
  '--since <duration>',
  "only dead letters of messages from the last 90m, 24h, 7d, ... (a dead letter keeps its message's timestamp)",
  durationMs,
] as const;
const FROM_OPTION = [
  '--from <ISO time>',
  'only dead letters of messages from this time on',
  (v: string) => {
    const ms = Date.parse(v);
    if (!Number.isFinite(ms))
      throw new InvalidArgumentError('use an ISO 8601 time, e.g. 2025-03-01T00:00:00Z');
    return ms;
  },
] as const;

const HELP_FOOTER = `
Environment: every setting is an environment variable (KAFKA_BROKERS, REDIS_URL,
MONITOR_CONFIG_FILE, …; the README's Configuration lists them); secrets also as *_FILE.

Exit codes: 0 ok; 1 an alert at or above --fail-on fired; 2 a usage or
configuration error; 3 a runtime failure (a service unreachable, rows skipped by
replay).`;

export function buildProgram(): Command {
  const program = new Command('event-monitor')
    .description('Watches raw web-tracking events in Kafka and says within minutes when tracking breaks.')
    .showHelpAfterError('(event-monitor --help lists the commands; COMMAND --help their options)')
    // usage errors exit 2, like every other request that cannot be carried out (see main)
    .exitOverride()
    .version(VERSION, '-V, --version', 'print the version')
    .configureHelp({ showGlobalOptions: true })
    .addHelpText('afterAll', HELP_FOOTER)
    .option('-n, --namespace <ns>', 'isolates Redis keys and the consumer group (env MONITOR_NAMESPACE)')
    .option('-t, --topic <topic>', 'events topic (env KAFKA_TOPIC, default events.raw)');

  const ctx = () => createContext(program.opts<{ namespace?: string; topic?: string }>());

  program
    .command('consume')
    .addHelpText(
      'after',
      `\nExamples:\n  $ event-monitor consume\n  $ event-monitor consume --exit-when-idle 5 --ensure-topic`,
    )
    .description('consume the events topic into per-day Redis state and serve /metrics')
    .option(
      '--exit-when-idle <seconds>',
      'exit 0 once caught up and no message came for this long',
      positiveInt('--exit-when-idle'),
    )
    .option('--ensure-topic', 'create the topic and its .dlq when missing')
    .action(async (opts: { exitWhenIdle?: number; ensureTopic?: boolean }) => {
      process.exitCode = await consume(ctx(), {
        ...(opts.exitWhenIdle !== undefined ? { exitWhenIdleSeconds: opts.exitWhenIdle } : {}),
        ensureTopic: opts.ensureTopic ?? false,
      });
    });

  const topics = program.command('topics').description('manage the monitored topics');
  topics
    .command('ensure')
    .addHelpText('after', `\nExamples:\n  $ event-monitor topics ensure --partitions 6`)
    .description('create the topic and its dead-letter topic <topic>.dlq when missing')
    .option('--partitions <n>', 'partitions for new topics', positiveInt('--partitions'), 6)
    .action(async (opts: { partitions: number }) => {
      const c = ctx();
      const result = await ensureTopics(kafkaOf(c), c.topic, opts.partitions);
      for (const t of result.created) console.log(`created ${t}`);
      for (const t of result.existing) console.log(`exists  ${t}`);
    });

  program
    .command('closeout')
    .addHelpText(
      'after',
      `\nExamples:\n  $ event-monitor closeout\n  $ event-monitor closeout --date 2025-03-04 --text --fail-on warning\n  $ event-monitor closeout --provisional\n  $ event-monitor closeout --schedule --html /reports`,
    )
    .description('close out a day: checks, reports, alerts (default: yesterday in MONITOR_TIMEZONE)')
    .option('--date <YYYY-MM-DD>', 'the day to close out (a past day)', calendarDay)
    .option('--provisional', 'report on today (or a later day) so far, without storing or sending it')
    .option('--json <file>', 'write the JSON report to this file')
    .option('--text [file]', 'print the text report, or write it to this file')
    .option(
      '--fail-on <level>',
      'exit 1 when an alert at or above this level fired: critical, warning or never',
      'critical',
    )
    .option('--rerun', 'recompute a day already closed (after late events) and report what changed')
    .option(
      '--html <dir>',
      'write the day as a self-contained HTML page into this folder, and its index.html',
    )
    .option(
      '--schedule [cron]',
      'run as a service: close out yesterday on this schedule (default CLOSEOUT_SCHEDULE, 30 6 * * *)',
    )
    .action(
      async (opts: {
        date?: string;
        json?: string;
        text?: boolean | string;
        failOn: string;
        rerun?: boolean;
        provisional?: boolean;
        html?: string;
        schedule?: boolean | string;
        backfill?: boolean;
        every: number;
      }) => {
        const levels = new Map<string, Severity | 'never'>([
          ['critical', 'CRITICAL'],
          ['warning', 'WARNING'],
          ['never', 'never'],
        ]);
        const failOn = levels.get(opts.failOn.toLowerCase());
        if (!failOn) throw new UsageError(`--fail-on must be critical, warning or never, not ${opts.failOn}`);
        const c = ctx();
        if (opts.schedule) {
          process.exitCode = await closeoutSchedule(
            c,
            typeof opts.schedule === 'string' ? opts.schedule : c.env.CLOSEOUT_SCHEDULE,
            opts.html,
          );
          return;
        }
        const { code, result } = await closeoutOnce(c, {
          failOn,
          ...(opts.date ? { date: opts.date } : {}),
          ...(opts.json ? { json: opts.json } : {}),
          ...(opts.text !== undefined ? { text: opts.text } : {}),
          ...(opts.rerun ? { rerun: true } : {}),
          ...(opts.provisional ? { provisional: true } : {}),
          ...(opts.html ? { html: opts.html } : {}),
        });
        for (const e of result.deliveryErrors) console.error(`event-monitor: closeout: ${e}`);
        process.exitCode = code;
      },
    );

  const config = program.command('config').description("the monitor's configuration");
  config
    .command('check')
    .addHelpText(
      'after',
      `\nExamples:\n  $ event-monitor config check\n  $ MONITOR_CONFIG_FILE=monitor.yaml event-monitor config check`,
    )
    .description(
      'validate the environment, the monitoring config (MONITOR_CONFIG_FILE) and the tracking plan without connecting to anything; one line per problem, exit 2',
    )
    .action(() => {
      const c = ctx();
      process.stdout.write(
        `config ok: namespace ${c.namespace}, topic ${c.topic}, ` +
          `${c.env.MONITOR_CONFIG_FILE ? `config ${c.env.MONITOR_CONFIG_FILE}` : 'default config'}, ` +
          `source format ${c.config.source.format}, ` +
          `${c.plan ? `tracking plan ${c.plan.version}` : 'no tracking plan'}\n`,
      );
    });
  config
    .command('show')
    .addHelpText(
      'after',
      `\nExamples:\n  $ event-monitor config show\n  $ MONITOR_CONFIG_FILE=monitor.yaml event-monitor config show --date 2025-11-28`,
    )
    .description(
      "the resolved monitoring config as YAML: defaults filled in, the source format's mapping applied; with --date, the thresholds and intraday parameters that day is judged by, its overrides applied and named",
    )
    .option('--date <YYYY-MM-DD>', 'the day whose overrides to apply', calendarDay)
    .action((o: { date?: string }) => {
      process.stdout.write(resolvedConfigYaml(ctx().config, o.date));
    });

  const plan = program.command('plan').description('the tracking plan: what each event must carry');
  plan
    .command('check <file>')
    .addHelpText('after', `\nExamples:\n  $ event-monitor plan check config/tracking-plan.yml`)
    .description('validate a tracking plan (YAML or JSON) without starting anything; one line per problem')
    .action((file: string) => {
      process.stdout.write(planCheck(file));
    });
  plan
    .command('infer [paths...]')
    .addHelpText(
      'after',
      `\nExamples:\n  $ event-monitor plan infer --plan-version 2025-03 ../shared/data/puffy > plan.yml\n  $ MONITOR_CONFIG_FILE=monitor.yaml event-monitor plan infer --from-topic --topic events.raw --since 24h > plan.yml`,
    )
    .description(
      'draft a plan that the events satisfy, from CSV exports (files or folders) or from a bounded read of a topic in the configured source format; YAML on stdout',
    )
    .option(
      '--plan-version <version>',
      "the draft's plan version",
      `inferred-${new Date().toISOString().slice(0, 10)}`,
    )
    .option(
      '--from-topic',
      'read the events topic (--topic, KAFKA_TOPIC) once, up to its end when the read starts, instead of CSV files',
    )
    .option(
      '--since <duration>',
      'with --from-topic: only records from this long ago on (30m, 6h, 7d)',
      durationMs,
    )
    .action(async (paths: string[], opts: { planVersion: string; fromTopic?: boolean; since?: number }) => {
      if (Boolean(opts.fromTopic) === paths.length > 0) {
        throw new UsageError('name CSV files or folders, or --from-topic, one of the two');
      }
      if (opts.since !== undefined && !opts.fromTopic) throw new UsageError('--since goes with --from-topic');
      const r = opts.fromTopic
        ? await planInferTopic(
            ctx(),
            opts.planVersion,
            opts.since === undefined ? undefined : Date.now() - opts.since,
          )
        : await planInfer(paths, opts.planVersion);
      process.stdout.write(r.yaml);
      console.error(
        `plan infer: drafted from ${r.events} events` +
          (r.eventsWithoutName ? ` (${r.eventsWithoutName} without an event name, left out)` : '') +
          (r.skippedRows
            ? `; ${r.skippedRows} unreadable ${opts.fromTopic ? 'messages' : 'rows'} skipped`
            : ''),
      );
    });

  program
    .command('intraday')
    .addHelpText(
      'after',
      `\nExamples:\n  $ event-monitor intraday --date 2025-03-07 --at 11:20 --text\n  $ event-monitor intraday --schedule\n  $ event-monitor intraday --date 2025-03-07 --backfill --every 10`,
    )
    .description('the day so far, as of an event time, against the same hours of its baseline days')
    .option('--date <YYYY-MM-DD>', 'the day to judge', calendarDay)
    .option('--at <HH:MM>', 'judge the events before this time of day (MONITOR_TIMEZONE)', (v) => {
      const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(v) ?? (v === '24:00' ? ['', '24', '00'] : null);
      if (!m) throw new InvalidArgumentError('use HH:MM, 00:00 to 24:00');
      return Number(m[1]) * 60 + Number(m[2]);
    })
    .option('--json <file>', 'write the verdict as JSON to this file')
    .option('--text', 'print the verdict as text (the default without --json)')
    .option(
      '--fail-on <level>',
      'exit 1 when an alert at or above this level fired: critical, warning or never',
      'never',
    )
    .option(
      '--schedule [cron]',
      'run as a service: judge the day so far on this schedule and send alerts to Alertmanager (default INTRADAY_SCHEDULE, every minute)',
    )
    .option(
      '--backfill',
      "judge a past day (--date) as the schedule would have, and keep its alerts in the day's record for the close-out; nothing is sent",
    )
    .option(
      '--every <minutes>',
      'with --backfill: judge every this many minutes from midnight',
      wholeNumberIn(1, 1440),
      10,
    )
    .action(
      async (opts: {
        date?: string;
        at?: number;
        json?: string;
        text?: boolean;
        failOn: string;
        schedule?: boolean | string;
        backfill?: boolean;
        every: number;
      }) => {
        if (opts.schedule) {
          const c = ctx();
          process.exitCode = await intradaySchedule(
            c,
            typeof opts.schedule === 'string' ? opts.schedule : c.env.INTRADAY_SCHEDULE,
          );
          return;
        }
        if (opts.backfill) {
          if (opts.date === undefined || opts.at !== undefined)
            throw new UsageError('--backfill takes --date (and --every), not --at');
          await intradayBackfillOnce(ctx(), opts.date, opts.every);
          return;
        }
        if (opts.date === undefined || opts.at === undefined)
          throw new UsageError('give --date and --at, --date and --backfill, or --schedule');
        opts.failOn = opts.failOn.toLowerCase();
        if (!['critical', 'warning', 'never'].includes(opts.failOn))
          throw new UsageError('--fail-on: critical, warning or never');
        const verdict = await intradayOnce(ctx(), {
          date: opts.date,
          atMinute: opts.at,
          ...(opts.json ? { json: opts.json } : {}),
          ...(opts.text ? { text: true } : {}),
        });
        const levels =
          opts.failOn === 'critical'
            ? ['CRITICAL']
            : opts.failOn === 'warning'
              ? ['CRITICAL', 'WARNING']
              : [];
        if (verdict.alerts.some((a) => levels.includes(a.severity))) process.exitCode = 1;
      },
    );

  program
    .command('feedback')
    .addHelpText(
      'after',
      `\nExamples:\n  $ event-monitor feedback --date 2025-03-04 --check aov_anomaly --verdict expected --note 'promo'\n  $ event-monitor feedback --stats --days 30`,
    )
    .description(
      "say what an alert was: incident or expected keep the day out of the check's baselines, false_positive counts against the check",
    )
    .option('--date <YYYY-MM-DD>', 'the day of the alert', calendarDay)
    .option('--check <check>', 'the check that fired', (v) => {
      if (!ALL_CHECK_IDS.includes(v))
        throw new InvalidArgumentError(`unknown check; one of ${ALL_CHECK_IDS.join(', ')}`);
      return v;
    })
    .option('--verdict <verdict>', FEEDBACK_VERDICTS.join(', '), (v) => {
      if (!(FEEDBACK_VERDICTS as readonly string[]).includes(v))
        throw new InvalidArgumentError(`one of ${FEEDBACK_VERDICTS.join(', ')}`);
      return v;
    })
    .option('--note <text>', 'why (stored with the verdict)', '')
    .option('--stats', 'instead: per check, days fired, verdicts, false-positive share and days to quiet')
    .option('--days <n>', 'with --stats: the closed days looked at', positiveInt('--days'), 90)
    .option('--json <file>', 'with --stats: also write them as JSON')
    .action(
      async (opts: {
        date?: string;
        check?: string;
        verdict?: FeedbackEntry['verdict'];
        note: string;
        stats?: boolean;
        days: number;
        json?: string;
      }) => {
        if (opts.stats) {
          await feedbackStats(ctx(), { days: opts.days, ...(opts.json ? { json: opts.json } : {}) });
          return;
        }
        if (!opts.date || !opts.check || !opts.verdict)
          throw new UsageError('give --date, --check and --verdict, or --stats');
        await recordFeedback(ctx(), {
          day: opts.date,
          check: opts.check,
          verdict: opts.verdict,
          note: opts.note,
        });
      },
    );

  const dlq = program.command('dlq').description('the dead-letter topic <topic>.dlq');
  /** --since or --from as one start time (epoch ms), or none. */
  const startOf = (opts: { since?: number; from?: number }): number | undefined => {
    if (opts.since !== undefined && opts.from !== undefined)
      throw new UsageError('give --since or --from, not both');
    return opts.from ?? (opts.since !== undefined ? Date.now() - opts.since : undefined);
  };
  dlq
    .command('summary')
    .addHelpText(
      'after',
      `\nExamples:\n  $ event-monitor dlq summary --since 24h\n  $ event-monitor dlq summary --since 24h --show-values ./dead-letters.jsonl`,
    )
    .description(
      'what the dead-letter topic holds: counts by reason, day and source partition (never values)',
    )
    .option(...SINCE_OPTION)
    .option(...FROM_OPTION)
    .option('--json <file>', 'also write the summary as JSON')
    .option(
      '--show-values <file>',
      "also write each dead letter's key and value (personal data) to this file, readable by you alone; never to the terminal",
    )
    .action(async (opts: { since?: number; from?: number; json?: string; showValues?: string }) => {
      const fromMs = startOf(opts);
      // "-" would be a file of that name; anything else that is not a regular file the value file refuses
      if (opts.showValues === '-')
        throw new UsageError('--show-values writes to a regular file, never to a terminal, pipe or device');
      await dlqSummary(ctx(), {
        ...(fromMs !== undefined ? { fromMs } : {}),
        ...(opts.json ? { json: opts.json } : {}),
        ...(opts.showValues ? { showValues: opts.showValues } : {}),
      });
    });
  dlq
    .command('replay')
    .addHelpText(
      'after',
      `\nExamples:\n  $ event-monitor dlq replay --reason contract_violation --dry-run\n  $ event-monitor dlq replay --reason contract_violation --since 24h`,
    )
    .description(
      'put dead letters back through validation into their days, exactly once each; what still fails is dead-lettered again with its new reason',
    )
    .option('--reason <reason...>', 'only dead letters of these reasons (e.g. contract_violation)')
    .option(...SINCE_OPTION)
    .option(...FROM_OPTION)
    .option('--dry-run', 'say what would be accepted and what would fail, and write nothing')
    .option('--json <file>', 'also write the outcome as JSON')
    .action(
      async (opts: { reason?: string[]; since?: number; from?: number; dryRun?: boolean; json?: string }) => {
        const unknown = (opts.reason ?? []).filter((r) => !(REJECT_REASONS as readonly string[]).includes(r));
        if (unknown.length)
          throw new UsageError(`unknown reason ${unknown.join(', ')}; one of ${REJECT_REASONS.join(', ')}`);
        const fromMs = startOf(opts);
        const result = await dlqReplay(ctx(), {
          reasons: opts.reason ?? [],
          ...(fromMs !== undefined ? { fromMs } : {}),
          dryRun: opts.dryRun ?? false,
        });
        if (opts.json) writeFileSync(opts.json, `${JSON.stringify(result, null, 2)}\n`);
        process.stdout.write(replayText(result));
      },
    );

  program
    .command('replay')
    .addHelpText(
      'after',
      `\nExamples:\n  $ event-monitor replay ../shared/data/puffy\n  $ event-monitor replay --as segment ../shared/data/puffy\n  $ event-monitor replay --format avro --rate 2000 ../shared/data/puffy`,
    )
    .description('send CSV exports (files or folders; .csv, .csv.gz) through the events topic')
    .argument('<paths...>', 'CSV files or folders of them')
    .option('--format <format>', 'json, or avro (Confluent wire format through the schema registry)', 'json')
    .option(
      '--as <source-format>',
      `convert each row into this source format first: ${EVENT_FORMAT_NAMES.join(', ')} (default: source.format of the config)`,
    )
    .option('--rate <events-per-second>', 'throttle sending', positiveInt('--rate'))
    .option('--skip <rows>', 'pass over the first rows (resume a replay that stopped)', positiveInt('--skip'))
    .option('--limit <rows>', 'send at most this many rows', positiveInt('--limit'))
    .action(
      async (
        paths: string[],
        opts: { format: string; as?: string; rate?: number; skip?: number; limit?: number },
      ) => {
        if (opts.format !== 'json' && opts.format !== 'avro') {
          throw new UsageError(`--format must be json or avro, not ${opts.format}`);
        }
        const as = opts.as === undefined ? undefined : EVENT_FORMAT_NAMES.find((f) => f === opts.as);
        if (opts.as !== undefined && as === undefined) {
          throw new UsageError(`--as must be one of ${EVENT_FORMAT_NAMES.join(', ')}, not ${opts.as}`);
        }
        if (opts.format === 'avro' && as !== undefined && as !== 'flat') {
          throw new UsageError(`--format avro sends the export's own columns; --as ${as} goes as json`);
        }
        const summary = await replayCommand(ctx(), paths, {
          format: opts.format,
          ...(as ? { as } : {}),
          ...(opts.rate ? { rate: opts.rate } : {}),
          ...(opts.skip ? { skip: opts.skip } : {}),
          ...(opts.limit ? { limit: opts.limit } : {}),
        });
        if (summary.skipped.length) process.exitCode = 3;
      },
    );

  return program;
}

/** How long the event loop may take to drain once a command has closed everything it owns. */
const DRAIN_MS = 5_000;

export async function main(argv = process.argv): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
    exitOnceDrained();
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const line of err.problems) console.error(`event-monitor: config: ${line}`);
      process.exit(2);
    }
    // commander has printed its own message (or the help, which exits 0); inside an action, a
    // refused argument is a UsageError, which commander never saw and so never printed
    if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
    if (err instanceof UsageError) {
      console.error(`event-monitor: ${err.message}`);
      process.exit(2);
    }
    // a runtime failure (a service unreachable, say): 3, so a scheduler can tell it from a verdict (1)
    console.error(`event-monitor: ${(err as Error).message ?? err}`);
    process.exit(3);
  }
}

await main();

/**
 * The command is done and has closed its own clients; normally the process now
 * ends by itself. kafkajs 2.2.4 can leave a socket open for ever: after a broker
 * closes a connection (a graceful broker restart), the consumer's crash handler
 * drops that broker from its pool without closing the pool's other connection,
 * and disconnect() no longer reaches it. A stopped consumer must exit (an
 * orchestrator, a batch job, --exit-when-idle all wait for it), so whatever is
 * still open after a short drain is named in one line and the process exits
 * with the command's own code.
 */
function exitOnceDrained() {
  setTimeout(() => {
    console.error(
      `event-monitor: exiting; still open after ${DRAIN_MS / 1000} s: ${process.getActiveResourcesInfo().join(', ')}`,
    );
    process.exit();
  }, DRAIN_MS).unref();
}
