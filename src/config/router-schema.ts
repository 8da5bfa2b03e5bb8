import { z } from 'zod';
import { routerConnectionSchema } from './connection-schema.js';
import { actuatorSchema } from './actuator-schema.js';

export const routerName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be lowercase letters, digits and dashes (it becomes an MQTT topic level)');

export const routerSchema = routerConnectionSchema.extend({
  name: routerName.describe('Name of this router binding, unique per agent'),
  identity: z
    .strictObject({
      serial: z.string().min(1).optional().describe('Expected routerboard serial-number'),
      systemId: z.string().min(1).optional().describe('Expected license system-id (CHR)'),
    })
    .default({})
    .describe('Expected identity; recorded at pairing when not given'),
  pollIntervalMs: z.number().int().min(200).max(60_000).default(1000).describe('Device-mode watch interval'),
  bootTimeoutMs: z
    .number()
    .int()
    .min(10_000)
    .max(900_000)
    .default(180_000)
    .describe('How long to wait for the router to come back after actuating'),
  observedActivationTimeoutSeconds: z
    .number()
    .int()
    .min(10)
    .max(86_400)
    .default(300)
    .describe('Activation timeout assumed for changes someone else requested (RouterOS shows none; its default is 5m)'),
  methods: z
    .array(z.enum(['button', 'power']))
    .min(1)
    .default(['power'])
    .describe('Confirmation methods this router allows (policy; not changeable over MQTT)'),
  actuators: z
    .strictObject({
      button: actuatorSchema.optional().describe('Relay across the reset/mode button'),
      power: actuatorSchema.optional().describe('Relay, PDU outlet or PoE port feeding the router'),
    })
    .describe('How dmconfirm acts on this router'),
});

export type { RouterConnectionConfig } from './connection-schema.js';
export type RouterConfig = z.infer<typeof routerSchema>;
