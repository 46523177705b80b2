import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * With PROMETHEUS_FILE_SD_DIR set (the local stack), announce this process to
 * Prometheus through a file_sd target file, removed again at exit.
 */
export function registerScrapeTarget(port: number, namespace: string, job = 'monitor') {
  const dir = process.env.PROMETHEUS_FILE_SD_DIR;
  if (!dir) return undefined;
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${job}-${namespace}-${process.pid}.json`);
  // write then rename: Prometheus watches the folder and must never read half a file
  writeFileSync(`${file}.tmp`, JSON.stringify([{ targets: [`127.0.0.1:${port}`], labels: { namespace } }]));
  renameSync(`${file}.tmp`, file);
  const remove = () => rmSync(file, { force: true });
  process.once('exit', remove);
  return { remove };
}
