import { z } from 'zod';
import { behaviourSchema, BEHAVIOUR_NAMES, type BehaviourName, type RouterBehaviour } from '../sim/behaviour.js';

/** Bumped whenever a field changes meaning; readers refuse versions they do not know. */
export const REPORT_VERSION = 1;

/** One behaviour as the probe saw it: a value in the simulator's vocabulary, or why there is none. */
function finding<T extends z.ZodType>(value: T) {
  return z.discriminatedUnion('status', [
    z.object({ status: z.literal('observed'), value, because: z.string() }).strict(),
    z.object({ status: z.literal('unobserved'), because: z.string() }).strict(),
  ]);
}

const shape = behaviourSchema.shape;
export const findingsSchema = z
  .object({
    progressWhilePending: finding(shape.progressWhilePending),
    stallOthersWhilePending: finding(shape.stallOthersWhilePending),
    abandonedUpdate: finding(shape.abandonedUpdate),
    attemptCountRises: finding(shape.attemptCountRises),
    emptyReplies: finding(shape.emptyReplies),
    rebootReply: finding(shape.rebootReply),
  })
  .strict();

/** A sentence as it crossed the wire, with its time since the probe began (raw evidence). */
export const evidenceSchema = z
  .object({
    atMs: z.number(),
    session: z.string().describe("a = the probe's first session, b = a second one"),
    dir: z.enum(['sent', 'received']),
    words: z.array(z.string()),
  })
  .strict();

export const reportSchema = z
  .object({
    schema: z.literal('dmconfirm-probe-report'),
    version: z.literal(REPORT_VERSION),
    /** 'router': measured on a real device; 'simulator': the simulator's own defaults (shipped). */
    source: z.enum(['router', 'simulator']),
    probedAt: z.string(),
    withUpdate: z.boolean(),
    router: z
      .object({
        routerosVersion: z.string().describe('as `/system/resource` says, without the channel: 7.22.1'),
        channel: z.string().nullable().describe('stable, long-term, testing, ... when given'),
        model: z.string().describe('routerboard model, or CHR'),
        boardName: z.string(),
        architecture: z.string(),
        /** The simulator profile with this model, when there is one (`sim router --behaviour` uses it). */
        simulatorProfile: z.string().nullable(),
        deviceMode: z.string(),
      })
      .strict(),
    behaviours: findingsSchema,
    /** Protocol facts the probe checks that are not simulator options (the simulator always does the first). */
    protocol: z
      .object({
        tagPlacement: z.enum(['after-reply-word', 'last', 'elsewhere', 'none']),
        getall: z.boolean(),
        countOnly: z.boolean(),
        queries: z.object({ equals: z.boolean(), not: z.boolean(), or: z.boolean(), proplist: z.boolean() }).strict(),
        longWord: z.enum(['answered', 'trap', 'closed']),
        fieldTypes: z
          .record(z.string(), z.record(z.string(), z.enum(['integer', 'boolean', 'duration', 'text'])))
          .describe('per menu, each field dmconfirm reads and the type its value had'),
      })
      .strict(),
    update: z
      .object({
        attemptCountBefore: z.number().int(),
        attemptCountAfter: z.number().int(),
        raisedAttemptCountBy: z.number().int(),
        traps: z.record(z.string(), z.string()).describe('the exact trap texts seen, by situation'),
      })
      .strict()
      .nullable(),
    summary: z.array(z.string()).describe('differences from the simulator defaults and what they mean for the agent'),
    evidence: z.array(evidenceSchema),
  })
  .strict();

export type ProbeReport = z.infer<typeof reportSchema>;
export type Findings = z.infer<typeof findingsSchema>;

export class ReportError extends Error {
  override readonly name = 'ReportError';
}

/** Parses a report file's JSON, with every problem named by its path. */
export function parseReport(json: unknown, origin = 'report'): ProbeReport {
  const version = (json as { version?: unknown } | null)?.version;
  if (typeof version === 'number' && version !== REPORT_VERSION) {
    throw new ReportError(
      `${origin}: report version ${version} is not supported (this dmconfirm reads ${REPORT_VERSION})`,
    );
  }
  const parsed = reportSchema.safeParse(json);
  if (!parsed.success) {
    throw new ReportError(
      `${origin}:\n${parsed.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n')}`,
    );
  }
  return parsed.data;
}

/** The observed behaviours as simulator options (unobserved ones left out: the simulator's default applies). */
export function observedBehaviour(findings: Findings): Partial<RouterBehaviour> {
  const out: Partial<Record<BehaviourName, unknown>> = {};
  for (const name of BEHAVIOUR_NAMES) {
    const f = findings[name];
    if (f.status === 'observed') out[name] = f.value;
  }
  return out as Partial<RouterBehaviour>;
}

/** What two probes of the same behaviour must agree on (times, dates and raw evidence differ). */
export function comparable(report: ProbeReport): unknown {
  const { probedAt: _p, evidence: _e, ...rest } = report;
  return rest;
}
