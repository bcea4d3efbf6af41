// bench/functions.sh: echoes each message back to its sender through PostToConnection (AWS SDK v3),
// as a chat function does: client -> route -> function -> @connections -> client.
import { ApiGatewayManagementApiClient, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';

let client;
export const handler = async (event) => {
  const { connectionId, domainName, stage } = event.requestContext;
  client ??= new ApiGatewayManagementApiClient({ endpoint: `http://${domainName}/${stage}` });
  await client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: event.body }));
  return { statusCode: 200 };
};
