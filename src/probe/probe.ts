import { readOnlyChecks } from './read-only.js';
import { REPORT_VERSION, reportSchema, type Findings, type ProbeReport } from './report.js';
import { summarise } from './summary.js';
import { observeUpdate } from './update-run.js';
import { ProbeError, WireSession, type ProbeTarget } from './wire-session.js';

export interface ProbeOptions {
  /** Lab routers only: one update left pending and cancelled (raises attempt-count by one). */
  withUpdate: boolean;
  /** 'simulator' for the shipped defaults report. */
  source?: ProbeReport['source'];
  /** Progress lines for the person running it. */
  say?: (line: string) => void;
  /** TEST ONLY: the simulator's time scale, so the update run's waits shrink with its clock. */
  timeScale?: number;
}

/** attempt-count at or above this refuses the update run: a third attempt locks updates until a power cycle. */
export const REFUSE_AT_ATTEMPTS = 2;

const NOT_RUN = 'the update run was not asked for (--with-update)';

/** Probes one router and returns its report (validated against the schema it documents). */
export async function probeRouter(target: ProbeTarget, options: ProbeOptions): Promise<ProbeReport> {
  const say = options.say ?? (() => undefined);
  const started = Date.now();
  const evidence: ProbeReport['evidence'] = [];
  const a = await WireSession.open(target, 'a', evidence, started);
  const sessions = [a];
  try {
    say('read-only checks: prints, fields, tags, !empty, getall, queries, a long word');
    const ro = await readOnlyChecks(a);
    const behaviours: Findings = {
      progressWhilePending: { status: 'unobserved', because: NOT_RUN },
      stallOthersWhilePending: { status: 'unobserved', because: NOT_RUN },
      abandonedUpdate: { status: 'unobserved', because: NOT_RUN },
      attemptCountRises: { status: 'unobserved', because: NOT_RUN },
      emptyReplies: {
        status: 'observed',
        value: ro.emptyReplies,
        because: ro.emptyReplies
          ? 'a print matching nothing answered !empty'
          : 'a print matching nothing answered only !done',
      },
      rebootReply: { status: 'unobserved', because: 'the probe never reboots a router' },
    };
    let update: ProbeReport['update'] = null;
    if (options.withUpdate) {
      if (!Number.isInteger(ro.attemptCount))
        throw new ProbeError('attempt-count is not readable; the update run is refused');
      if (ro.attemptCount >= REFUSE_AT_ATTEMPTS) {
        throw new ProbeError(
          `attempt-count is ${ro.attemptCount}: one more attempt may lock device-mode updates until a ` +
            'power cycle or button press; the update run is refused (read-only: run without --with-update)',
        );
      }
      say(
        `update run: one update (${ro.noChange.slice(1)}, as it is; activation-timeout=10s), ` +
          '/cancel halfway; never confirmed',
      );
      const b = await WireSession.open(target, 'b', evidence, started);
      sessions.push(b);
      const seen = await observeUpdate(a, b, ro.noChange, ro.attemptCount, options.timeScale ?? 1);
      Object.assign(behaviours, seen.findings);
      update = {
        attemptCountBefore: ro.attemptCount,
        attemptCountAfter: seen.attemptCountAfter,
        raisedAttemptCountBy: seen.attemptCountAfter - ro.attemptCount,
        traps: seen.traps,
      };
    }
    const draft = {
      schema: 'dmconfirm-probe-report' as const,
      version: REPORT_VERSION as typeof REPORT_VERSION,
      source: options.source ?? 'router',
      probedAt: new Date(started).toISOString(),
      withUpdate: options.withUpdate,
      router: ro.router,
      behaviours,
      protocol: ro.protocol,
      update,
      evidence,
    };
    return reportSchema.parse({ ...draft, summary: summarise(draft) });
  } finally {
    for (const s of sessions) s.close();
  }
}
