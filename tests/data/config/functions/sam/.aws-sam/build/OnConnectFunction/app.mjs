// $connect of tests/data/config/functions/sam/template.yaml: accepts every client.
export const handler = async (event) => {
  return { statusCode: 200, body: `connected ${event.requestContext.connectionId}` };
};
