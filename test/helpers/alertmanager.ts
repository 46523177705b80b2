/** What the real Alertmanager of the test stack holds active for a namespace. */
import { env } from './stack.ts';

export interface ActiveAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  status: { state: string };
}

export async function activeAlerts(namespace: string): Promise<ActiveAlert[]> {
  const res = await fetch(
    `${env.ALERTMANAGER_URL}/api/v2/alerts?active=true&filter=${encodeURIComponent(`namespace="${namespace}"`)}`,
  );
  return ((await res.json()) as ActiveAlert[]).filter((a) => a.status.state === 'active');
}
