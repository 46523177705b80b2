/**
 * The toolchains the stack installs with: a Java of a given major version and
 * Maven (Kafka and Apicurio Registry come from Maven Central).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, run, StackError, which } from './process.ts';

function javaMajor(javaBin: string): number {
  const r = spawnSync(javaBin, ['-version'], { encoding: 'utf8' });
  const m = /version "(\d+)/.exec(`${r.stderr}${r.stdout}`);
  return m ? Number(m[1]) : 0;
}

/** A java binary of at least `major`: JAVA_HOME, then PATH, then any JDK under /usr/lib/jvm. */
export function findJava(major: number): string | undefined {
  const candidates: string[] = [];
  if (process.env.JAVA_HOME) candidates.push(join(process.env.JAVA_HOME, 'bin', 'java'));
  const onPath = which('java');
  if (onPath) candidates.push(onPath);
  if (existsSync('/usr/lib/jvm')) {
    for (const d of readdirSync('/usr/lib/jvm').sort().reverse())
      candidates.push(join('/usr/lib/jvm', d, 'bin', 'java'));
  }
  return candidates.find((c) => existsSync(c) && javaMajor(c) >= major);
}

/** Runs a goal of stack/pom.xml, quietly and in batch mode. */
export function maven(args: string[], what: string) {
  if (!which('mvn')) throw new StackError('Maven (mvn) not found: install it with `apt-get install maven`');
  run('mvn', ['-q', '-B', '-f', join(REPO_ROOT, 'stack', 'pom.xml'), ...args], what);
}
