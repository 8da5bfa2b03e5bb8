import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ActuatorUnavailableError } from './errors.js';

/** The sysfs root onoff is hard-wired to. */
export const SYSFS_GPIO_ROOT = '/sys/class/gpio';

/** Labels of the 40-pin header's controller: Pi 0-3, Pi 4 and Pi 5 (RP1). */
export const PI_HEADER_LABELS = ['pinctrl-bcm2835', 'pinctrl-bcm2711', 'pinctrl-rp1'];

export interface GpioChipInfo {
  /** `gpiochip512`, as listed in sysfs. */
  name: string;
  label: string;
  base: number;
  ngpio: number;
}

export interface PinMapping {
  bcm: number;
  sysfs: number;
  chip: GpioChipInfo;
}

async function readTrimmed(path: string): Promise<string> {
  return (await readFile(path, 'utf8')).trim();
}

/** Every `gpiochip*` under a sysfs GPIO root with its label, base and line count. */
export async function readGpioChips(root = SYSFS_GPIO_ROOT): Promise<GpioChipInfo[]> {
  let names: string[];
  try {
    names = (await readdir(root)).filter((name) => /^gpiochip\d+$/.test(name));
  } catch (error) {
    throw new ActuatorUnavailableError(
      `cannot list ${root}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      { cause: error },
    );
  }
  const chips: GpioChipInfo[] = [];
  for (const name of names) {
    const dir = join(root, name);
    const [label, base, ngpio] = await Promise.all([
      readTrimmed(join(dir, 'label')),
      readTrimmed(join(dir, 'base')),
      readTrimmed(join(dir, 'ngpio')),
    ]);
    chips.push({ name, label, base: Number(base), ngpio: Number(ngpio) });
  }
  return chips.sort((a, b) => a.base - b.base);
}

/**
 * BCM number → sysfs number. Kernels from 6.6 put the header chip at base 512 (Pi 0-4) or
 * 571 (Pi 5; 399 on 6.1); older ones at 0. Writing a bare BCM number to `export` then fails
 * with EINVAL, so the base is always read, never assumed.
 */
export function mapBcmPin(chips: readonly GpioChipInfo[], bcm: number, chipLabel?: string): PinMapping {
  const wanted = chipLabel ? [chipLabel] : PI_HEADER_LABELS;
  const chip = chips.find((c) => wanted.includes(c.label));
  if (!chip) {
    const seen = chips.map((c) => `${c.name} "${c.label}"`).join(', ') || 'none';
    throw new ActuatorUnavailableError(
      `no gpiochip labelled ${wanted.join(' or ')} (found: ${seen}); set chipLabel for a non-Raspberry-Pi board`,
    );
  }
  if (!Number.isInteger(bcm) || bcm < 0 || bcm >= chip.ngpio) {
    throw new ActuatorUnavailableError(`GPIO ${bcm} is outside ${chip.name} "${chip.label}" (${chip.ngpio} lines)`);
  }
  return { bcm, sysfs: chip.base + bcm, chip };
}
