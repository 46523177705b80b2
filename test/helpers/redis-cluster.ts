/**
 * The local Redis Cluster as the failover tests see it: who masters which
 * slot, which node replicates which, and the faults (SIGKILL a master, pause a
 * replica) with waits bounded by what the cluster reports.
 */
import { spawnSync } from 'node:child_process';
import calculateSlot from 'cluster-key-slot';
import { StateKeys } from '../../src/state/keys.ts';
import {
  ensureRunning,
  livePidOf,
  REDIS_CLUSTER_PORTS,
  redisClusterNodeName,
  redisClusterNodeService,
} from '../../stack/services.ts';
import { eventually } from './monitor-process.ts';

interface ClusterNode {
  id: string;
  port: number;
  master: boolean;
  failed: boolean;
  /** The master's id, for a replica. */
  masterId: string | null;
  slots: [number, number][];
}

const cli = (port: number, ...args: string[]) =>
  spawnSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8', timeout: 5000 });

const alive = (port: number) => cli(port, 'ping').stdout.trim() === 'PONG';

/** The cluster's view from a live node. */
export function clusterNodes(): ClusterNode[] {
  const port = REDIS_CLUSTER_PORTS.find(alive);
  if (port === undefined) throw new Error('no cluster node answers');
  return cli(port, 'cluster', 'nodes')
    .stdout.trim()
    .split('\n')
    .map((line) => {
      const [id, address, flags, masterId, , , , , ...slots] = line.split(' ');
      return {
        id: id!,
        port: Number(/:(\d+)@/.exec(address!)?.[1]),
        master: flags!.includes('master'),
        failed: /\bfail\b/.test(flags!),
        masterId: masterId === '-' ? null : masterId!,
        slots: slots
          .filter((s) => /^\d/.test(s))
          .map((s) => {
            const [lo, hi] = s.split('-').map(Number);
            return [lo!, hi ?? lo!] as [number, number];
          }),
      };
    });
}

/** The port of the master serving a namespace's day (its hash slot). */
export function masterOfDay(namespace: string, day: string): number {
  const slot = calculateSlot(new StateKeys(namespace).dayKey(day, 'applied'));
  const owner = clusterNodes().find(
    (n) => n.master && !n.failed && n.slots.some(([lo, hi]) => slot >= lo && slot <= hi),
  );
  if (!owner) throw new Error(`no master serves slot ${slot}`);
  return owner.port;
}

/** The port of the replica of a master. */
export function replicaOf(masterPort: number): number {
  const nodes = clusterNodes();
  const master = nodes.find((n) => n.port === masterPort)!;
  const replica = nodes.find((n) => n.masterId === master.id && !n.failed);
  if (!replica) throw new Error(`master ${masterPort} has no live replica`);
  return replica.port;
}

export function signalNode(port: number, signal: NodeJS.Signals) {
  const pid = livePidOf(redisClusterNodeName(port));
  if (!pid) throw new Error(`cluster node ${port} is not running`);
  process.kill(pid, signal);
}

/**
 * Cut a master's replication links. With its replica paused first, the replica
 * cannot reconnect: whatever the master writes next it alone holds (a paused
 * replica alone is not enough: the kernel's socket buffers would still hand it
 * the stream once it resumes).
 */
export function cutReplication(masterPort: number) {
  const killed = Number(cli(masterPort, 'client', 'kill', 'type', 'replica').stdout.trim());
  if (!(killed >= 1)) throw new Error(`master ${masterPort} had no replication link to cut`);
}

const healthy = (port: number) => /cluster_state:ok/.test(cli(port, 'cluster', 'info').stdout);

/** After a master died: its replica serves its slots and every live node says the cluster is ok. */
export async function failedOver(deadPort: number) {
  await eventually(
    async () => {
      const nodes = clusterNodes();
      const dead = nodes.find((n) => n.port === deadPort);
      return (
        dead !== undefined &&
        dead.slots.length === 0 &&
        REDIS_CLUSTER_PORTS.filter((p) => p !== deadPort && alive(p)).every(healthy)
      );
    },
    (ok) => ok,
    60_000,
  );
}

/** Restart a killed node from its nodes.conf and AOF: it rejoins as a replica and catches up. */
export async function rejoin(port: number) {
  await ensureRunning(redisClusterNodeService(port), () => {});
  await eventually(
    async () => {
      const info = cli(port, 'info', 'replication').stdout;
      return /role:slave/.test(info) && /master_link_status:up/.test(info) && healthy(port);
    },
    (ok) => ok,
    60_000,
  );
}

/** Every master has a live replica (the tests leave the cluster as they found it). */
export async function fullyReplicated() {
  await eventually(
    async () => {
      const nodes = clusterNodes();
      const masters = nodes.filter((n) => n.master && !n.failed && n.slots.length > 0);
      return (
        masters.length === 3 &&
        masters.every((m) => nodes.some((n) => n.masterId === m.id && !n.failed)) &&
        REDIS_CLUSTER_PORTS.every(healthy)
      );
    },
    (ok) => ok,
    60_000,
  );
}
