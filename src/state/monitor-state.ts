/**
 * A namespace's state over the one key layout (keys.ts): the days the stream
 * writes (DayState), the close-out's archive of reports and runs, and what
 * people said of alerts (FeedbackStore), the intraday schedule's alerts of
 * each day (IntradayAlertLog). Each is its own class with its own
 * concern; this only opens them together on one connection.
 */
import { CloseoutArchive } from './closeout-archive.ts';
import { DayState, type DayStateOptions, DEFAULT_DAY_STATE_OPTIONS } from './day-state.ts';
import { FeedbackStore } from './feedback-store.ts';
import { IntradayAlertLog } from './intraday-alert-log.ts';
import { StateKeys } from './keys.ts';
import { isCluster, type RedisClient } from './redis.ts';

export class MonitorState {
  readonly days: DayState;
  readonly archive: CloseoutArchive;
  readonly feedback: FeedbackStore;
  readonly intradayAlerts: IntradayAlertLog;
  private readonly keys: StateKeys;

  constructor(
    private readonly redis: RedisClient,
    readonly namespace: string,
    options: Partial<DayStateOptions> = {},
  ) {
    this.keys = new StateKeys(namespace);
    this.days = new DayState(redis, this.keys, options);
    this.archive = new CloseoutArchive(redis, this.keys);
    this.feedback = new FeedbackStore(redis, this.keys);
    this.intradayAlerts = new IntradayAlertLog(
      redis,
      this.keys,
      options.ttlDays ?? DEFAULT_DAY_STATE_OPTIONS.ttlDays,
    );
  }

  /** Every key of this namespace (the tests' clean-up): scanned on each master, unlinked one by one. */
  async deleteNamespace(): Promise<number> {
    const redis = this.redis;
    const nodes = isCluster(redis) ? redis.nodes('master') : [redis];
    let deleted = 0;
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', this.keys.dayKeysPattern(), 'COUNT', 1000);
        cursor = next;
        const counts = await Promise.all(keys.map((k) => redis.unlink(k)));
        deleted += counts.reduce((a, b) => a + b, 0);
      } while (cursor !== '0');
    }
    for (const key of this.keys.namespaceKeys()) deleted += await redis.unlink(key);
    return deleted;
  }
}
