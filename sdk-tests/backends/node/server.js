// Sample wsgate backend (no framework). wsgate POSTs one Lambda-proxy event per $connect, message
// and $disconnect to this server (start wsgate with --backend http://127.0.0.1:9000/). On a message
// ($default route) it echoes the body back to the sender through the management API, the same call a
// Lambda makes on AWS.
//
//   PORT=9000 WSGATE_ENDPOINT=http://127.0.0.1:3001/local node server.js
//
// Env: PORT (default 9000; 0 = any free port), WSGATE_ENDPOINT (management API base URL incl. stage;
// default: https://{requestContext.domainName}/{requestContext.stage}, as on AWS; needs
// NODE_EXTRA_CA_CERTS=<wsgate ca's path>), AWS_REGION (us-east-1),
// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (any value unless wsgate runs with --auth strict).
import http from 'node:http';
import { pathToFileURL } from 'node:url';
import {
  ApiGatewayManagementApiClient,
  GoneException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';

const clients = new Map(); // endpoint -> client

function managementClient(event) {
  const ctx = event.requestContext;
  // the URL AWS's documentation builds; wsgate serves https on its port (trust its CA: `wsgate ca`)
  const endpoint = process.env.WSGATE_ENDPOINT || `https://${ctx.domainName}/${ctx.stage}`;
  if (!clients.has(endpoint)) {
    clients.set(endpoint, new ApiGatewayManagementApiClient({
      endpoint,
      region: process.env.AWS_REGION || 'us-east-1',
      credentials: {
        accessKeyId: process.env.AWS_ACCESS_KEY_ID || 'AKIDWSGATE',
        secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY || 'wsgate-secret',
      },
    }));
  }
  return clients.get(endpoint);
}

// The "Lambda handler": returns a Lambda proxy result.
export async function handler(event) {
  const { routeKey, connectionId } = event.requestContext;
  if (routeKey === '$connect' || routeKey === '$disconnect') return { statusCode: 200 };
  const data = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64') : (event.body ?? '');
  try {
    await managementClient(event).send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: data }));
  } catch (e) {
    if (e instanceof GoneException) return { statusCode: 410 }; // the client left meanwhile
    throw e;
  }
  return { statusCode: 200 };
}

export function createServer() {
  return http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      let result;
      try {
        result = await handler(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch (e) {
        console.error(`handler failed: ${e.name}: ${e.message}`);
        result = { statusCode: 500 };
      }
      const body = JSON.stringify(result);
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const server = createServer();
  server.listen(Number(process.env.PORT ?? 9000), '127.0.0.1', () => {
    console.log(`backend listening on http://127.0.0.1:${server.address().port}`);
  });
}
