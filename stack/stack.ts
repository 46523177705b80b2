/**
 * npm run stack:up | stack:down | stack:status | -s stack:env
 * The local stack of real services the tests and the demo run against.
 */
import { Command } from 'commander';
import {
  down,
  REDIS_CLUSTER_NODES,
  StackError,
  stackEnv,
  startRedisCluster,
  status,
  up,
} from './services.ts';

const program = new Command('stack').description(
  'the local Kafka / registry / Redis / Prometheus / Alertmanager stack',
);

program
  .command('up')
  .description('install on first use, then start everything not already running (idempotent)')
  .option('--redis-cluster', 'also a Redis Cluster of 3 masters and 3 replicas (append-only on)')
  .action(async (opts: { redisCluster?: boolean }) => {
    const services = await up();
    for (const s of services) console.error(`${s.name.padEnd(13)} ${s.state.padEnd(9)} ${s.endpoint}`);
    if (opts.redisCluster) console.error(`redis-cluster running   ${await startRedisCluster()}`);
  });

program
  .command('down')
  .description('stop what stack:up started (by pid file)')
  .action(async () => {
    await down();
  });

program
  .command('status')
  .description('what is running, and where')
  .action(async () => {
    for (const s of await status()) {
      console.log(
        `${s.name.padEnd(13)} ${s.state.padEnd(9)} ${s.endpoint}${s.pid ? `  (pid ${s.pid})` : ''}`,
      );
    }
  });

program
  .command('env')
  .description('the endpoints as KEY=value lines: eval "$(npm run -s stack:env)"')
  .option('--redis-cluster', 'the state on the local Redis Cluster: REDIS_CLUSTER_NODES too')
  .action((opts: { redisCluster?: boolean }) => {
    for (const [k, v] of Object.entries(stackEnv())) console.log(`${k}=${v}`);
    if (opts.redisCluster) console.log(`REDIS_CLUSTER_NODES=${REDIS_CLUSTER_NODES}`);
  });

program.parseAsync().catch((err: unknown) => {
  console.error(err instanceof StackError ? `stack: ${err.message}` : err);
  process.exit(1);
});
