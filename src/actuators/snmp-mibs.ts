import type { OutletState } from './outlet.js';

export const SNMP_MIB_NAMES = ['apc-rpdu', 'apc-spdu', 'cyberpower', 'eaton'] as const;
export type SnmpMibName = (typeof SNMP_MIB_NAMES)[number];
export type OutletCommand = 'on' | 'off' | 'reboot';

/** Where one vendor's MIB keeps an outlet's state, its commands and its reboot off time. */
export interface SnmpMib {
  readonly name: SnmpMibName;
  readonly title: string;
  /** The object read back for the outlet's state. */
  stateOid(index: string): string;
  parseState(value: number): OutletState | undefined;
  command(index: string, command: OutletCommand): { oid: string; value: number };
  /** Writable reboot off time in seconds, where the MIB has one the agent can set. */
  rebootSecondsOid?(index: string): string;
  /** The reboot off times (s) the MIB accepts: a range, or a list of values. */
  readonly rebootSeconds?: { min: number; max: number; values?: readonly number[] };
}

/**
 * The reboot off time to set for a planned cut: never shorter than planned (whole seconds
 * rounded up), raised to the MIB's minimum, and for a MIB with fixed steps the next step up
 * (a PDU given another value would take the next LOWER one: a shorter cut than planned).
 */
export function rebootSecondsFor(mib: SnmpMib, offMs: number): number {
  const wanted = Math.max(1, Math.ceil(offMs / 1000));
  const range = mib.rebootSeconds;
  if (!range) return wanted;
  const clamped = Math.min(range.max, Math.max(range.min, wanted));
  if (!range.values) return clamped;
  return range.values.find((v) => v >= clamped) ?? range.max;
}

const APC = '1.3.6.1.4.1.318.1.1';
const CPS = '1.3.6.1.4.1.3808.1.1.3.3';
const EATON = '1.3.6.1.4.1.534.6.6.7.6.6.1';
/** immediateOn(1), immediateOff(2), immediateReboot(3): the APC rPDU and CyberPower ePDU command values. */
const IMMEDIATE: Record<OutletCommand, number> = { on: 1, off: 2, reboot: 3 };
const onOff = (value: number): OutletState | undefined => (value === 1 ? 'on' : value === 2 ? 'off' : undefined);

// Checked against the vendors' MIBs: PowerNet-MIB (APC; netdisco/netdisco-mibs apc/powernet.mib),
// CPS-MIB 2.13 (CyberPower; librenms/librenms mibs/cyberpower/CPS-MIB) and EATON-EPDU-MIB
// (librenms/librenms mibs/eaton/EATON-EPDU-MIB; the same OIDs in NUT's eaton-pdu-marlin-mib.c).

/**
 * PowerNet-MIB rack PDU (AP78xx, AP79xx, AP86xx): rPDUOutletControlOutletCommand, rPDUOutletStatusOutletState.
 * rPDUOutletConfigRebootDuration: "any value between 5 and 60 seconds".
 */
const apcRpdu: SnmpMib = {
  name: 'apc-rpdu',
  title: 'APC rPDU (PowerNet-MIB rPDUOutletControlOutletCommand)',
  stateOid: (i) => `${APC}.12.3.5.1.1.4.${i}`, // rPDUOutletStatusOutletState: outletStatusOn(1), outletStatusOff(2)
  parseState: onOff,
  command: (i, c) => ({ oid: `${APC}.12.3.3.1.1.4.${i}`, value: IMMEDIATE[c] }),
  rebootSecondsOid: (i) => `${APC}.12.3.4.1.1.6.${i}`, // rPDUOutletConfigRebootDuration
  rebootSeconds: { min: 5, max: 60 },
};

/**
 * The older PowerNet-MIB MasterSwitch objects: sPDUOutletCtl reads outletOn(1)/Off(2)/Reboot(3).
 * sPDUOutletRebootDuration takes 5, 10, 15, 20, 30, 45 or 60 s; another value is taken as
 * "the next lower acceptable value" (the lowest if below it).
 */
const apcSpdu: SnmpMib = {
  name: 'apc-spdu',
  title: 'APC MasterSwitch (PowerNet-MIB sPDUOutletCtl)',
  stateOid: (i) => `${APC}.4.4.2.1.3.${i}`,
  parseState: (v) => (v === 3 ? 'cycling' : onOff(v)),
  command: (i, c) => ({ oid: `${APC}.4.4.2.1.3.${i}`, value: IMMEDIATE[c] }),
  rebootSecondsOid: (i) => `${APC}.4.5.2.1.5.${i}`, // sPDUOutletRebootDuration
  rebootSeconds: { min: 5, max: 60, values: [5, 10, 15, 20, 30, 45, 60] },
};

/**
 * CPS-MIB ePDU: ePDUOutletControlOutletCommand (immediateOn 1, immediateOff 2,
 * immediateReboot 3), ePDUOutletStatusOutletState (outletStatusOn 1, Off 2), and
 * ePDUOutletConfigRebootDuration (read-write, seconds, "any value between 5 and 60").
 */
const cyberpower: SnmpMib = {
  name: 'cyberpower',
  title: 'CyberPower ePDU (CPS-MIB ePDUOutletControlOutletCommand)',
  stateOid: (i) => `${CPS}.5.1.1.4.${i}`,
  parseState: onOff,
  command: (i, c) => ({ oid: `${CPS}.3.1.1.4.${i}`, value: IMMEDIATE[c] }),
  rebootSecondsOid: (i) => `${CPS}.4.1.1.6.${i}`, // ePDUOutletConfigRebootDuration
  rebootSeconds: { min: 5, max: 60 },
};

/**
 * EATON-EPDU-MIB outletControlTable, indexed by unit (strapping index) and outlet: the
 * off/on/reboot commands take a delay in seconds (0 = now); outletControlStatus reads
 * off(0), on(1), pendingOff(2), pendingOn(3); outletControlRebootOffTime is in seconds (1..99999).
 */
const eaton: SnmpMib = {
  name: 'eaton',
  title: 'Eaton ePDU (EATON-EPDU-MIB outletControlTable)',
  stateOid: (i) => `${EATON}.2.${i}`,
  parseState: (v) => (v === 0 ? 'off' : v === 1 || v === 2 ? 'on' : v === 3 ? 'cycling' : undefined),
  command: (i, c) => ({ oid: `${EATON}.${c === 'off' ? 3 : c === 'on' ? 4 : 5}.${i}`, value: 0 }),
  rebootSecondsOid: (i) => `${EATON}.8.${i}`,
  rebootSeconds: { min: 1, max: 99_999 },
};

export const SNMP_MIBS: Record<SnmpMibName, SnmpMib> = { 'apc-rpdu': apcRpdu, 'apc-spdu': apcSpdu, cyberpower, eaton };

/** The row index of an outlet: `5`, or `0.5` (unit 0, outlet 5) for Eaton. */
export function outletIndex(mib: SnmpMibName, outlet: number, unit: number): string {
  return mib === 'eaton' ? `${unit}.${outlet}` : String(outlet);
}
