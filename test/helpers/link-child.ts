/**
 * A child process holding one MqttLink, for tests that must kill a client abruptly.
 * argv[2]: JSON {settings, presenceTopic, subscriptions, hang}. Prints JSON lines:
 * {"ready":true} once subscribed, then {"topic","payload","duplicate"} per message.
 * With hang, the handler never settles, so the broker never gets our PUBACK.
 */
import { MqttLink, type MqttLinkSettings } from '../../src/mqtt/connection.js';

interface ChildArgs {
  settings: MqttLinkSettings;
  presenceTopic: string;
  subscriptions: string[];
  hang?: boolean;
}

const args = JSON.parse(process.argv[2] ?? '{}') as ChildArgs;
const link = new MqttLink(args.settings, {
  subscriptions: args.subscriptions,
  presence: {
    topic: args.presenceTopic,
    online: () => JSON.stringify({ state: 'online', pid: process.pid }),
    offline: (reason) => JSON.stringify({ state: 'offline', reason }),
  },
});
link.onMessage(async (message) => {
  process.stdout.write(
    JSON.stringify({ topic: message.topic, payload: message.payload.toString(), duplicate: message.duplicate }) + '\n',
  );
  if (args.hang) await new Promise(() => undefined);
});
await link.start();
process.stdout.write(JSON.stringify({ ready: true }) + '\n');
process.on('SIGTERM', () => {
  void link.stop().then(() => process.exit(0));
});
