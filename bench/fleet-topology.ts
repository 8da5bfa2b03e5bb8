/**
 * The brokers of the fleet bench: by default the bridged topology sites use (a site
 * mosquitto per shard, each bridged with config/mosquitto-site-bridge.conf to one central
 * mosquitto where the orders are published and the status is read); `single` puts every
 * agent and the operators on one broker, as before.
 */
import { BridgedBrokers } from '../test/helpers/bridged-brokers.js';
import { Mosquitto } from '../test/helpers/mosquitto.js';
import type { FleetTopology } from './fleet-spec.js';

export interface RunningTopology extends FleetTopology {
  dispose(): Promise<void>;
}

export async function startTopology(kind: 'bridged' | 'single', shards: number): Promise<RunningTopology> {
  if (kind === 'single') {
    const broker = new Mosquitto({
      persistence: false,
      extraConfig: ['allow_anonymous true', 'max_queued_messages 100000'],
    });
    await broker.start();
    return {
      name: 'one mosquitto',
      operatorUrl: broker.url,
      shard: () => ({ brokerUrl: broker.url, site: 'fleet' }),
      dispose: () => broker.dispose(),
    };
  }
  const sites = Array.from({ length: shards }, (_, s) => `site${s}`);
  const brokers = new BridgedBrokers(sites);
  await brokers.start();
  return {
    name: `${shards} site mosquittos bridged to a central one`,
    operatorUrl: brokers.central.url,
    shard: (index) => ({ brokerUrl: brokers.sites[index]!.url, site: sites[index]! }),
    dispose: () => brokers.dispose(),
  };
}
