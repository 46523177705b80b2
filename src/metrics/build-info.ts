import { Gauge, type Registry } from 'prom-client';

/** em_build_info{version, node} 1: which release each instance runs (Prometheus's convention). */
export function registerBuildInfo(registry: Registry, version: string) {
  new Gauge({
    name: 'em_build_info',
    help: 'The running release: always 1, its version and Node.js in the labels',
    labelNames: ['version', 'node'],
    registers: [registry],
  }).set({ version, node: process.versions.node }, 1);
}
