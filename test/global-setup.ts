/**
 * Brings the local stack up through the same code as `npm run stack:up`, and
 * hands its endpoints to every test file through the environment.
 */
import { PROMETHEUS_TARGETS_DIR, stackEnv, startRedisCluster, up } from '../stack/services.ts';

export default async function setup() {
  const log = (line: string) => console.error(`[stack] ${line}`);
  await up(log);
  // the tests of cluster behaviour run on a real local Redis Cluster
  await startRedisCluster(log);
  for (const [k, v] of Object.entries(stackEnv())) process.env[k] = v;
  process.env.PROMETHEUS_FILE_SD_DIR = PROMETHEUS_TARGETS_DIR;
  process.env.LOG_LEVEL ??= 'warn';
}
