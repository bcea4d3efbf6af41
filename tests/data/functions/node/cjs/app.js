// A CommonJS callback handler using the AWS SDK v3 (tests/e2e/test_functions.py).
const { ApiGatewayManagementApiClient, PostToConnectionCommand } = require('@aws-sdk/client-apigatewaymanagementapi');
const { act } = require('../common.cjs');

exports.handler = (event, context, callback) => {
  const { routeKey, connectionId, domainName, stage } = event.requestContext;
  console.log(`route ${routeKey} connection ${connectionId}`);
  if (routeKey === '$connect' || routeKey === '$disconnect') return callback(null, { statusCode: 200 });
  const body = JSON.parse(event.body || '{}');
  const client = new ApiGatewayManagementApiClient({ endpoint: `http://${domainName}/${stage}` }); // plain http:// works too
  const post = (data) => client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: JSON.stringify(data) }));
  act('node-cjs', body, context, post).then((r) => callback(null, r), (e) => callback(e));
};
