import { readFileSync } from 'node:fs';

/**
 * The version in package.json. src/ and dist/ sit one level below the package root, in a checkout,
 * an npm install and the Debian package (/opt/dmconfirm/{dist,package.json}) alike.
 */
export const PACKAGE_VERSION: string = readVersion(new URL('../package.json', import.meta.url));

function readVersion(file: URL): string {
  const { version } = JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown };
  if (typeof version !== 'string' || version === '') throw new Error(`${file.pathname}: no "version"`);
  return version;
}
