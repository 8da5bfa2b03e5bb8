import { z } from 'zod';
import { DEVICE_MODE_FEATURES } from '../routeros/device-mode.js';

/** Local policy: what this agent will ever do, whatever a signed message asks. */
export const policySchema = z
  .strictObject({
    allowedFeatures: z
      .array(z.enum(DEVICE_MODE_FEATURES))
      .default([])
      .describe('Features a change may turn on; a change enabling anything else is refused'),
    allowedModes: z
      .array(z.enum(['advanced', 'basic', 'home', 'rose']))
      .default([])
      .describe('Modes a change may set; empty means no mode change is allowed'),
    allowFlaggedClear: z.boolean().default(false).describe('Whether a change may set flagged=no'),
    maxOperationsPerHour: z.number().int().min(1).max(60).default(3).describe('Per router, all kinds together'),
    minActionMarginMs: z
      .number()
      .int()
      .min(1000)
      .max(600_000)
      .default(15_000)
      .describe('Never start an action with less activation time left than the action plus this margin'),
  })
  .default({ allowedFeatures: [], allowedModes: [], allowFlaggedClear: false, maxOperationsPerHour: 3, minActionMarginMs: 15_000 });

export type Policy = z.infer<typeof policySchema>;
