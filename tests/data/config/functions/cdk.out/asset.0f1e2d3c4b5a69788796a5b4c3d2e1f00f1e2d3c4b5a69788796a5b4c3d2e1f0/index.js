// The CDK asset of tests/data/config/functions/cdk.out/ChatStack.template.json (CommonJS).
exports.connect = async () => ({ statusCode: 200 });
exports.message = async (event) => ({ statusCode: 200, body: event.body });
