import { constants } from 'node:fs';
import { access, readdir, stat } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import type { ActuatorConfig } from '../config/actuator-schema.js';
import { describeActuator } from '../actuators/plan.js';
import { sysfsUnavailableReason } from '../actuators/gpio.js';
import { mapBcmPin, readGpioChips, SYSFS_GPIO_ROOT } from '../actuators/gpio-chips.js';
import { fail, pass, warn, type CheckResult } from './check.js';
import { ifAgentDies } from '../actuators/timed-by.js';
import { networkOutlet } from '../actuators/index.js';

type GpioConfig = Extract<ActuatorConfig, { driver: 'gpio' }>;
type SerialConfig = Extract<ActuatorConfig, { driver: 'lcus' | 'numato' | 'wti' | 'apc' }>;

/** What the host offers for GPIO; gathered by gpioFacts, judged by judgeGpio. */
export interface GpioFacts {
  /** Why sysfs GPIO is unusable (sysfsUnavailableReason); undefined when usable. */
  sysfsReason: string | undefined;
  /** `GPIO17 → sysfs 529 on gpiochip512 "pinctrl-bcm2711"`, or why the pin cannot be mapped. */
  sysfsMapping?: { ok: true; text: string } | { ok: false; error: string } | undefined;
  /** /dev/gpiochip* with whether this user may open them read-write. */
  chips: Array<{ path: string; writable: boolean }>;
  gpiosetOnPath: boolean;
}

const GPIO_GROUP_FIX =
  'sudo usermod -aG gpio dmconfirm (the unit has SupplementaryGroups=gpio); then log in again or restart the service';

export function judgeGpio(name: string, config: GpioConfig, facts: GpioFacts): CheckResult {
  const what = describeActuator(config);
  const sysfsWanted = config.backend === 'sysfs' || (config.backend === 'auto' && facts.sysfsReason === undefined);
  if (sysfsWanted) {
    if (facts.sysfsReason)
      return fail(
        name,
        `${what}: ${facts.sysfsReason}`,
        `${GPIO_GROUP_FIX}; or set backend: gpioset on kernels without sysfs GPIO`,
      );
    if (facts.sysfsMapping && !facts.sysfsMapping.ok)
      return fail(
        name,
        `${what}: ${facts.sysfsMapping.error}`,
        "set chipLabel to the header's gpiochip label (see /sys/class/gpio/gpiochip*/label)",
      );
    return pass(name, `${what}: ${facts.sysfsMapping?.text ?? 'sysfs usable'}`);
  }
  const prefix = facts.sysfsReason && config.backend === 'auto' ? `sysfs unusable (${facts.sysfsReason}); ` : '';
  if (facts.chips.length === 0)
    return fail(
      name,
      `${what}: ${prefix}no /dev/gpiochip*`,
      'not a Raspberry Pi, or the GPIO device is not passed into this container',
    );
  if (!facts.chips.some((c) => c.writable)) {
    return fail(
      name,
      `${what}: ${prefix}${facts.chips.map((c) => c.path).join(', ')} not writable by this user`,
      GPIO_GROUP_FIX,
    );
  }
  if (!facts.gpiosetOnPath) return fail(name, `${what}: ${prefix}gpioset not found on PATH`, 'sudo apt install gpiod');
  return pass(
    name,
    `${what}: ${prefix}gpioset with ${facts.chips
      .filter((c) => c.writable)
      .map((c) => c.path)
      .join(', ')}`,
  );
}

async function writable(path: string): Promise<boolean> {
  return access(path, constants.R_OK | constants.W_OK).then(
    () => true,
    () => false,
  );
}

async function onPath(tool: string, path = process.env.PATH ?? ''): Promise<boolean> {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    if (
      await access(join(dir, tool), constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return true;
  }
  return false;
}

export interface GpioProbe {
  sysfsReason?: () => string | undefined;
  sysfsRoot?: string;
  devDir?: string;
  pathEnv?: string;
}

export async function gpioFacts(config: GpioConfig, probe: GpioProbe = {}): Promise<GpioFacts> {
  const sysfsReason = (probe.sysfsReason ?? sysfsUnavailableReason)();
  let sysfsMapping: GpioFacts['sysfsMapping'];
  if (sysfsReason === undefined) {
    try {
      const mapping = mapBcmPin(await readGpioChips(probe.sysfsRoot ?? SYSFS_GPIO_ROOT), config.pin, config.chipLabel);
      sysfsMapping = {
        ok: true,
        text: `BCM ${mapping.bcm} → sysfs gpio${mapping.sysfs} on ${mapping.chip.name} "${mapping.chip.label}"`,
      };
    } catch (error) {
      sysfsMapping = { ok: false, error: (error as Error).message };
    }
  }
  const devDir = probe.devDir ?? '/dev';
  const names = await readdir(devDir).catch(() => [] as string[]);
  const chips = await Promise.all(
    names
      .filter((n) => /^gpiochip\d+$/.test(n))
      .map(async (n) => ({ path: join(devDir, n), writable: await writable(join(devDir, n)) })),
  );
  return { sysfsReason, sysfsMapping, chips, gpiosetOnPath: await onPath('gpioset', probe.pathEnv) };
}

export interface SerialFacts {
  error?: string | undefined;
  isCharDevice?: boolean;
  accessible?: boolean;
}

export async function serialFacts(path: string): Promise<SerialFacts> {
  try {
    const info = await stat(path);
    return { isCharDevice: info.isCharacterDevice(), accessible: await writable(path) };
  } catch (error) {
    return { error: (error as NodeJS.ErrnoException).code ?? String(error) };
  }
}

export function judgeSerial(name: string, config: SerialConfig, facts: SerialFacts): CheckResult {
  const what = describeActuator(config);
  if (facts.error === 'ENOENT') {
    return fail(
      name,
      `${what}: ${config.path} does not exist`,
      'plug the device in; use its stable name from ls -l /dev/serial/by-id/',
    );
  }
  if (facts.error)
    return fail(
      name,
      `${what}: ${config.path}: ${facts.error}`,
      'check the path; use its stable name from ls -l /dev/serial/by-id/',
    );
  if (!facts.isCharDevice)
    return fail(
      name,
      `${what}: ${config.path} is not a serial device`,
      'point path at the device, e.g. /dev/serial/by-id/usb-...',
    );
  if (!facts.accessible) {
    return fail(
      name,
      `${what}: ${config.path} not readable and writable by this user`,
      'sudo usermod -aG dialout dmconfirm (the unit has SupplementaryGroups=dialout)',
    );
  }
  return pass(name, `${what}: device present and accessible`);
}

/** The simulator's control endpoint answers GET /state; nothing is pressed or switched. */
export async function checkSimActuator(name: string, url: string, timeoutMs: number): Promise<CheckResult> {
  try {
    const response = await fetch(new URL('/state', url), { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok)
      return fail(
        name,
        `${url}/state answered HTTP ${response.status}`,
        'check url: the control endpoint of "dmconfirm sim router"',
      );
    return pass(name, `simulated router at ${url} answers`);
  } catch (error) {
    return fail(name, `${url}: ${(error as Error).message}`, 'start "dmconfirm sim router" or fix url');
  }
}

export function serialConfig(config: ActuatorConfig): SerialConfig | undefined {
  return config.driver === 'lcus' || config.driver === 'numato' || config.driver === 'wti' || config.driver === 'apc'
    ? config
    : undefined;
}

/** Adds what happens if the agent dies mid-cut (device-timed or host-timed) to an actuator's line. */
export function withDeathBehaviour(result: CheckResult, config: ActuatorConfig): CheckResult {
  return { ...result, detail: `${result.detail}; if the agent dies mid-cut: ${ifAgentDies(config).explain}` };
}

/** A network outlet answers and reads its state; nothing is switched. */
export async function checkNetworkActuator(name: string, config: ActuatorConfig): Promise<CheckResult> {
  const what = describeActuator(config);
  const outlet = networkOutlet(config);
  if (!outlet) return fail(name, `driver ${config.driver} is not known to doctor`, 'report this');
  try {
    const state = await outlet.read();
    if (state !== 'on')
      return warn(
        name,
        `${what}: outlet reads ${state}`,
        'dmconfirm actuator release --config <file> switches it on (with the agent stopped)',
      );
    return pass(name, `${what}: answers, outlet on`);
  } catch (error) {
    return fail(
      name,
      `${what}: ${(error as Error).message}`,
      'check host, port, credentials and that the device allows this client',
    );
  } finally {
    await outlet.close().catch(() => undefined);
  }
}
