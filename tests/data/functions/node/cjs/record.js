// Appends "ROUTE CONNECTION_ID PID" to $RECORD_FILE for every event: the tests count $disconnects.
const fs = require('fs');

exports.handler = async (event) => {
  const { routeKey, connectionId } = event.requestContext;
  fs.appendFileSync(process.env.RECORD_FILE, `${routeKey} ${connectionId} ${process.pid}\n`);
  if (event.body && JSON.parse(event.body).sleep) await new Promise((r) => setTimeout(r, JSON.parse(event.body).sleep));
  return { statusCode: 200, body: JSON.stringify({ recorded: routeKey, pid: process.pid }) };
};
