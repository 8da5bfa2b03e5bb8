import type snmpModule from 'net-snmp';
import type { z } from 'zod';
import type { snmpActuatorSchema } from '../config/actuator-schema.js';
import { ActuatorProtocolError, ActuatorUnavailableError } from './errors.js';
import type { OutletState, SwitchedOutlet } from './outlet.js';
import { outletIndex, rebootSecondsFor, SNMP_MIBS, type OutletCommand, type SnmpMib } from './snmp-mibs.js';

export type SnmpConfig = z.infer<typeof snmpActuatorSchema>;

type Snmp = typeof snmpModule;
type Varbind = snmpModule.Varbind;
let loading: Promise<Snmp> | undefined;
/** net-snmp (with its MIB parser) is loaded on first use: an agent without an SNMP PDU never carries it. */
const loadSnmp = (): Promise<Snmp> => (loading ??= import('net-snmp').then((m) => m.default));

interface Session {
  get(oids: string[], cb: (error: Error | null, varbinds?: Varbind[]) => void): void;
  set(varbinds: Varbind[], cb: (error: Error | null, varbinds?: Varbind[]) => void): void;
  close(): void;
  on(event: 'error', cb: (error: Error) => void): void;
}

function openSession(snmp: Snmp, config: SnmpConfig): Session {
  const options = { port: config.port, retries: config.retries, timeout: config.timeoutMs, backoff: 1.5 };
  if (config.snmp.version === '2c') {
    return snmp.createSession(config.host, config.snmp.community.reveal(), { ...options, version: snmp.Version2c });
  }
  const v3 = config.snmp;
  const user = {
    name: v3.username,
    level: snmp.SecurityLevel.authPriv,
    authProtocol: snmp.AuthProtocols[v3.authProtocol],
    authKey: v3.authKey.reveal(),
    privProtocol: snmp.PrivProtocols[v3.privProtocol],
    privKey: v3.privKey.reveal(),
  };
  return snmp.createV3Session(config.host, user, options);
}

/** One outlet of an SNMP PDU (APC, CyberPower, Eaton), over net-snmp, v2c or v3 authPriv. */
export class SnmpOutlet implements SwitchedOutlet {
  readonly #mib: SnmpMib;
  readonly #index: string;
  #session: Session | undefined;
  #commands = 0;

  constructor(private readonly config: SnmpConfig) {
    this.#mib = SNMP_MIBS[config.mib];
    this.#index = outletIndex(config.mib, config.outlet, config.unit);
  }

  get description(): string {
    return `${this.#mib.title} outlet ${this.#index} at ${this.config.host}:${this.config.port}`;
  }

  commandsSent(): number {
    return this.#commands;
  }

  async read(): Promise<OutletState> {
    const value = await this.#getInt(this.#mib.stateOid(this.#index));
    const state = this.#mib.parseState(value);
    if (!state) throw new ActuatorProtocolError(`${this.description}: unexpected outlet state ${value}`);
    return state;
  }

  on(): Promise<void> {
    return this.#command('on');
  }

  off(): Promise<void> {
    return this.#command('off');
  }

  /**
   * Sets the outlet's reboot off time (whole seconds the MIB accepts, never shorter than
   * planned: see rebootSecondsFor) and reads it back, then sends the reboot.
   */
  async cycle(offMs: number): Promise<number> {
    const seconds = rebootSecondsFor(this.#mib, offMs);
    const durationOid = this.#mib.rebootSecondsOid?.(this.#index);
    if (durationOid) {
      await this.#set(durationOid, seconds);
      const readBack = await this.#getInt(durationOid);
      if (readBack !== seconds)
        throw new ActuatorProtocolError(
          `${this.description}: reboot duration reads ${readBack} s after setting ${seconds} s`,
        );
    }
    await this.#command('reboot');
    return durationOid ? seconds * 1000 : offMs;
  }

  close(): Promise<void> {
    this.#session?.close();
    this.#session = undefined;
    return Promise.resolve();
  }

  async #command(command: OutletCommand): Promise<void> {
    const { oid, value } = this.#mib.command(this.#index, command);
    this.#commands++;
    await this.#set(oid, value);
  }

  async #getInt(oid: string): Promise<number> {
    const snmp = await loadSnmp();
    const [varbind] = await this.#call<Varbind[]>((s, cb) => s.get([oid], cb));
    if (!varbind || snmp.isVarbindError(varbind)) {
      throw new ActuatorProtocolError(
        `${this.description}: ${oid}: ${varbind ? snmp.varbindError(varbind) : 'no answer'}`,
      );
    }
    if (typeof varbind.value !== 'number')
      throw new ActuatorProtocolError(`${this.description}: ${oid} is not an integer`);
    return varbind.value;
  }

  async #set(oid: string, value: number): Promise<void> {
    const snmp = await loadSnmp();
    const varbinds = await this.#call<Varbind[]>((s, cb) => s.set([{ oid, type: snmp.ObjectType.Integer, value }], cb));
    const bad = varbinds.find((v) => snmp.isVarbindError(v));
    if (bad) throw new ActuatorProtocolError(`${this.description}: set ${oid}=${value}: ${snmp.varbindError(bad)}`);
  }

  async #call<T>(run: (session: Session, cb: (error: Error | null, result?: T) => void) => void): Promise<T> {
    const snmp = await loadSnmp();
    if (!this.#session) {
      const session = openSession(snmp, this.config);
      session.on('error', () => undefined); // socket errors also fail the request in flight
      this.#session = session;
    }
    const session = this.#session;
    return new Promise<T>((resolve, reject) => {
      run(session, (error, result) => {
        if (!error) return resolve(result as T);
        if (error.name === 'RequestTimedOutError') {
          reject(
            new ActuatorUnavailableError(
              `${this.description}: no answer (${error.message}); check host, port and credentials`,
              { cause: error },
            ),
          );
        } else {
          reject(new ActuatorProtocolError(`${this.description}: ${error.message}`, { cause: error }));
        }
      });
    });
  }
}
