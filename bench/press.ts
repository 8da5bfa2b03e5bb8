/**
 * Press length under load, while worker threads spin on every core.
 *
 * The figure is the GPIO driver's press as the line sees it: the press is timed by a child
 * holding the line (libgpiod gpioset), not by Node's event loop, started at real-time
 * priority (chrt --fifo) so its wake-up does not wait behind the busy cores. The same
 * presses at normal priority show why: there the child's own nanosleep wake-up is late. No Pi here, so gpioset is a
 * tiny C stand-in with the libgpiod command lines (v2 `-t MSms,0`, v1 `--mode=time`) that
 * stamps each line change with CLOCK_MONOTONIC and holds with nanosleep, as the real tool. For
 * comparison, the sim actuator's presses (timed on the event loop over HTTP) are measured
 * by the simulated router's button events.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { createActuator } from '../src/actuators/index.js';
import type { Actuator } from '../src/actuators/types.js';
import { actuatorSchema } from '../src/config/actuator-schema.js';
import { ChildPriority } from '../src/actuators/gpio-pulse.js';
import { silentLogger } from '../src/log/logger.js';
import { SimulatedRouter } from '../src/sim/index.js';

export interface PressResult {
  /** |line held − requested| for the GPIO driver with libgpiod v2 (one gpioset times the press), from the line's own
   * timestamps. */
  lineErrors: number[];
  /** The same with libgpiod v1 (a shell chains `--mode=time` and the release: one more exec in the press). */
  v1LineErrors: number[];
  /** v2 again with the timing child at normal priority (no chrt), for comparison. */
  normalPriorityLineErrors: number[];
  /** Whether this machine let the child run at real-time priority (root, CAP_SYS_NICE or RLIMIT_RTPRIO). */
  realtime: boolean;
  /** The same from the GPIO actuator's ActionReport edges (event-loop times). */
  edgeErrors: number[];
  /** |(up − down) − requested| for the event-loop-timed sim actuator, from the router's events. */
  eventLoopErrors: number[];
  busyThreads: number;
}

const SPIN = 'for (;;) { Math.sqrt(Math.random()); }';
const REQUESTED = [50, 100, 200, 300, 500, 800];
const TIMING = { pressMs: 300, pressMinMs: 50, pressMaxMs: 1000 };

const FAKE_GPIOSET = `#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
static int stamp(const char *what) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  char line[128];
  int n = snprintf(line, sizeof line, "%lld.%09ld %s\\n", (long long)t.tv_sec, t.tv_nsec, what);
  int fd = open(getenv("FAKE_GPIO_LOG"), O_WRONLY | O_APPEND | O_CREAT, 0644);
  if (fd < 0 || write(fd, line, n) != n) return 1;
  return close(fd);
}
static void hold(long usec) {
  struct timespec d = { usec / 1000000, (usec % 1000000) * 1000 };
  nanosleep(&d, NULL);
}
int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "--version") == 0) {
    printf("gpioset (libgpiod) %s\\n", getenv("FAKE_GPIO_VERSION"));
    return 0;
  }
  long usec = -1, toggle_ms = 0;
  for (int i = 1; i < argc; i++) {
    if (strncmp(argv[i], "--usec=", 7) == 0) usec = atol(argv[i] + 7);
    if (strcmp(argv[i], "-t") == 0 && i + 1 < argc) toggle_ms = atol(argv[i + 1]);
  }
  char *value = argv[argc - 1];
  if (stamp(value)) return 1;
  if (usec >= 0) hold(usec); /* v1 --mode=time */
  if (toggle_ms > 0) { /* v2 -t MSms,0: toggle after MS, then exit */
    hold(toggle_ms * 1000);
    char *eq = strchr(value, '=');
    if (eq) eq[1] = eq[1] == '0' ? '1' : '0';
    return stamp(value);
  }
  return 0;
}
`;

/** Builds the stand-in gpioset (cc) for libgpiod `version` and a gpiodetect listing a Pi header chip. */
function fakeLibgpiod(dir: string, version: 'v1.6.3' | 'v2.1'): string {
  process.env.FAKE_GPIO_VERSION = version;
  writeFileSync(join(dir, 'gpioset.c'), FAKE_GPIOSET);
  execFileSync('cc', ['-O2', '-o', join(dir, 'gpioset'), join(dir, 'gpioset.c')]);
  writeFileSync(join(dir, 'gpiodetect'), '#!/bin/sh\necho "gpiochip0 [pinctrl-bcm2711] (58 lines)"\n');
  chmodSync(join(dir, 'gpiodetect'), 0o755);
  const log = join(dir, 'line.log');
  process.env.FAKE_GPIO_LOG = log;
  return log;
}

/** Press lengths from the line log: an energize (17=0, active-low) to the next release (17=1). */
function heldMs(log: string): number[] {
  const events = readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .map((l) => ({ at: Number(l.split(' ')[0]) * 1000, level: l.split(' ')[1] }));
  const held: number[] = [];
  for (let i = 0; i < events.length; i++) {
    if (events[i]!.level !== '17=0') continue;
    const up = events.slice(i + 1).find((e) => e.level === '17=1');
    if (up) held.push(up.at - events[i]!.at);
  }
  return held;
}

async function underLoad<T>(run: () => Promise<T>): Promise<{ result: T; busyThreads: number }> {
  const busyThreads = availableParallelism();
  const workers = Array.from({ length: busyThreads }, () => new Worker(SPIN, { eval: true }));
  try {
    await new Promise((resolve) => setTimeout(resolve, 200)); // let the spinners start
    return { result: await run(), busyThreads };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

async function gpioPresses(
  version: 'v1.6.3' | 'v2.1',
  realtime: boolean,
  samples: number,
  log: (line: string) => void,
): Promise<{ line: number[]; edges: number[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'dmconfirm-bench-gpio-'));
  const lineLog = fakeLibgpiod(dir, version);
  const config = actuatorSchema.parse({
    driver: 'gpio',
    pin: 17,
    wiring: 'normally-open',
    backend: 'gpioset',
    timing: TIMING,
  });
  // /bin/false as chrt: the probe fails and the child runs at normal priority.
  const actuator = createActuator(config, {
    logger: silentLogger(),
    name: 'bench/gpio',
    gpioToolDir: dir,
    chrtTool: realtime ? 'chrt' : '/bin/false',
  });
  const edges: number[] = [];
  try {
    await actuator.start();
    for (let i = 0; i < samples; i++) {
      const requested = REQUESTED[i % REQUESTED.length]!;
      edges.push(...edgeError(await actuator.press(requested), requested));
      if ((i + 1) % 10 === 0)
        log(
          `  gpioset ${version}${realtime ? '' : ' (normal priority)'} press ${i + 1}/${samples}: ` +
            `requested ${requested} ms, line held ${heldMs(lineLog).at(-1)?.toFixed(2) ?? '?'} ms`,
        );
    }
    await actuator.stop();
    const held = heldMs(lineLog);
    return { line: held.map((ms, i) => Math.abs(ms - REQUESTED[i % REQUESTED.length]!)), edges };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function edgeError(report: Awaited<ReturnType<Actuator['press']>>, requested: number): number[] {
  const engaged = report.edges.find((e) => e.edge === 'button-down');
  const released = report.edges.find((e) => e.edge === 'button-up');
  return engaged && released ? [Math.abs(released.monoMs - engaged.monoMs - requested)] : [];
}

async function simPresses(samples: number): Promise<number[]> {
  const router = new SimulatedRouter({ password: 'x' });
  await router.start();
  let down: number | undefined;
  const lengths: number[] = [];
  router.on('button', (e: { down: boolean }) => {
    if (e.down) down = performance.now();
    else if (down !== undefined) lengths.push(performance.now() - down);
  });
  const config = actuatorSchema.parse({ driver: 'sim', url: `http://127.0.0.1:${router.controlPort}`, timing: TIMING });
  const actuator = createActuator(config, { logger: silentLogger(), name: 'bench/button' });
  const errors: number[] = [];
  try {
    await actuator.start();
    for (let i = 0; i < samples; i++) {
      const requested = REQUESTED[i % REQUESTED.length]!;
      const before = lengths.length;
      await actuator.press(requested);
      const seen = lengths[before];
      if (seen !== undefined) errors.push(Math.abs(seen - requested));
    }
  } finally {
    await actuator.stop();
    await router.stop();
  }
  return errors;
}

export async function pressSamples(samples: number, log: (line: string) => void): Promise<PressResult> {
  const realtime = await new ChildPriority(silentLogger()).probe();
  if (!realtime) log('  chrt --fifo is not allowed here: the timing child runs at normal priority');
  const gpio = await underLoad(() => gpioPresses('v2.1', true, samples, log));
  const v1 = await underLoad(() => gpioPresses('v1.6.3', true, samples, log));
  log('  the same v2 presses with the timing child at normal priority, for comparison');
  const normal = await underLoad(() => gpioPresses('v2.1', false, samples, log));
  log('  the same presses timed on the event loop (sim actuator over HTTP), for comparison');
  const sim = await underLoad(() => simPresses(samples));
  return {
    lineErrors: gpio.result.line,
    v1LineErrors: v1.result.line,
    normalPriorityLineErrors: normal.result.line,
    realtime,
    edgeErrors: gpio.result.edges,
    eventLoopErrors: sim.result,
    busyThreads: gpio.busyThreads,
  };
}
