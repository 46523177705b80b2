/**
 * The kafkajs fetch loop's life: when it last joined its group, when it was
 * last (re)started, when it last applied a batch, and restarting it with
 * backoff when kafkajs will not (the Redis watermarks make the redelivery
 * that follows harmless).
 */
import { setTimeout as setTimeoutPromise } from 'node:timers/promises';
import type { Consumer, ConsumerRunConfig } from 'kafkajs';
import type { Logger } from '../log.ts';

export const backoff = (attempt: number) =>
  Math.min(30_000, 250 * 2 ** Math.min(attempt, 7)) * (0.75 + Math.random() / 2);
export const sleep = (ms: number, signal?: AbortSignal) =>
  setTimeoutPromise(ms, undefined, signal ? { signal } : {}).catch(() => undefined);

export class FetchLoop {
  /** When the group last handed us an assignment; 0 while the loop is (re)joining. */
  joinedAt = 0;
  /** When the loop was last (re)started, by kafkajs or by us. */
  startedAt = Date.now();
  /** When a batch was last applied. */
  lastActivity = Date.now();
  restarting = false;
  private restartPending = false;
  private restarts = 0;

  constructor(
    private readonly consumer: Consumer,
    private readonly runConfig: ConsumerRunConfig,
    private readonly isStopping: () => boolean,
    private readonly log: Logger,
  ) {}

  run() {
    return this.consumer.run(this.runConfig);
  }

  joined() {
    this.joinedAt = Date.now();
    this.restarts = 0;
  }

  /** Kafka crashed the loop: it is rejoining (kafkajs restarts it itself when it deems the error retriable). */
  crashed() {
    this.joinedAt = 0;
    this.startedAt = Date.now();
  }

  batchApplied() {
    this.lastActivity = Date.now();
  }

  /** A restart with backoff, or after the one under way if there is one (a crash inside our own restart). */
  restartLater() {
    if (this.restarting) this.restartPending = true;
    else void this.restart(backoff(this.restarts));
  }

  /** Stop the loop (a no-op after a crash) and run it again. */
  async restart(delayMs = 0): Promise<void> {
    if (this.restarting || this.isStopping()) return;
    this.restarting = true;
    try {
      if (delayMs > 0) await sleep(delayMs);
      if (this.isStopping()) return;
      await this.consumer.stop();
      if (this.isStopping()) return;
      this.restarts++;
      this.joinedAt = 0;
      this.startedAt = Date.now();
      this.lastActivity = Date.now();
      await this.consumer.run(this.runConfig);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'fetch loop restart failed; the watchdog tries again');
    } finally {
      this.restarting = false;
      if (this.restartPending && !this.isStopping()) {
        this.restartPending = false;
        void this.restart(backoff(this.restarts));
      }
    }
  }
}
