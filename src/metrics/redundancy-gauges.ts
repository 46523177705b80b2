/**
 * The state's redundancy, read from Redis at scrape time: each shard's
 * online replicas beside how many a batch's writes must reach. A shard below
 * the requirement has lost a node for good (or one is restarting): the
 * RedisRedundancyLost alert compares the two.
 */
import { Gauge, type Registry } from 'prom-client';
import type { MonitorState } from '../state/monitor-state.ts';

export function registerRedundancyGauges(registry: Registry, state: MonitorState) {
  const namespace = state.namespace;
  let reading: ReturnType<MonitorState['days']['redundancy']> | null = null;
  let takenAt = 0;
  // one Redis read serves both gauges of one scrape
  const redundancy = () => {
    if (!reading || Date.now() - takenAt > 1000) {
      reading = state.days.redundancy();
      takenAt = Date.now();
    }
    return reading;
  };
  new Gauge({
    name: 'em_redis_replicas_required',
    help: 'Replicas a batch’s writes must reach before its offsets are committed (REDIS_MIN_REPLICAS)',
    labelNames: ['namespace'],
    registers: [registry],
    async collect() {
      const r = await redundancy().catch(() => null);
      if (r) this.set({ namespace }, r.required);
    },
  });
  new Gauge({
    name: 'em_redis_shard_replicas',
    help: 'Online replicas of each Redis shard (its slot ranges; "all" for a single Redis)',
    labelNames: ['namespace', 'shard'],
    registers: [registry],
    async collect() {
      const { shards } = await redundancy().catch(() => ({ shards: [] }));
      this.reset(); // a shard that moved or went away is not reported with its old value
      for (const s of shards) this.set({ namespace, shard: s.shard }, s.replicas);
    },
  });
}
