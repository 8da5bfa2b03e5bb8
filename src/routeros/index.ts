/**
 * The RouterOS client: the only door to node-routeros. Everything else imports from here.
 */
export { RouterClient, type RouterClientOptions, type RouterClientEvents } from './client.js';
export { RouterConnection, type CommandOptions, type Row } from './connection.js';
export { formatRosDuration, parseRosDuration } from './duration.js';
export { endpointPort, normalizeFingerprint, type RouterEndpoint } from './endpoint.js';
export * from './errors.js';
export {
  apiWords,
  changeApplied,
  parseDeviceMode,
  parseIdentity,
  parseResource,
  RouterReplyError,
  sameConfiguration,
  updateWords,
  type RouterIdentity,
  type RouterResource,
} from './parse.js';
export {
  requestUpdate,
  UpdateRequest,
  type PendingEvidence,
  type RequestUpdateOptions,
  type UpdateOutcome,
  type UpdatePhase,
} from './update-request.js';
export {
  DeviceModeWatcher,
  type DeviceModeWatcherEvents,
  type DeviceModeWatcherOptions,
  type WatchSample,
} from './watcher.js';
