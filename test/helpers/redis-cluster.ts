/**
 * A local Redis Cluster as the failover tests see it: who masters which
 * slot, which node replicates which, and the faults (SIGKILL a master, pause
 * and cut off a replica) with waits bounded by what the cluster reports.
 */
import { spawnSync } from 'node:child_process';
import calculateSlot from 'cluster-key-slot';
import { StateKeys } from '../../src/state/keys.ts';
import {
  ensureRunning,
  livePidOf,
  type RedisClusterInstance,
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
const healthy = (port: number) => /cluster_state:ok/.test(cli(port, 'cluster', 'info').stdout);

/** CLUSTER NODES, one node a line: id, address, flags, master id, …, slot ranges. */
function parseNodes(text: string): ClusterNode[] {
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const [id, address, flags = '', masterId, , , , , ...slots] = line.split(' ');
      return {
        id: id ?? '',
        port: Number(/:(\d+)@/.exec(address ?? '')?.[1] ?? 0),
        master: flags.includes('master'),
        failed: /\bfail\b/.test(flags),
        masterId: masterId === '-' || masterId === undefined ? null : masterId,
        slots: slots
          .filter((s) => /^\d/.test(s))
          .map((s) => {
            const [lo, hi] = s.split('-').map(Number);
            return [lo!, hi ?? lo!] as [number, number];
          }),
      };
    });
}

export class LocalCluster {
  constructor(readonly instance: RedisClusterInstance) {}

  /** The cluster's view from the first live node that gives a whole one (every node listed). */
  nodes(): ClusterNode[] {
    for (const port of this.instance.ports.filter(alive)) {
      const view = parseNodes(cli(port, 'cluster', 'nodes').stdout);
      if (view.length === this.instance.ports.length && view.every((n) => n.port > 0)) return view;
    }
    throw new Error(`no node of ${this.instance.name} gives a whole view of the cluster`);
  }

  /** The port of the master serving a namespace's day (its hash slot), once the nodes agree on one. */
  async masterOfDay(namespace: string, day: string): Promise<number> {
    const slot = calculateSlot(new StateKeys(namespace).dayKey(day, 'applied'));
    const owner = await eventually(
      async () =>
        this.nodes().find(
          (n) => n.master && !n.failed && n.slots.some(([lo, hi]) => slot >= lo && slot <= hi),
        ),
      (n) => n !== undefined,
      30_000,
    );
    return owner!.port;
  }

  /** The port of the live replica of a master. */
  async replicaOf(masterPort: number): Promise<number> {
    const replica = await eventually(
      async () => {
        const nodes = this.nodes();
        const master = nodes.find((n) => n.port === masterPort);
        return master && nodes.find((n) => n.masterId === master.id && !n.failed);
      },
      (n) => n !== undefined,
      30_000,
    );
    return replica!.port;
  }

  signal(port: number, signal: NodeJS.Signals) {
    const pid = livePidOf(redisClusterNodeName(this.instance, port));
    if (!pid) throw new Error(`cluster node ${port} is not running`);
    process.kill(pid, signal);
  }

  /**
   * Cut a master's replication links. With its replica paused first, the
   * replica cannot reconnect: whatever the master writes next it alone holds
   * (a paused replica alone is not enough: the kernel's socket buffers would
   * still hand it the stream once it resumes).
   */
  cutReplication(masterPort: number) {
    const killed = Number(cli(masterPort, 'client', 'kill', 'type', 'replica').stdout.trim());
    if (!(killed >= 1)) throw new Error(`master ${masterPort} had no replication link to cut`);
  }

  /** After a master died: its replica serves its slots and every live node says the cluster is ok. */
  async failedOver(deadPort: number) {
    await eventually(
      async () => {
        const dead = this.nodes().find((n) => n.port === deadPort);
        return (
          dead !== undefined &&
          dead.slots.length === 0 &&
          this.instance.ports.filter((p) => p !== deadPort && alive(p)).every(healthy)
        );
      },
      (ok) => ok,
      60_000,
    );
  }

  /** Restart a killed node from its nodes.conf and AOF: it rejoins as a replica and catches up. */
  async rejoin(port: number) {
    await ensureRunning(redisClusterNodeService(this.instance, port), () => {});
    await eventually(
      async () => {
        const info = cli(port, 'info', 'replication').stdout;
        return /role:slave/.test(info) && /master_link_status:up/.test(info) && healthy(port);
      },
      (ok) => ok,
      60_000,
    );
  }

  /** Restart every node that is not running (one lost for good by a test): each rejoins as a replica. */
  async repair() {
    for (const port of this.instance.ports) if (!alive(port)) await this.rejoin(port);
  }

  /** Every master has a live replica (each test starts from a whole cluster). */
  async fullyReplicated() {
    await eventually(
      async () => {
        const nodes = this.nodes();
        const masters = nodes.filter((n) => n.master && !n.failed && n.slots.length > 0);
        return (
          masters.length === 3 &&
          masters.every((m) => nodes.some((n) => n.masterId === m.id && !n.failed)) &&
          this.instance.ports.every(healthy)
        );
      },
      (ok) => ok,
      60_000,
    );
  }
}
