// connect of tests/data/config/functions/serverless/serverless.yml.
module.exports.connect = async () => ({ statusCode: 200 });
