/**
 * The first lines of the demo: what the simulated site is made of (router, actuators, the
 * operators' keys), told before anything happens so the reader knows who is who.
 */
import { describeDeviceMode, shortKey, type Speaker } from './narration.js';
import type { SimulatedSite } from './site.js';

export function introduceSite(site: SimulatedSite, say: (who: Speaker, text: string) => void): void {
  const router = site.router;
  const s = router.state();
  say(
    'router',
    `simulated ${s.model} (${s.boardName}), RouterOS ${s.routerosVersion}, ` +
      `serial ${router.serialNumber}, API on 127.0.0.1:${router.apiPort}`,
  );
  say('router', describeDeviceMode(s));

  const power = site.config.routers[0]?.actuators.power;
  say(
    'actuator',
    `simulated power relay and reset ` +
      `button wired to the router ` +
      `(control endpoint http://127.0.0.1:${router.controlPort})`,
  );
  if (power?.driver === 'sim')
    say(
      'actuator',
      `a power cycle keeps the power off for ${power.timing.offMs / 1000} ` +
        `s: long enough for a cold boot, which confirms a pending change`,
    );

  const team = site.team;
  const [root1, root2] = team.roots;
  say(
    'trust',
    `trust root signed by both root keys, 2 of 2 needed to change it: ${root1?.name} ` +
      `(key ${shortKey(root1?.keyId)}), ${root2?.name} (key ${shortKey(root2?.keyId)})`,
  );
  say(
    'trust',
    `approvers ${team.approvers.map((k) => k.name).join(', ')}: any 2 of 3 must co-sign; ` +
      `requester ${team.requester.name} signs requests but never counts as an approver`,
  );
  say(
    'trust',
    `${team.mallory.name} holds a key too (key ${shortKey(team.mallory.keyId)}), but it is not in the trust root`,
  );
}
