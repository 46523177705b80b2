/** The monitor's own state: was the day written as safely as configured? */
import { count as n } from '../format.ts';
import { defineCheck } from './declaration.ts';

export const STATE_CHECKS = [
  defineCheck({
    id: 'state_redundancy_lost',
    severity: 'WARNING',
    kind: 'maximum',
    metric: 'batches_without_replica',
    threshold: 'maxBatchesWithoutReplica',
    message: (v) =>
      `${n(v)} batches of this day were written while their Redis shard had fewer replicas than REDIS_MIN_REPLICAS: losing that node too would lose them`,
    playbook: {
      title: () => 'Day written with fewer Redis replicas than configured',
      investigate: [
        'Check the RedisRedundancyLost alert and em_redis_shard_replicas: which shard lost its replica, and since when',
        'Check whether the lost node is being restarted or replaced',
      ],
      resolution:
        'Restore the shard’s replica (restart the node, or add one with redis-cli --cluster add-node --cluster-slave); the day’s figures are complete, only their redundancy was reduced',
    },
  }),
] as const;
