// An ES module in a .js file (package.json "type": "module") with a nested handler path and a
// context.succeed-style (legacy) answer.
export const handlers = {
  reply: (event, context) => {
    context.succeed({ statusCode: 200, body: JSON.stringify({ esmjs: JSON.parse(event.body).message, fn: context.functionName }) });
  },
};
