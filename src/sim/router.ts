import { randomBytes, X509Certificate } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { generate } from 'selfsigned';
import type { Logger } from 'pino';
import { silentLogger } from '../log/logger.js';
import { defaultBehaviour, type RouterBehaviour } from './behaviour.js';
import { commandsFor } from './commands/index.js';
import type { CommandDevice, CommandTable, Row } from './commands/types.js';
import { DeviceModeEngine, MAX_ATTEMPTS, type DeviceModeEvent } from './device-mode-engine.js';
import { ApiListener } from './api-listener.js';
import { ControlServer } from './control-http.js';
import { challengeResponse } from './login.js';
import { InjectedFaults, type DropRule, type DropRuleInput } from './faults.js';
import { bootActionFor, DEFAULT_TIMING, type Fault, type Phase, type PhysicalTiming } from './physical.js';
import { PoePorts } from './poe.js';
import { factoryMode, profileFor, type ModelProfile } from './profiles.js';
import { ApiSession, type SplitReplies } from './session.js';
import { snapshot, type SimState } from './state.js';
import type { SimulatedRouterOptions } from './options.js';
import { SimClock } from './time.js';
import { displayWireText, toWireText } from './wire-text.js';

/**
 * A RouterOS device: binary API (and api-ssl), device-mode with physical confirmation,
 * power and reset button. Emits: power, shutdown, boot, booted, button, fault,
 * update-requested, update-canceled, update-confirmed, applied, attempt-limit-reset.
 */
export class SimulatedRouter extends EventEmitter {
  readonly profile: ModelProfile;
  readonly modelName: string;
  readonly routerosVersion: string;
  readonly clock: SimClock;
  readonly deviceMode: DeviceModeEngine;
  readonly commands: CommandTable;
  /** Where RouterOS behaviour may differ (see behaviour.ts): what this device does. */
  readonly behaviour: RouterBehaviour;
  readonly splitReplies: SplitReplies;
  readonly timing: PhysicalTiming;
  readonly serialNumber: string;
  readonly systemId: string;
  readonly poe: PoePorts | undefined;
  readonly faults: Fault[] = [];
  /** TEST ONLY: network and boot faults switched on by tests (see faults.ts). */
  readonly injected = new InjectedFaults();
  /** As received over the API: one char per byte (see wire-text.ts). */
  identity: string;
  tlsFingerprint256: string | undefined;

  private readonly log: Logger;
  private readonly sessions = new Set<ApiSession>();
  private readonly menus = new Map<string, Row[]>();
  private readonly settingsMenus = new Map<string, Row>();
  private api: ApiListener | undefined;
  private apiSsl: ApiListener | undefined;
  private control: ControlServer | undefined;
  private nextSessionId = 1;
  private phaseNow: Phase = 'off';
  private phaseTimer: NodeJS.Timeout | undefined;
  private bootStartedAt = 0;
  private offSince: number | undefined;
  private buttonDownAt: number | undefined;
  private bootHold: { since: number; fault: Fault } | undefined;
  private tampered = false;
  private started = false;

  constructor(private readonly settings: SimulatedRouterOptions = {}) {
    super();
    this.modelName = settings.model ?? 'hAP-ax3';
    this.profile = profileFor(this.modelName);
    this.routerosVersion = settings.routerosVersion ?? '7.22';
    this.clock = new SimClock(settings.timeScale ?? 1);
    this.timing = { ...DEFAULT_TIMING, ...settings.timing };
    this.identity = toWireText(settings.identity ?? 'MikroTik');
    this.serialNumber = settings.serialNumber ?? randomBytes(6).toString('hex').toUpperCase();
    this.systemId = settings.systemId ?? randomBytes(8).toString('base64url');
    this.log = (settings.logger ?? silentLogger()).child({ component: 'sim', model: this.modelName });
    const split = settings.splitReplies;
    this.splitReplies = split === true ? 'random' : (split ?? false);
    const given = Object.fromEntries(
      Object.entries({
        progressWhilePending: settings.progressWhilePending,
        stallOthersWhilePending: settings.stallOthersWhilePending,
        abandonedUpdate: settings.abandonedUpdate,
        attemptCountRises: settings.attemptCountRises,
        emptyReplies: settings.emptyReplies,
        rebootReply: settings.rebootReply,
      }).filter(([, v]) => v !== undefined),
    );
    this.behaviour = { ...defaultBehaviour(this.routerosVersion), ...given };
    this.deviceMode = new DeviceModeEngine(
      this.clock,
      factoryMode(this.profile, this.routerosVersion),
      settings.deviceMode ?? {},
      (e: DeviceModeEvent) => this.emit(e.type, e),
      this.behaviour.attemptCountRises,
    );
    this.commands = commandsFor(this.profile);
    this.poe = this.profile.poePorts ? new PoePorts(this, this.profile.poePorts) : undefined;
  }

  get phase(): Phase {
    return this.phaseNow;
  }
  get powered(): boolean {
    return this.phaseNow !== 'off';
  }
  get booted(): boolean {
    return this.phaseNow === 'running';
  }
  get buttonDown(): boolean {
    return this.buttonDownAt !== undefined;
  }
  /** The device as command handlers see it. */
  get device(): CommandDevice {
    return this;
  }
  /** The identity for people (and PoE summaries). */
  get displayName(): string {
    return displayWireText(this.identity);
  }
  get apiPort(): number {
    return this.requireListener(this.api).port;
  }
  get apiSslPort(): number {
    return this.requireListener(this.apiSsl).port;
  }
  get controlPort(): number {
    if (!this.control) throw new Error('simulated router has no control endpoint');
    return this.control.port;
  }
  /** Simulated ms since the current boot began (0 while off). */
  get uptimeMs(): number {
    return this.powered ? this.clock.now() - this.bootStartedAt : 0;
  }

  /** Opens the API port(s) with the router already running (no boot delay on start). */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const host = this.settings.host ?? '127.0.0.1';
    this.api = new ApiListener(host, this.settings.apiPort ?? 0, (s) => this.accept(s));
    if (this.settings.tls) {
      const pems = await generate([{ name: 'commonName', value: this.displayName }], {
        keySize: 2048,
        algorithm: 'sha256',
      });
      this.tlsFingerprint256 = new X509Certificate(pems.cert).fingerprint256;
      this.apiSsl = new ApiListener(host, this.settings.apiSslPort ?? 0, (s) => this.accept(s), {
        key: pems.private,
        cert: pems.cert,
      });
    }
    this.phaseNow = 'running';
    this.bootStartedAt = this.clock.now();
    await this.openListeners();
    if (this.settings.controlPort !== false) {
      this.control = new ControlServer(this, host, this.settings.controlPort ?? 0);
      await this.control.start();
    }
    this.log.info({ apiPort: this.apiPort }, 'simulated router running');
  }

  async stop(): Promise<void> {
    this.clock.clearAll();
    this.phaseNow = 'off'; // a boot still opening its port closes it again
    this.dropSessions();
    await Promise.all([this.api?.close(), this.apiSsl?.close(), this.control?.stop()]);
    this.control = undefined;
    this.deviceMode.cancel('power-loss');
    this.started = false;
  }

  checkLogin(name: string, password: string, challenge?: { challenge: string; response: string }): boolean {
    const secret = toWireText(this.settings.password ?? '');
    if (name !== toWireText(this.settings.user ?? 'admin')) return false;
    return challenge ? challengeResponse(secret, challenge.challenge) === challenge.response : password === secret;
  }

  /** Storage for the simulated list menus (scheduler, container). */
  items(menu: string): Row[] {
    let rows = this.menus.get(menu);
    if (!rows) this.menus.set(menu, (rows = []));
    return rows;
  }

  settingsOf(menu: string): Row {
    let row = this.settingsMenus.get(menu);
    if (!row) this.settingsMenus.set(menu, (row = {}));
    return row;
  }

  /** TEST ONLY: resets every open API connection now (TCP RST); returns how many. */
  dropApiSessions(): number {
    const open = [...this.sessions];
    for (const s of open) s.resetConnection();
    return open.length;
  }

  /** TEST ONLY: resets the connection that sends the next command(s) matching the rule. */
  dropOn(rule: DropRuleInput): DropRule {
    return this.injected.dropOn(rule);
  }

  /** TEST ONLY: while on, every API login is answered with a TCP reset. */
  refuseApiLogins(on: boolean): void {
    this.injected.refuseLogins = on;
  }

  /**
   * TEST ONLY: while on, a boot never finishes (powered, `booting`, API port closed): a
   * router that does not come back. Switched off, a boot that was held finishes at once.
   */
  hangBoots(on: boolean): void {
    this.injected.hangBoot = on;
    if (!on && this.phaseNow === 'booting' && this.phaseTimer === undefined && !this.bootHold) void this.finishBoot();
  }

  /** RouterOS flags tampering at boot: the next boot comes up flagged (if flagging is enabled). */
  markTampered(): void {
    this.tampered = true;
  }

  state(): SimState {
    return snapshot(this);
  }

  /** `/system/reboot`: answer first, then a soft reboot that never confirms a pending change. */
  scheduleSoftReboot(): void {
    this.clock.setTimeout(() => this.reboot('soft'), 100 / this.clock.scale);
  }

  reboot(reason: 'soft' | 'confirmed'): void {
    if (this.phaseNow !== 'running') return;
    if (reason === 'soft') this.deviceMode.cancel('reboot');
    const answersMs = reason === 'confirmed' ? (this.timing.answersAfterPressMs ?? 0) : 0;
    if (answersMs > 0) {
      // Still running (and answering) for a moment; a power cut meanwhile clears the timer.
      if (this.phaseTimer !== undefined) return;
      this.phaseTimer = this.clock.setTimeout(() => {
        this.phaseTimer = undefined;
        if (this.phaseNow === 'running') this.shutDown(reason);
      }, answersMs);
      return;
    }
    this.shutDown(reason);
  }

  private shutDown(reason: 'soft' | 'confirmed'): void {
    this.goDown('shutting-down');
    this.emit('shutdown', { reason });
    this.phaseTimer = this.clock.setTimeout(() => this.beginBoot(false), this.timing.shutdownMs);
  }

  setPower(on: boolean): void {
    if (on) this.powerOn();
    else this.powerOff();
  }

  powerOff(): void {
    if (this.phaseNow === 'off') return;
    this.offSince = this.clock.now();
    this.deviceMode.suspend();
    this.goDown('off');
    this.bootHold = undefined;
    this.emit('power', { on: false });
  }

  powerOn(): void {
    if (this.phaseNow !== 'off') return;
    const offMs = this.clock.now() - (this.offSince ?? 0);
    const cold = offMs >= this.timing.minOffMs;
    if (this.deviceMode.pending) {
      if (cold) this.deviceMode.confirm();
      else this.deviceMode.cancel('power-loss');
    }
    this.phaseNow = 'booting'; // powered before listeners (PoE loads) hear about it
    this.emit('power', { on: true, offMs, cold });
    this.beginBoot(cold);
  }

  pressButtonDown(): void {
    if (this.buttonDownAt !== undefined) return;
    this.buttonDownAt = this.clock.now();
    this.emit('button', { down: true });
    if (this.phaseNow === 'booting') this.holdAtBoot();
    else if (this.phaseNow === 'running') {
      // A press confirms a pending change (the router reboots) or lifts the attempt limit.
      if (this.deviceMode.confirm()) this.reboot('confirmed');
      else if (this.deviceMode.attemptCount >= MAX_ATTEMPTS) this.deviceMode.resetAttempts();
    }
  }

  releaseButton(): void {
    if (this.buttonDownAt === undefined) return;
    this.buttonDownAt = undefined;
    this.emit('button', { down: false });
    const hold = this.bootHold;
    if (!hold) return;
    this.bootHold = undefined;
    hold.fault.heldMs = Math.round(this.clock.now() - hold.since);
    hold.fault.action = bootActionFor(hold.fault.heldMs);
    this.emit('fault', hold.fault);
    if (hold.fault.action === 'reset-configuration') this.identity = 'MikroTik';
    if (hold.fault.action === 'caps-mode' || hold.fault.action === 'netinstall') {
      this.phaseNow = 'bootloader';
      return;
    }
    // The boot that waited for the button continues now.
    if (this.phaseNow === 'booting' && this.phaseTimer === undefined) void this.finishBoot();
  }

  /** Presses for `ms` simulated milliseconds, then releases. */
  async pressButton(ms: number): Promise<void> {
    this.pressButtonDown();
    await this.clock.sleep(ms);
    this.releaseButton();
  }

  private beginBoot(cold: boolean): void {
    this.phaseNow = 'booting';
    this.phaseTimer = undefined;
    this.bootStartedAt = this.clock.now();
    this.deviceMode.boot(cold, this.tampered);
    this.tampered = false;
    this.emit('boot', { cold });
    if (this.buttonDownAt !== undefined) this.holdAtBoot();
    this.phaseTimer = this.clock.setTimeout(() => {
      this.phaseTimer = undefined;
      // The boot loader waits while the button is held.
      if (!this.bootHold) void this.finishBoot();
    }, this.timing.bootMs);
  }

  private holdAtBoot(): void {
    if (this.bootHold) return;
    const fault: Fault = { kind: 'button-held-at-boot', at: new Date().toISOString() };
    this.faults.push(fault);
    this.bootHold = { since: this.clock.now(), fault };
    this.log.warn('reset button held while booting');
  }

  private async finishBoot(): Promise<void> {
    if (this.phaseNow !== 'booting' || this.injected.hangBoot) return;
    try {
      await this.openListeners();
    } catch (error) {
      this.log.error({ err: error }, 'cannot reopen API port after boot');
      this.emit('error', error);
      return;
    }
    if (this.phaseNow !== 'booting') {
      // Power went away while the port was opening.
      await Promise.all([this.api?.close(), this.apiSsl?.close()]);
      return;
    }
    this.phaseNow = 'running';
    this.emit('booted', { uptimeMs: this.uptimeMs });
  }

  private goDown(phase: Phase): void {
    this.clock.clearTimeout(this.phaseTimer);
    this.phaseTimer = undefined;
    this.phaseNow = phase;
    this.dropSessions();
    void Promise.all([this.api?.close(), this.apiSsl?.close()]);
  }

  private async openListeners(): Promise<void> {
    await Promise.all([this.api?.open(), this.apiSsl?.open()]);
  }

  private accept(socket: Socket): void {
    if (this.phaseNow !== 'running') {
      socket.destroy();
      return;
    }
    const id = this.nextSessionId++;
    const session = new ApiSession(id, socket, this, this.log.child({ session: id }), (s) => this.sessions.delete(s));
    this.sessions.add(session);
    session.start();
  }

  private dropSessions(): void {
    for (const s of [...this.sessions]) s.drop();
    this.sessions.clear();
  }

  private requireListener(l: ApiListener | undefined): ApiListener {
    if (!l) throw new Error('simulated router not started (or started without that port)');
    return l;
  }
}
