import { z } from 'zod';
import { secretRef } from './secret.js';

/** How to reach one RouterOS API endpoint (also used by the PoE switch actuator). */
export const routerConnectionSchema = z.strictObject({
  host: z.string().min(1).describe('Address of the RouterOS API'),
  port: z.number().int().min(1).max(65535).optional().describe('API port; default 8728, or 8729 with TLS'),
  tls: z
    .strictObject({
      enabled: z.boolean().default(false),
      fingerprint: z
        .string()
        .regex(/^(sha256:)?([0-9a-fA-F]{2}:?){32}$/, 'must be a SHA-256 fingerprint (64 hex digits, colons optional)')
        .optional()
        .describe('Pinned SHA-256 fingerprint of the router certificate'),
    })
    .default({ enabled: false })
    .describe('api-ssl settings'),
  username: z.string().min(1).describe('RouterOS user for dmconfirm'),
  password: secretRef.describe('RouterOS password, from a file or systemd credential'),
  timeoutMs: z.number().int().min(500).max(120_000).default(5000).describe('Timeout for each API call'),
});

export type RouterConnectionConfig = z.infer<typeof routerConnectionSchema>;
