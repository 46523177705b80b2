/**
 * npm run stack:up | stack:down | stack:status | -s stack:env
 * The local stack of real services the tests and the demo run against.
 */
import { Command } from 'commander';
import { down, StackError, stackEnv, status, up } from './services.ts';

const program = new Command('stack').description(
  'the local Kafka / registry / Redis / Prometheus / Alertmanager stack',
);

program
  .command('up')
  .description('install on first use, then start everything not already running (idempotent)')
  .action(async () => {
    const services = await up();
    for (const s of services) console.error(`${s.name.padEnd(13)} ${s.state.padEnd(9)} ${s.endpoint}`);
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
  .action(() => {
    for (const [k, v] of Object.entries(stackEnv())) console.log(`${k}=${v}`);
  });

program.parseAsync().catch((err: unknown) => {
  console.error(err instanceof StackError ? `stack: ${err.message}` : err);
  process.exit(1);
});
