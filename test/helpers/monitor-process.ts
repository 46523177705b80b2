/**
 * Runs the real CLI as a separate process, as operators do: the exactly-once
 * and chaos tests kill and restart these.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../../stack/services.ts';

export interface MonitorProcess {
  child: ChildProcess;
  /** Exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  output(): string;
  kill(signal?: NodeJS.Signals): void;
}

export interface StartOptions {
  /** Extra node flags (e.g. --cpu-prof). */
  nodeArgs?: string[];
  /** Run the compiled CLI (dist/cli/main.js, as in the image) instead of the sources through tsx. */
  compiled?: boolean;
}

export function startMonitor(
  args: string[],
  env: Record<string, string>,
  options: StartOptions = {},
): MonitorProcess {
  const entry = options.compiled
    ? [join(REPO_ROOT, 'dist/cli/main.js')]
    : ['--import', 'tsx', join(REPO_ROOT, 'src/cli/main.ts')];
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...entry, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => out, kill: (signal = 'SIGKILL') => child.kill(signal) };
}

/** Run a CLI command to completion; resolves with its exit code and output. */
export async function runCli(args: string[], env: Record<string, string>) {
  const p = startMonitor(args, env);
  const code = await p.exited;
  return { code, output: p.output() };
}

/** The /metrics port a running monitor logged at start. */
export async function metricsPortOf(p: MonitorProcess, timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const m = /"metricsPort":(\d+)/.exec(p.output());
    if (m) return Number(m[1]);
    if (p.child.exitCode !== null) throw new Error(`monitor exited early:\n${p.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`monitor never logged its metrics port:\n${p.output()}`);
}

/** Sum of a metric's samples (all label sets, or those matching `labels`) from a /metrics text. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

export async function scrape(port: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}

/** Poll until `check` holds (returns true), or fail with what it last saw. */
export async function eventually<T>(
  probe: () => Promise<T>,
  check: (v: T) => boolean,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await probe().catch(() => undefined as T);
    if (last !== undefined && check(last)) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(last)?.slice(0, 500)}`,
  );
}
