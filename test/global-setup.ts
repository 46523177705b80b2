/**
 * Brings the local stack up through the same code as `npm run stack:up`, and
 * hands its endpoints to every test file through the environment.
 */
import { PROMETHEUS_TARGETS_DIR, stackEnv, up } from '../stack/services.ts';

export default async function setup() {
  await up((line) => console.error(`[stack] ${line}`));
  for (const [k, v] of Object.entries(stackEnv())) process.env[k] = v;
  process.env.PROMETHEUS_FILE_SD_DIR = PROMETHEUS_TARGETS_DIR;
  process.env.LOG_LEVEL ??= 'warn';
}
