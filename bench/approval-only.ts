/**
 * `node --import tsx bench/approval-only.ts [samples]`: only the approval → first edge
 * latency and its fsyncs (the slice of `npm run bench` a change on that path needs).
 */
import { observedPendingSamples, summarize, type LatencyResult } from './latency.js';
import { percentile, round } from './stats.js';

const samples = Number(process.argv[2] ?? 12);
const out: LatencyResult = {
  approvalToEdge: [],
  approvalToActuatingAnswer: [],
  approvalFsyncs: [],
  detectObserved: [],
  requestToPending: [],
  e2eOverhead: [],
  failures: [],
};
await observedPendingSamples(samples, out, (line) => console.log(line));
const a2e = summarize(out.approvalToEdge);
console.log(
  JSON.stringify({
    approval_to_actuation_p50: a2e.p50,
    approval_to_actuation_p99: a2e.p99,
    approval_to_actuating_answer_p50: round(percentile(out.approvalToActuatingAnswer, 50)),
    approval_fsyncs: percentile(out.approvalFsyncs, 50),
    fsyncs: out.approvalFsyncs,
    failures: out.failures,
  }),
);
