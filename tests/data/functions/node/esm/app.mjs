// An ES-module handler using the AWS SDK v3, as a SAM chat sample would (tests/e2e/test_functions.py).
import { ApiGatewayManagementApiClient, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { act } from '../common.cjs';

export const handler = async (event, context) => {
  const { routeKey, connectionId, domainName, stage } = event.requestContext;
  console.log(`route ${routeKey} connection ${connectionId}`);
  if (routeKey === '$connect' || routeKey === '$disconnect') return { statusCode: 200 };
  const body = JSON.parse(event.body || '{}');
  const client = new ApiGatewayManagementApiClient({ endpoint: `https://${domainName}/${stage}` }); // as AWS documents it: wsgate serves TLS on the same port
  const post = (data) => client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: JSON.stringify(data) }));
  return act('node-esm', body, context, post);
};
