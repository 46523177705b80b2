/**
 * The consumer's watchdog, for the two ways a kafkajs consumer goes quiet
 * without dying:
 * - joined, partitions behind, yet nothing applied for `stallMs` (seen under load);
 * - (re)started but never joined within a rebalance plus `stallMs` (a join that
 *   hangs or died without a restart). Before this check existed, a fetch loop
 *   that failed to rejoin after the watchdog's own restart was never restarted again.
 */
import type { Logger } from '../log.ts';
import type { LaggingPartition } from './applied-offsets.ts';
import type { ConsumerObserver } from './consumer-observer.ts';
import type { FetchLoop } from './fetch-loop.ts';

export interface WatchdogOptions {
  loop: FetchLoop;
  /** How long a (re)started loop may take to join. */
  joinDeadlineMs: number;
  /** How long a joined loop may apply nothing while its partitions are behind. */
  stallMs: number;
  isStopping: () => boolean;
  /** Batches held back on purpose (the reject guard): not a stall. */
  isHolding: () => boolean;
  behindOwned: () => Promise<LaggingPartition[]>;
  observer: ConsumerObserver;
  log: Logger;
}

export function startWatchdog(o: WatchdogOptions, everyMs = 5_000): { stop(): void } {
  const { loop } = o;
  const timer = setInterval(() => {
    if (o.isStopping() || loop.restarting) return;
    if (loop.joinedAt === 0) {
      const waiting = Date.now() - loop.startedAt;
      if (waiting < o.joinDeadlineMs) return;
      o.observer.failed('kafka');
      o.log.error({ waitingMs: waiting }, 'consumer never joined its group; restarting its fetch loop');
      void loop.restart();
      return;
    }
    if (Date.now() - Math.max(loop.lastActivity, loop.joinedAt) < o.stallMs) return;
    if (o.isHolding()) return;
    loop.restarting = true;
    o.behindOwned()
      .then((lagging) => {
        loop.restarting = false;
        if (lagging.length === 0 || o.isStopping()) return;
        o.observer.failed('kafka');
        o.log.error(
          { quietMs: Date.now() - loop.lastActivity, lagging },
          'consumer stalled with messages waiting; restarting its fetch loop',
        );
        return loop.restart();
      })
      .catch((err: Error) => {
        loop.restarting = false;
        o.log.warn({ err: err.message }, 'stall check failed');
      });
  }, everyMs);
  return { stop: () => clearInterval(timer) };
}
