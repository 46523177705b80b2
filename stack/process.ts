/**
 * Processes the stack starts and the helpers it waits with. Every process
 * gets a pid file under .stack/run; stopping goes by pid file, never by name.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createConnection } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const STACK_DIR = process.env.EVENT_MONITOR_STACK_DIR ?? join(REPO_ROOT, '.stack');

export type Log = (line: string) => void;

/** A piece of the stack could not be had: one line saying what and how to get it. */
export class StackError extends Error {
  override name = 'StackError';
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export const logFileOf = (name: string) => join(STACK_DIR, 'logs', `${name}.log`);

function pidFile(name: string) {
  return join(STACK_DIR, 'run', `${name}.pid`);
}

/** Every name with a pid file: what the stack and the tests started and may still run. */
export function startedNames(): string[] {
  const dir = join(STACK_DIR, 'run');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.pid'))
    .map((f) => f.slice(0, -'.pid'.length));
}

/** The pid in NAME's pid file if that process is alive and still ours. */
export function livePid(name: string): number | undefined {
  const file = pidFile(name);
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    // ours if it runs from the stack folder: its command line names it, or (redis-server
    // rewrites its process title) its working directory is in it
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (cmdline.includes(STACK_DIR) || cmdline.includes(REPO_ROOT)) return pid;
    return readlinkSync(`/proc/${pid}/cwd`).startsWith(STACK_DIR) ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function startDetached(name: string, command: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  mkdirSync(join(STACK_DIR, 'run'), { recursive: true });
  mkdirSync(join(STACK_DIR, 'logs'), { recursive: true });
  const out = openSync(logFileOf(name), 'a');
  const child = spawn(command, args, {
    detached: true,
    stdio: ['ignore', out, out],
    env: { ...process.env, ...env },
    cwd: STACK_DIR,
  });
  closeSync(out);
  child.unref();
  if (!child.pid) throw new StackError(`${name}: could not start ${command}`);
  writeFileSync(pidFile(name), `${child.pid}\n`);
  return child.pid;
}

export async function stopPid(name: string, log: Log) {
  const pid = livePid(name);
  if (pid) {
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 100 && processAlive(pid); i++) await sleep(100);
    if (processAlive(pid)) process.kill(pid, 'SIGKILL');
    log(`${name}: stopped (pid ${pid})`);
  }
  rmSync(pidFile(name), { force: true });
}

export function processAlive(pid: number) {
  try {
    process.kill(pid, 0);
    // A zombie child still answers kill 0; its /proc state says Z.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/\) Z /.test(stat);
  } catch {
    return false;
  }
}

export function portOpen(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((done) => {
    const socket = createConnection({ host, port });
    const finish = (ok: boolean) => {
      socket.destroy();
      done(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

export const httpOk = (url: string) => async () =>
  (await fetch(url, { signal: AbortSignal.timeout(1000) })).ok;

export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  logFile?: string,
) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await sleep(250);
  }
  const tail = logFile && existsSync(logFile) ? `; last log lines:\n${tailOf(logFile, 15)}` : '';
  throw new StackError(`${what} did not become ready within ${timeoutMs / 1000}s${tail}`);
}

function tailOf(file: string, lines: number) {
  return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
}

export function which(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** Runs a command to completion; a failure is a StackError with its last lines. */
export function run(cmd: string, args: string[], what: string) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) {
    const detail = `${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-5).join(' | ');
    throw new StackError(`${what} failed (${cmd} ${args.join(' ')}): ${detail}`);
  }
}
