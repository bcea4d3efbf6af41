// What the test handlers do for a message {"action": ..., ...}: shared by the ESM and CJS handlers.
const ENV_KEYS = ['AWS_LAMBDA_FUNCTION_NAME', 'AWS_LAMBDA_FUNCTION_VERSION', 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_LOG_GROUP_NAME', 'AWS_LAMBDA_LOG_STREAM_NAME', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_RUNTIME_API', '_HANDLER', 'LAMBDA_TASK_ROOT', 'TZ', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN', 'GREETING', 'TABLE_NAME'];

exports.act = async (runtime, body, context, post) => {
  switch (body.op || body.action) {
    case 'echo':
      await post({ runtime, echo: body.message, requestId: context.awsRequestId, functionName: context.functionName,
        remaining: context.getRemainingTimeInMillis(), waits: context.callbackWaitsForEmptyEventLoop, pid: process.pid });
      return { statusCode: 200 };
    case 'reply': // a two-way route answer, no callback
      return { statusCode: 200, body: JSON.stringify({ runtime, reply: body.message, pid: process.pid }) };
    case 'env': {
      const env = {};
      for (const k of ENV_KEYS) env[k] = process.env[k];
      await post({ runtime, env });
      return { statusCode: 200 };
    }
    case 'sleep':
      await new Promise((r) => setTimeout(r, body.ms));
      return { statusCode: 200, body: JSON.stringify({ slept: body.ms, pid: process.pid }) };
    case 'crash':
      console.log('about to crash');
      process.exit(3);
      break;
    case 'throw':
      throw new Error('boom: ' + body.message);
    case 'big':
      return { statusCode: 200, body: 'x'.repeat(7 * 1024 * 1024) };
    case 'wrongid': { // answer for another request id, as a buggy runtime would
      const http = require('http');
      const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(':');
      const status = await new Promise((resolve) => {
        const req = http.request({ host, port, method: 'POST', path: '/2018-06-01/runtime/invocation/not-the-id/response' },
          (res) => { res.resume(); resolve(res.statusCode); });
        req.end('{}');
      });
      return { statusCode: 200, body: JSON.stringify({ wrongIdStatus: status }) };
    }
    case 'chatty':
      for (let i = 0; i < body.lines; i++) console.log('line ' + i + ' ' + 'y'.repeat(200));
      return { statusCode: 200, body: 'done' };
    default:
      return { statusCode: 200, body: JSON.stringify({ runtime, unknown: body.op || body.action || null }) };
  }
};
