// A Lambda REQUEST authorizer: allows ?token=allow, denies anything else.
exports.handler = async (event) => {
  const token = (event.queryStringParameters || {}).token;
  return {
    principalId: 'user-' + token,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: token === 'allow' ? 'Allow' : 'Deny', Resource: event.methodArn }],
    },
    context: { tokenSeen: token },
  };
};
