// TEST ONLY module hooks for loaded-modules.preload.ts: every ES module the process loads
// (our sources through tsx, packages, node: builtins) is posted to the preload's port.
let port;

export function initialize(data) {
  port = data.port;
}

export async function load(url, context, next) {
  port.postMessage(url);
  return next(url, context);
}
