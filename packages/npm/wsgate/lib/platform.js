'use strict';
// Which package carries the binary for this machine. The wsgate package lists every per-platform
// package as an optionalDependency with "os"/"cpu" fields, so npm installs only the one that fits
// (the esbuild layout); adding a platform means adding a package here and in package.json.
const path = require('node:path');
const fs = require('node:fs');

const PLATFORM_PACKAGES = {
  'linux-x64': '@wsgate/linux-x64',
};

class WsgateBinaryError extends Error {}

/** The absolute path of the wsgate executable; throws WsgateBinaryError with the remedy. */
function binaryPath({ platform = process.platform, arch = process.arch, env = process.env } = {}) {
  if (env.WSGATE_BINARY) {
    if (!fs.existsSync(env.WSGATE_BINARY)) throw new WsgateBinaryError(`wsgate: WSGATE_BINARY=${env.WSGATE_BINARY} does not exist`);
    return env.WSGATE_BINARY;
  }
  const key = `${platform}-${arch}`;
  const pkg = PLATFORM_PACKAGES[key];
  if (!pkg) {
    throw new WsgateBinaryError(
      `wsgate: no prebuilt binary for ${key} (available: ${Object.keys(PLATFORM_PACKAGES).join(', ')}).\n` +
      '  Use the container image (docker run -p 3001:3001 wsgate), build from source\n' +
      '  (the wsgate README, "Install"), or point WSGATE_BINARY at a wsgate executable.');
  }
  let dir;
  try {
    dir = path.dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    throw new WsgateBinaryError(
      `wsgate: the package ${pkg}, which carries the ${key} binary, is not installed.\n` +
      '  It is an optional dependency of wsgate: reinstall without --omit=optional / --no-optional\n' +
      `  (npm install wsgate ${pkg}), or point WSGATE_BINARY at a wsgate executable.`);
  }
  const bin = path.join(dir, 'bin', 'wsgate');
  if (!fs.existsSync(bin)) throw new WsgateBinaryError(`wsgate: ${bin} is missing from ${pkg}; reinstall it`);
  return bin;
}

module.exports = { binaryPath, PLATFORM_PACKAGES, WsgateBinaryError };
