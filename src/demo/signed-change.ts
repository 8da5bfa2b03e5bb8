/**
 * Scenario 1: a request signed by the requester and co-signed by two approvers enables
 * container; the agent confirms it by a power cycle and verifies the router came back with it.
 */
import { EXIT, isOver, outcome, summary } from '../operator/progress.js';
import { describeChange } from '../trust/change.js';
import { buildChange } from '../trust/drafts.js';
import type { DemoStage } from './stage.js';

/** True once the agent gave its final answer (whatever it was). */
export async function signedChange(stage: DemoStage, timeoutMs: number): Promise<boolean> {
  stage.section('1. A signed request: enable container, confirmed by a power cycle');
  const site = stage.site;
  const change = { enable: ['container'] };
  const jws = await site.team.changeRequest({
    agent: site.agentId,
    router: { serial: site.serial },
    change,
    method: 'power',
    activationTimeoutSeconds: 120,
  });
  const approvers = site.team.approvers.slice(0, 2).map((k) => k.name);
  stage.say(
    'operator',
    `${site.team.requester.name} asks agent ${site.agentId} for ` +
      `${describeChange(buildChange(change))} on the router with serial ${site.serial}, by power cycle`,
  );
  stage.say(
    'operator',
    `co-signed by ${approvers.join(' and ')} (2 of 3 approvers); published to ${stage.topics.request}`,
  );
  const following = await stage.follow(jws, timeoutMs);
  const code = outcome(following);
  const states = following.steps.map((s) => s.state).join(' > ');
  stage.check(
    'signed request',
    code === EXIT.done,
    `${summary(following, code, timeoutMs)} (${states || 'no answer'})`,
  );

  const after = site.router.state();
  const routerOk =
    after.deviceMode.mode === 'home' &&
    after.deviceMode.features.container &&
    after.attemptCount === 0 &&
    after.faults.length === 0 &&
    after.booted;
  stage.check(
    'router after the change',
    routerOk,
    `device-mode ${after.deviceMode.mode}, container=${after.deviceMode.features.container ? 'yes' : 'no'}, ` +
      `attempt-count ${after.attemptCount}, ${after.faults.length} faults, ${after.booted ? 'running' : after.phase}`,
  );
  if (code !== EXIT.done) return isOver(following);
  // The retained state catches up with the watcher's next read after the reboot.
  const requestId = following.requestId;
  const reported = await stage.observer
    .waitForState(
      (r) =>
        r.lastResult?.requestId === requestId &&
        r.lastResult.state === 'done' &&
        r.deviceMode?.features.container === true,
      'the agent to publish the new device-mode',
      5_000,
    )
    .catch(() => stage.observer.lastState());
  const published =
    reported?.lastResult?.requestId === requestId &&
    reported.lastResult.state === 'done' &&
    reported.deviceMode?.features.container === true;
  stage.check(
    "agent's published router state",
    published,
    reported
      ? `last result ${reported.lastResult?.state ?? 'none'}, ` +
          `container=${reported.deviceMode?.features.container ? 'yes' : 'no'}, ` +
          `attempt-count ${reported.attemptCount}`
      : 'not published',
  );
  return true;
}
