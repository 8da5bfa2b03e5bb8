import { z } from 'zod';
import { DEVICE_MODE_FEATURES } from '../routeros/device-mode.js';
import { isTimeZone, WEEKDAYS } from '../time/site-windows.js';

const wallTime = z.string().regex(/^([01][0-9]|2[0-3]):[0-5][0-9]$/, 'must be HH:MM (00:00-23:59), local time');

/** Recurring site maintenance windows: outside them only `urgent` orders with more approvers act. */
export const siteWindowsSchema = z
  .strictObject({
    timeZone: z
      .string()
      .refine(isTimeZone, 'must be an IANA time zone, e.g. Europe/Riga')
      .describe('The site time zone'),
    windows: z
      .array(
        z
          .strictObject({
            days: z.array(z.enum(WEEKDAYS)).min(1).describe('Days the window opens on (mon..sun)'),
            from: wallTime.describe('Opens at this local time'),
            to: wallTime.describe('Closes at this local time; at or before `from`: on the next day'),
          })
          .refine((w) => w.from !== w.to, { message: 'from and to must differ' }),
      )
      .min(1)
      .describe('Recurring windows in the site time zone, e.g. Tue and Thu 02:00-04:00'),
    urgentApprovals: z
      .number()
      .int()
      .min(1)
      .max(20)
      .describe('People an order marked urgent needs outside the windows (at least its usual threshold too)'),
  })
  .describe('Site maintenance windows (docs/maintenance-windows.md); absent: no site restriction');
export type SiteWindowsPolicy = z.infer<typeof siteWindowsSchema>;

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
    siteWindows: siteWindowsSchema.optional(),
  })
  .default({
    allowedFeatures: [],
    allowedModes: [],
    allowFlaggedClear: false,
    maxOperationsPerHour: 3,
    minActionMarginMs: 15_000,
  });

export type Policy = z.infer<typeof policySchema>;
