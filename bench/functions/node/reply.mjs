// bench/functions.sh (kind node-reply): answers on a two-way route, no SDK call: the round trip is
// then wsgate's own path (frame -> event -> Runtime API -> result -> frame) plus the runtime's.
export const handler = async (event) => ({ statusCode: 200, body: event.body });
