import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * With PROMETHEUS_FILE_SD_DIR set (the local stack), announce this process to
 * Prometheus through a file_sd target file, removed again at exit.
 */
export function registerScrapeTarget(port: number, namespace: string, job = 'monitor') {
  const dir = process.env.PROMETHEUS_FILE_SD_DIR;
  if (!dir) return undefined;
  mkdirSync(dir, { recursive: true });
  removeTargetsOfDeadProcesses(dir);
  const file = join(dir, `${job}-${namespace}-${process.pid}.json`);
  // write then rename: Prometheus watches the folder and must never read half a file
  writeFileSync(`${file}.tmp`, JSON.stringify([{ targets: [`127.0.0.1:${port}`], labels: { namespace } }]));
  renameSync(`${file}.tmp`, file);
  const remove = () => rmSync(file, { force: true });
  process.once('exit', remove);
  return { remove };
}

/**
 * A process killed with SIGKILL could not remove its target file, and
 * Prometheus would report it down for good: the files of processes that no
 * longer run are removed by the next one to start.
 */
function removeTargetsOfDeadProcesses(dir: string) {
  for (const name of readdirSync(dir)) {
    const pid = Number(/-(\d+)\.json$/.exec(name)?.[1]);
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || running(pid)) continue;
    rmSync(join(dir, name), { force: true });
  }
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it runs, as another user
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
