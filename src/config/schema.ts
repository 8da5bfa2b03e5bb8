import { z } from 'zod';
import { secretRef } from './secret.js';
import { routerSchema } from './router-schema.js';
import { actuatorCapabilities } from './actuator-schema.js';
import { policySchema } from './policy-schema.js';

const topicLevel = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be letters, digits, _ or - (an MQTT topic level)');

export const agentSchema = z.strictObject({
  id: topicLevel.describe("This agent's id; approvals are bound to it"),
  site: topicLevel.describe('Site name; part of the MQTT topic tree'),
  stateDir: z
    .string()
    .min(1)
    .default('/var/lib/dmconfirm')
    .describe('Journal, audit log, trust root and replay memory'),
  key: secretRef.optional().describe("The agent's own Ed25519 private key (signs audit checkpoints)"),
  trustRoot: z.string().min(1).describe('Initial trust.json; newer accepted roots are kept in stateDir'),
  clock: z
    .enum(['systemd', 'assume-synced', 'assume-unsynced'])
    .default('systemd')
    .describe('How to know the wall clock is synchronized; assume-* are for tests and the demo'),
});

export const mqttSchema = z.strictObject({
  url: z
    .string()
    .regex(/^(mqtts?|wss?|tcp|ssl):\/\//, 'must be an mqtt://, mqtts://, ws:// or wss:// URL')
    .describe('Broker URL'),
  baseTopic: z
    .string()
    .min(1)
    .default('dmconfirm/v1')
    .describe('Topic tree root; the agent uses <base>/<site>/<agent>'),
  protocolVersion: z
    .union([z.literal(4), z.literal(5)])
    .default(5)
    .describe('MQTT protocol version (5 unless the broker cannot)'),
  clientId: z.string().optional().describe('Defaults to dmconfirm-<site>-<agent>'),
  username: z.string().optional(),
  password: secretRef.optional(),
  ca: z.string().optional().describe('CA certificate file for mqtts'),
  cert: z.string().optional().describe('Client certificate file'),
  clientKey: secretRef.optional().describe('Client private key'),
  sessionExpirySeconds: z
    .number()
    .int()
    .min(60)
    .max(604_800)
    .default(86_400)
    .describe('Persistent session lifetime at the broker'),
  keepaliveSeconds: z.number().int().min(5).max(600).default(30),
  reconnectMinMs: z.number().int().min(100).max(60_000).default(1000),
  reconnectMaxMs: z.number().int().min(1000).max(600_000).default(30_000),
});

export const logSchema = z
  .strictObject({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
    pretty: z
      .union([z.boolean(), z.literal('auto')])
      .default('auto')
      .describe('Human-readable logs on a terminal'),
  })
  .default({ level: 'info', pretty: 'auto' });

export const configSchema = z
  .strictObject({
    agent: agentSchema,
    log: logSchema,
    mqtt: mqttSchema,
    policy: policySchema,
    routers: z.array(routerSchema).min(1, 'must list at least one router'),
  })
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.routers.forEach((router, index) => {
      if (seen.has(router.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['routers', index, 'name'],
          message: `duplicate router name "${router.name}"`,
        });
      }
      seen.add(router.name);
      for (const method of router.methods) {
        if (!router.actuators[method]) {
          ctx.addIssue({
            code: 'custom',
            path: ['routers', index, 'actuators', method],
            message: `method "${method}" is allowed but no ${method} actuator is configured`,
          });
        }
      }
      // A PDU cannot press a button; a relay's wiring says whether it presses or cuts power.
      const { button, power } = router.actuators;
      if (button && !actuatorCapabilities(button).press) {
        ctx.addIssue({
          code: 'custom',
          path: ['routers', index, 'actuators', 'button'],
          message:
            `driver ${button.driver} cannot press a button (a ` +
            `relay across the button needs wiring: normally-open)`,
        });
      }
      if (power && !actuatorCapabilities(power).powerCycle) {
        ctx.addIssue({
          code: 'custom',
          path: ['routers', index, 'actuators', 'power'],
          message: `driver ${power.driver} cannot cut power (a relay in the supply needs wiring: normally-closed)`,
        });
      }
    });
  });

export type Config = z.infer<typeof configSchema>;
export type AgentConfig = z.infer<typeof agentSchema>;
export type MqttConfig = z.infer<typeof mqttSchema>;
