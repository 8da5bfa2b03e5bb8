import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pass, type CheckResult } from '../doctor/check.js';
import { BEHAVIOUR_NAMES, type BehaviourName } from '../sim/behaviour.js';
import { parseReport, type ProbeReport } from './report.js';

/** Probe reports shipped with dmconfirm (the simulator's defaults first, then real routers users shared). */
export const SHIPPED_REPORTS_DIR = fileURLToPath(new URL('../../config/behaviours/', import.meta.url));

export interface ShippedReport {
  file: string;
  report: ProbeReport;
}

export function loadShippedReports(dir = SHIPPED_REPORTS_DIR): ShippedReport[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({
      file: f,
      report: parseReport(JSON.parse(readFileSync(join(dir, f), 'utf8')) as unknown, f),
    }));
}

/** `7.22.1 (stable)` → `7.22.1`. */
export function plainVersion(version: string): string {
  return version.trim().split(/\s+/)[0] ?? '';
}

export interface BehaviourKnowledge {
  version: string;
  /** Observed on a real router of this version, and no report says otherwise. */
  known: Array<{ name: BehaviourName; value: unknown; from: string[] }>;
  /** Only the simulator's belief (or reports disagree): the agent copes with every value. */
  unproven: Array<{ name: BehaviourName; why: string }>;
}

/** What the shipped reports prove about a RouterOS version, behaviour by behaviour. */
export function knowledgeFor(version: string, reports: readonly ShippedReport[]): BehaviourKnowledge {
  const wanted = plainVersion(version);
  const real = reports.filter(
    (r) => r.report.source === 'router' && plainVersion(r.report.router.routerosVersion) === wanted,
  );
  const out: BehaviourKnowledge = { version: wanted, known: [], unproven: [] };
  for (const name of BEHAVIOUR_NAMES) {
    const seen = real.flatMap((r) => {
      const f = r.report.behaviours[name];
      return f.status === 'observed' ? [{ value: f.value, file: r.file }] : [];
    });
    const values = new Set(seen.map((s) => JSON.stringify(s.value)));
    if (seen.length === 0) {
      out.unproven.push({
        name,
        why: real.length === 0 ? `no report from a RouterOS ${wanted} router` : 'not observed by the reports',
      });
    } else if (values.size > 1) {
      out.unproven.push({
        name,
        why: `reports disagree (${seen.map((s) => `${s.file}: ${JSON.stringify(s.value)}`).join(', ')})`,
      });
    } else {
      out.known.push({ name, value: seen[0]!.value, from: seen.map((s) => s.file) });
    }
  }
  return out;
}

/**
 * `doctor`'s line for one router: which behaviours are known for its version, which are
 * unproven. Informational (never a warning): unproven is today's normal, and the agent copes
 * with every value of an unproven behaviour.
 */
export function judgeBehaviours(router: string, version: string, reports: readonly ShippedReport[]): CheckResult {
  const k = knowledgeFor(version, reports);
  const known = k.known.map((b) => `${b.name}=${typeof b.value === 'string' ? b.value : JSON.stringify(b.value)}`);
  const unproven = k.unproven.map((u) => u.name);
  return pass(
    `${router} RouterOS ${k.version} behaviour`,
    `known: ${known.length > 0 ? known.join(', ') : 'none'}; ` +
      `unproven: ` +
      (unproven.length > 0
        ? `${unproven.join(', ')} (dmconfirm probe on a lab router of this version proves them)`
        : 'none'),
  );
}
