// A handler written the way AWS's sample chat app writes it: the management endpoint is the
// hard-coded AWS host name, https://{apiId}.execute-api.{region}.amazonaws.com/{stage}, not the
// event's domainName. Used by test/recipe.test.js to prove README's host-name recipe ("TLS and
// callback URLs"): with that name mapped to wsgate, port 443 served (--listen 127.0.0.1:443) and
// wsgate's CA trusted (NODE_EXTRA_CA_CERTS), this code runs unchanged.
//
//   PORT=9000 AWS_REGION=us-east-1 NODE_EXTRA_CA_CERTS=$(wsgate ca | head -n1) node aws-host-handler.js
import http from 'node:http';
import { ApiGatewayManagementApiClient, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';

export async function handler(event) {
  const { routeKey, connectionId, apiId, stage } = event.requestContext;
  if (routeKey !== '$default') return { statusCode: 200 };
  const endpoint = `https://${apiId}.execute-api.${process.env.AWS_REGION}.amazonaws.com/${stage}`;
  const client = new ApiGatewayManagementApiClient({ endpoint });  // region and keys from the environment
  await client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: `via ${endpoint}: ${event.body}` }));
  return { statusCode: 200 };
}

const server = http.createServer((req, res) => {
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
server.listen(Number(process.env.PORT ?? 9000), '127.0.0.1', () => {
  console.log(`handler listening on http://127.0.0.1:${server.address().port}`);
});
