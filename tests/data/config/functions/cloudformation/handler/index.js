// The function of tests/data/config/functions/cloudformation/template.yaml: echoes the message.
exports.handler = async (event) => ({ statusCode: 200, body: event.body });
