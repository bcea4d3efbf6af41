// This suite's helpers: the shared ones (../../js-common/helpers.js) with this suite's `ws`.
import WebSocket from 'ws';
import { useWebSocket } from '../../js-common/helpers.js';

useWebSocket(WebSocket);
export { ASCII, UTF8, USER_AGENT, gate, openPeer, pattern } from '../../js-common/helpers.js';
