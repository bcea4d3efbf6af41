exports.other = async () => ({ statusCode: 200 });
