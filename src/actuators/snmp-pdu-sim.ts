import { createSocket, type Socket } from 'node:dgram';
import snmp from 'net-snmp';
import { outletIndex, SNMP_MIBS, type SnmpMib, type SnmpMibName } from './snmp-mibs.js';

/**
 * A switched PDU on SNMP, for tests, `actuator test` and the demo: a real net-snmp agent on
 * UDP serving the vendor's outlet tables and behaving like the PDU: a reboot switches the
 * outlet off and, after the outlet's reboot duration, on again, by the PDU's own timer,
 * whatever happens to the manager that asked.
 */
export interface SnmpPduSimOptions {
  mib: SnmpMibName;
  outlets?: number;
  /** Eaton daisy-chain unit served. */
  unit?: number;
  host?: string;
  /** 0 (default): any free port. */
  port?: number;
  community?: string;
  /** An SNMPv3 authPriv user (SHA / AES). */
  v3?: { username: string; authKey: string; privKey: string };
  /** The PDU's reboot duration before anyone sets it (CyberPower: the only one). */
  rebootSeconds?: number;
  /** Fault: the reboot command is accepted and does nothing. */
  ignoreReboot?: boolean;
  /** Fault: the PDU's timer runs this much late. */
  lateByMs?: number;
  /** Every switch of an outlet (a wired load follows it). */
  onSwitch?: (outlet: number, on: boolean) => void;
}

interface Outlet {
  on: boolean;
  rebootSeconds: number;
  timer: NodeJS.Timeout | undefined;
}

interface MibRequest {
  oid: string;
  operation: number;
  setValue?: unknown;
  commitSet?: boolean;
  instanceNode: { value: unknown };
  done(error?: { errorStatus: number }): void;
}

export class SnmpPduSim {
  readonly outlets = new Map<number, Outlet>();
  /** Every switch: outlet, on, performance.now(), and whether a command or the PDU's timer did it. */
  readonly switches: Array<{ outlet: number; on: boolean; at: number; by: 'command' | 'timer' }> = [];
  /** Every switching command received (not reads, not settings). */
  readonly commands: Array<{ outlet: number; command: 'on' | 'off' | 'reboot' }> = [];
  #agent: SimAgent | undefined;
  #socket: Socket | undefined;
  #port = 0;

  constructor(readonly options: SnmpPduSimOptions) {
    for (let n = 1; n <= (options.outlets ?? 8); n++)
      this.outlets.set(n, { on: true, rebootSeconds: options.rebootSeconds ?? 5, timer: undefined });
  }

  get port(): number {
    return this.#port;
  }

  async start(): Promise<number> {
    const host = this.options.host ?? '127.0.0.1';
    // net-snmp binds port 161 for a port of 0; this dgram module hands it a free one instead.
    const dgramModule = {
      createSocket: (type: 'udp4' | 'udp6') => {
        const socket = createSocket(type);
        const bind = socket.bind.bind(socket) as (port: number, address?: string) => Socket;
        (socket as unknown as { bind: (port: number, address?: string) => Socket }).bind = (_port, address) =>
          bind(this.options.port ?? 0, address);
        this.#socket = socket;
        return socket;
      },
    };
    const agent = snmp.createAgent(
      { port: 1, address: host, dgramModule, disableAuthorization: false },
      () => undefined,
    ) as SimAgent;
    this.#agent = agent;
    const authorizer = agent.getAuthorizer();
    authorizer.addCommunity(this.options.community ?? 'private');
    if (this.options.v3) {
      const { username, authKey, privKey } = this.options.v3;
      authorizer.addUser({
        name: username,
        level: snmp.SecurityLevel.authPriv,
        authProtocol: snmp.AuthProtocols.sha,
        authKey,
        privProtocol: snmp.PrivProtocols.aes,
        privKey,
      });
    }
    this.#registerTables(agent.getMib());
    const socket = this.#socket!;
    await new Promise<void>((resolve, reject) => {
      if (socket.address !== undefined && this.#bound(socket)) return resolve();
      socket.once('listening', () => resolve());
      socket.once('error', reject);
    });
    this.#port = socket.address().port;
    return this.#port;
  }

  async stop(): Promise<void> {
    for (const outlet of this.outlets.values()) clearTimeout(outlet.timer);
    const agent = this.#agent;
    this.#agent = undefined;
    if (agent) await new Promise<void>((resolve) => agent.close(() => resolve()));
  }

  isOn(outlet: number): boolean {
    return this.outlets.get(outlet)?.on ?? false;
  }

  #bound(socket: Socket): boolean {
    try {
      return socket.address().port > 0;
    } catch {
      return false;
    }
  }

  #switch(n: number, outlet: Outlet, on: boolean, by: 'command' | 'timer' = 'command'): void {
    clearTimeout(outlet.timer);
    outlet.timer = undefined;
    if (outlet.on === on) return;
    outlet.on = on;
    this.switches.push({ outlet: n, on, at: performance.now(), by });
    this.options.onSwitch?.(n, on);
  }

  #command(n: number, command: 'on' | 'off' | 'reboot'): void {
    const outlet = this.outlets.get(n);
    if (!outlet) return;
    this.commands.push({ outlet: n, command });
    if (command !== 'reboot') return this.#switch(n, outlet, command === 'on');
    if (this.options.ignoreReboot) return;
    this.#switch(n, outlet, false);
    outlet.timer = setTimeout(
      () => this.#switch(n, outlet, true, 'timer'),
      outlet.rebootSeconds * 1000 + (this.options.lateByMs ?? 0),
    );
  }

  /** Registers the vendor's tables; each column's handler reads and writes the outlet state. */
  #registerTables(mib: SimMib): void {
    const spec = SNMP_MIBS[this.options.mib];
    const unit = this.options.unit ?? 0;
    const index = (n: number): string => outletIndex(this.options.mib, n, unit);
    const cells = new Map<string, { n: number; kind: 'state' | 'on' | 'off' | 'reboot' | 'command' | 'duration' }>();
    for (const n of this.outlets.keys()) {
      cells.set(spec.stateOid(index(n)), { n, kind: 'state' });
      const commands = (['on', 'off', 'reboot'] as const).map((c) => spec.command(index(n), c));
      if (commands[0]!.oid === commands[1]!.oid)
        cells.set(commands[0]!.oid, { n, kind: spec.stateOid(index(n)) === commands[0]!.oid ? 'state' : 'command' });
      else (['on', 'off', 'reboot'] as const).forEach((c, i) => cells.set(commands[i]!.oid, { n, kind: c }));
      const duration = spec.rebootSecondsOid?.(index(n));
      if (duration) cells.set(duration, { n, kind: 'duration' });
    }
    const handler = (request: MibRequest): void => {
      const cell = cells.get(request.oid);
      const outlet = cell && this.outlets.get(cell.n);
      if (!cell || !outlet) return request.done();
      if (request.operation === snmp.PduType.SetRequest) {
        // net-snmp runs a set's handler twice: a test pass, then the commit pass that acts.
        if (!request.commitSet) return request.done();
        const value = Number(request.setValue);
        if (cell.kind === 'duration') outlet.rebootSeconds = keptSeconds(spec, value);
        else if (cell.kind === 'state' || cell.kind === 'command')
          this.#command(cell.n, value === 1 ? 'on' : value === 2 ? 'off' : 'reboot');
        else this.#command(cell.n, cell.kind);
        return request.done();
      }
      request.instanceNode.value = this.#read(cell.kind, outlet);
      request.done();
    };
    registerTables(mib, this.options.mib, [...cells.keys()], handler);
    for (const [oid, cell] of cells) mib.setValueAt(oid, this.#read(cell.kind, this.outlets.get(cell.n)!));
  }

  #read(kind: string, outlet: Outlet): number {
    if (kind === 'duration') return outlet.rebootSeconds;
    if (this.options.mib === 'eaton') return kind === 'state' ? (outlet.on ? 1 : outlet.timer ? 3 : 0) : -1;
    if (this.options.mib === 'apc-spdu' && !outlet.on && outlet.timer) return 3;
    return outlet.on ? 1 : 2;
  }
}

interface SimAgent {
  close(cb?: () => void): void;
  getAuthorizer(): { addCommunity(c: string): void; addUser(u: object): void };
  getMib(): SimMib;
}

interface SimMib {
  registerProvider(provider: object): void;
  setValueAt(oid: string, value: number): void;
}

/**
 * One table provider per column group (the entry OID is the column's OID less its column
 * and index), with the index as integer columns the manager never reads. Adds `setValueAt`.
 */
function registerTables(mib: SimMib, name: string, oids: string[], handler: (r: MibRequest) => void): void {
  const raw = mib as unknown as {
    registerProvider(p: object): void;
    addTableRow(table: string, row: unknown[]): void;
    setTableSingleCell(table: string, column: number, index: unknown[], value: unknown): void;
  };
  const indexLength = name === 'eaton' ? 2 : 1;
  const tables = new Map<string, { columns: Set<number>; rows: Set<string> }>();
  const split = (oid: string) => {
    const parts = oid.split('.');
    const index = parts.slice(-indexLength);
    return {
      entry: parts.slice(0, -indexLength - 1).join('.'),
      column: Number(parts[parts.length - indexLength - 1]),
      index,
    };
  };
  for (const oid of oids) {
    const { entry, column, index } = split(oid);
    const table = tables.get(entry) ?? { columns: new Set(), rows: new Set() };
    table.columns.add(column);
    table.rows.add(index.join('.'));
    tables.set(entry, table);
  }
  for (const [entry, table] of tables) {
    const columns = [...table.columns].sort((a, b) => a - b);
    const indexColumns = Array.from({ length: indexLength }, (_, i) => ({
      number: 200 + i,
      name: `${entry}-index${i}`,
      type: snmp.ObjectType.Integer,
      maxAccess: snmp.MaxAccess['not-accessible'],
    }));
    raw.registerProvider({
      name: entry,
      type: snmp.MibProviderType.Table,
      oid: entry,
      maxAccess: snmp.MaxAccess['not-accessible'],
      tableColumns: [
        ...columns.map((number) => ({
          number,
          name: `${entry}.${number}`,
          type: snmp.ObjectType.Integer,
          maxAccess: snmp.MaxAccess['read-write'],
        })),
        ...indexColumns,
      ],
      tableIndex: indexColumns.map((c) => ({ columnName: c.name })),
      handler,
    });
    for (const row of table.rows) {
      const index = row.split('.').map(Number);
      raw.addTableRow(entry, [...columns.map(() => 0), ...index]);
    }
  }
  mib.setValueAt = (oid, value) => {
    const { entry, column, index } = split(oid);
    raw.setTableSingleCell(entry, column, index.map(Number), value);
  };
}

/**
 * What a PDU keeps of a reboot duration written to it: PowerNet-MIB's sPDUOutletRebootDuration
 * takes a value between its steps as the next lower step (the lowest below it); a range is
 * clamped. The driver's read-back catches any difference.
 */
function keptSeconds(spec: SnmpMib, value: number): number {
  const range = spec.rebootSeconds;
  if (!range) return value;
  const inRange = Math.min(range.max, Math.max(range.min, value));
  return range.values ? ([...range.values].reverse().find((v) => v <= inRange) ?? range.min) : inRange;
}
