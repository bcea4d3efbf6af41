/*
 * wsgate's Node.js runtime client: speaks the Lambda Runtime API (AWS_LAMBDA_RUNTIME_API) with
 * Node's own http module, so nothing needs installing or building (AWS's aws-lambda-ric for Node
 * builds a native addon with autotools). What a handler sees follows Lambda's Node.js runtime:
 * - handler "dir/file.fn" (fn may be a dotted path); file.mjs / file.cjs / file.js (ES module when
 *   the nearest package.json says "type": "module"; a CommonJS require that fails with
 *   ERR_REQUIRE_ESM is retried as import());
 * - async handlers (a promise), callback handlers and context.succeed/fail/done (a plain return value
 *   is ignored; without a callback the answer is null once the event loop is empty);
 * - context: awsRequestId, functionName, functionVersion, invokedFunctionArn, memoryLimitInMB,
 *   logGroupName, logStreamName, identity, clientContext, getRemainingTimeInMillis(),
 *   callbackWaitsForEmptyEventLoop (true: a callback result is sent once the event loop is empty);
 * - console lines "TIMESTAMP\tREQUEST_ID\tLEVEL\tmessage";
 * - Runtime.ImportModuleError, Runtime.HandlerNotFound, Runtime.UserCodeSyntaxError (init errors),
 *   Runtime.UnhandledPromiseRejection; errors posted as {errorType, errorMessage, trace}.
 */
'use strict';

const http = require('http');
const path = require('path');
const fs = require('fs');
const util = require('util');
const { pathToFileURL } = require('url');

const api = process.env.AWS_LAMBDA_RUNTIME_API;
const [apiHost, apiPort] = api.split(':');
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const taskRoot = process.env.LAMBDA_TASK_ROOT || process.cwd();
const handlerSpec = process.env._HANDLER || '';

let currentRequestId = undefined;

/* ---- console as Lambda formats it ---- */
const rawWrite = (stream, text) => stream.write(text);
function patchConsole() {
  const levels = { log: 'INFO', info: 'INFO', warn: 'WARN', error: 'ERROR', debug: 'DEBUG', trace: 'TRACE' };
  for (const [method, level] of Object.entries(levels)) {
    const stream = method === 'error' || method === 'warn' ? process.stderr : process.stdout;
    console[method] = (...args) => {
      const line = `${new Date().toISOString()}\t${currentRequestId || 'undefined'}\t${level}\t${util.format(...args)}\n`;
      rawWrite(stream, line);
    };
  }
}

/* ---- Runtime API ---- */
function request(method, urlPath, body, headers) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: apiHost, port: apiPort, method, path: urlPath, agent, headers: headers || {} }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

function errorDocument(err) {
  if (err instanceof Error) {
    return {
      errorType: err.name || 'Error',
      errorMessage: err.message,
      trace: typeof err.stack === 'string' ? err.stack.split('\n') : [],
    };
  }
  if (err !== null && typeof err === 'object') {
    return { errorType: err.errorType || err.name || 'Error', errorMessage: err.errorMessage || err.message || JSON.stringify(err), trace: [] };
  }
  return { errorType: 'string', errorMessage: String(err), trace: [] };
}

async function postError(urlPath, doc) {
  const body = JSON.stringify(doc);
  await request('POST', urlPath, body, {
    'Content-Type': 'application/json',
    'Lambda-Runtime-Function-Error-Type': doc.errorType,
    'Content-Length': Buffer.byteLength(body),
  });
}

async function initError(doc) {
  console.error(`${doc.errorType}: ${doc.errorMessage}`);
  try {
    await postError('/2018-06-01/runtime/init/error', doc);
  } finally {
    process.exit(129);
  }
}

/* ---- loading the handler ---- */
function isEsmFile(file) {
  if (file.endsWith('.mjs')) return true;
  if (file.endsWith('.cjs')) return false;
  let dir = path.dirname(file);
  for (;;) {
    const pj = path.join(dir, 'package.json');
    if (fs.existsSync(pj)) {
      try { return JSON.parse(fs.readFileSync(pj, 'utf8')).type === 'module'; } catch (e) { return false; }
    }
    const up = path.dirname(dir);
    if (up === dir) return false;
    dir = up;
  }
}

function missingModuleHint(err) {
  const text = String(err && err.message);
  const m = text.match(/Cannot find (?:module|package) '([^']+)'/);
  if (m && (m[1].startsWith('@aws-sdk/') || m[1] === 'aws-sdk' || m[1].startsWith('@smithy/'))) {
    return ` (Lambda's Node.js runtime includes the AWS SDK for JavaScript v3; locally, install it where your code ` +
      `can import it: npm install ${m[1].startsWith('@') ? m[1].split('/').slice(0, 2).join('/') : m[1]} in the function's ` +
      `directory or a parent directory. For CommonJS code, NODE_PATH in wsgate's environment also works.)`;
  }
  return '';
}

async function loadHandler() {
  const slash = handlerSpec.lastIndexOf('/');
  const dirPart = slash >= 0 ? handlerSpec.slice(0, slash + 1) : '';
  const rest = slash >= 0 ? handlerSpec.slice(slash + 1) : handlerSpec;
  const dot = rest.indexOf('.');
  if (dot <= 0) {
    return initError({ errorType: 'Runtime.MalformedHandlerName', errorMessage: `Bad handler ${handlerSpec}`, trace: [] });
  }
  const moduleName = dirPart + rest.slice(0, dot);
  const handlerPath = rest.slice(dot + 1);
  const base = path.resolve(taskRoot, moduleName);
  const file = ['.js', '.mjs', '.cjs'].map((ext) => base + ext).find((f) => fs.existsSync(f));
  if (!file) {
    return initError({
      errorType: 'Runtime.ImportModuleError',
      errorMessage: `Error: Cannot find module '${moduleName}'\nRequire stack:\n- ${__filename}`,
      trace: [`Runtime.ImportModuleError: Error: Cannot find module '${moduleName}'`],
    });
  }
  let mod;
  try {
    if (isEsmFile(file)) {
      mod = await import(pathToFileURL(file).href);
    } else {
      try {
        mod = require(file);
      } catch (e) {
        if (e && e.code === 'ERR_REQUIRE_ESM') mod = await import(pathToFileURL(file).href);
        else throw e;
      }
    }
  } catch (e) {
    if (e instanceof SyntaxError) {
      return initError({ errorType: 'Runtime.UserCodeSyntaxError', errorMessage: `${e.name}: ${e.message}`, trace: String(e.stack).split('\n') });
    }
    if (e && (e.code === 'MODULE_NOT_FOUND' || e.code === 'ERR_MODULE_NOT_FOUND')) {
      return initError({ errorType: 'Runtime.ImportModuleError', errorMessage: `Error: ${e.message}${missingModuleHint(e)}`, trace: String(e.stack).split('\n') });
    }
    return initError(errorDocument(e));
  }
  let fn = mod;
  for (const part of handlerPath.split('.')) fn = fn == null ? undefined : fn[part];
  if (typeof fn !== 'function' && mod && mod.default && typeof mod.default === 'object') {
    /* CommonJS through import(): exports live on default */
    fn = mod.default;
    for (const part of handlerPath.split('.')) fn = fn == null ? undefined : fn[part];
  }
  if (typeof fn !== 'function') {
    return initError({ errorType: 'Runtime.HandlerNotFound', errorMessage: `${moduleName}.${handlerPath} is undefined or not exported`, trace: [] });
  }
  return fn;
}

/* ---- one invocation ---- */
function makeContext(headers, finish) {
  const deadline = Number(headers['lambda-runtime-deadline-ms']);
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: headers['lambda-runtime-invoked-function-arn'],
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: headers['lambda-runtime-aws-request-id'],
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    identity: headers['lambda-runtime-cognito-identity'] ? JSON.parse(headers['lambda-runtime-cognito-identity']) : undefined,
    clientContext: headers['lambda-runtime-client-context'] ? JSON.parse(headers['lambda-runtime-client-context']) : undefined,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: (err, result) => finish(err, result, false),
    succeed: (result) => finish(null, result, false),
    fail: (err) => finish(err == null ? 'handled' : err, undefined, false),
  };
  return context;
}

async function sendResult(requestId, err, result) {
  if (err !== null && err !== undefined) {
    const doc = errorDocument(err);
    console.error(`Invoke Error \t${JSON.stringify(doc)}`);
    await postError(`/2018-06-01/runtime/invocation/${requestId}/error`, doc);
    return;
  }
  let body;
  try {
    body = JSON.stringify(result === undefined ? null : result);
  } catch (e) {
    await postError(`/2018-06-01/runtime/invocation/${requestId}/error`, errorDocument(e));
    return;
  }
  await request('POST', `/2018-06-01/runtime/invocation/${requestId}/response`, body, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
  });
}

let pendingFailure = null; /* (err) => void while an invocation runs */

function invoke(handler, event, headers) {
  return new Promise((resolve) => {
    let settled = false;
    const requestId = headers['lambda-runtime-aws-request-id'];
    /* A handler that neither returns a promise nor calls back ends with null once the event loop
     * is empty, as in Lambda's runtime. */
    const onEmptyLoop = () => finish(null, null, false);
    const finish = (err, result, fromCallback) => {
      if (settled) return;
      settled = true;
      pendingFailure = null;
      process.removeListener('beforeExit', onEmptyLoop);
      if (fromCallback && context.callbackWaitsForEmptyEventLoop) {
        /* Lambda sends a callback's result once the event loop is empty */
        process.once('beforeExit', () => resolve(sendResult(requestId, err, result)));
      } else {
        resolve(sendResult(requestId, err, result));
      }
    };
    const context = makeContext(headers, finish);
    pendingFailure = (err) => finish(err, undefined, false);
    try {
      const callback = (err, result) => finish(err, result, true);
      const out = handler(event, context, callback);
      if (out && typeof out.then === 'function') {
        out.then((r) => finish(null, r, false), (e) => finish(e === undefined || e === null ? new Error(String(e)) : e, undefined, false));
      } else if (!settled) {
        /* a plain return value is ignored: the answer comes through the callback or context */
        process.once('beforeExit', onEmptyLoop);
      }
    } catch (e) {
      finish(e, undefined, false);
    }
  });
}

async function main() {
  patchConsole();
  const handler = await loadHandler();
  process.on('uncaughtException', (e) => {
    if (pendingFailure) {
      console.error(`Uncaught Exception \t${JSON.stringify(errorDocument(e))}`);
      const fail = pendingFailure;
      fail(e);
      setTimeout(() => process.exit(129), 100).unref();
    } else {
      console.error(e);
      process.exit(129);
    }
  });
  process.on('unhandledRejection', (reason) => {
    const err = new Error(String(reason && reason.message ? reason.message : reason));
    err.name = 'Runtime.UnhandledPromiseRejection';
    if (pendingFailure) pendingFailure(err);
    setTimeout(() => process.exit(128), 100).unref();
  });
  for (;;) {
    const next = await request('GET', '/2018-06-01/runtime/invocation/next');
    if (next.status !== 200) {
      process.exit(next.status === 410 ? 0 : 1);
    }
    const requestId = next.headers['lambda-runtime-aws-request-id'];
    currentRequestId = requestId;
    if (next.headers['lambda-runtime-trace-id']) process.env._X_AMZN_TRACE_ID = next.headers['lambda-runtime-trace-id'];
    else delete process.env._X_AMZN_TRACE_ID;
    let event;
    try {
      event = JSON.parse(next.body);
    } catch (e) {
      await sendResult(requestId, e);
      continue;
    }
    await invoke(handler, event, next.headers);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
