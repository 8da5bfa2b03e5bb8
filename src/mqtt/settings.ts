import type { AgentConfig, MqttConfig } from '../config/schema.js';
import type { MqttLinkSettings } from './connection.js';

/**
 * The agent's link settings from its configuration. The client id is stable by default
 * (dmconfirm-<site>-<agent>): a persistent session belongs to a client id, so a new id
 * on every start would abandon the orders queued while the agent was away.
 */
export function agentLinkSettings(mqtt: MqttConfig, agent: Pick<AgentConfig, 'id' | 'site'>): MqttLinkSettings {
  return {
    url: mqtt.url,
    protocolVersion: mqtt.protocolVersion,
    clientId: mqtt.clientId ?? `dmconfirm-${agent.site}-${agent.id}`,
    username: mqtt.username,
    password: mqtt.password,
    ca: mqtt.ca,
    cert: mqtt.cert,
    clientKey: mqtt.clientKey,
    sessionExpirySeconds: mqtt.sessionExpirySeconds,
    keepaliveSeconds: mqtt.keepaliveSeconds,
    reconnectMinMs: mqtt.reconnectMinMs,
    reconnectMaxMs: mqtt.reconnectMaxMs,
    persistent: true,
  };
}

/** Settings for a short-lived operator tool: a random client id and a clean session. */
export function operatorLinkSettings(mqtt: MqttConfig, name = 'cli'): MqttLinkSettings {
  return {
    ...agentLinkSettings(mqtt, { id: name, site: 'operator' }),
    clientId: mqtt.clientId ?? `dmconfirm-${name}-${Math.random().toString(36).slice(2, 10)}`,
    persistent: false,
  };
}
