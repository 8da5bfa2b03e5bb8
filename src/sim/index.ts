/** The RouterOS simulator: importable in-process (tests, demo) and runnable from the CLI. */
export { SimulatedRouter, type SimulatedRouterOptions } from './router.js';
export type { SimState } from './state.js';
export type { Fault, BootAction, Phase, PhysicalTiming } from './physical.js';
export { DEFAULT_TIMING } from './physical.js';
export { PROFILES, MODEL_NAMES, type ModelName, type ModelProfile } from './profiles.js';
export { ControlServer } from './control-http.js';
export { parseRosDuration, formatRosDuration } from '../routeros/duration.js';
