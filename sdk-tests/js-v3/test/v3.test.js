// @aws-sdk/client-apigatewaymanagementapi (JS v3) against wsgate.
import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import {
  ApiGatewayManagementApiClient,
  ApiGatewayManagementApiServiceException,
  DeleteConnectionCommand,
  GetConnectionCommand,
  GoneException,
  PayloadTooLargeException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { ASCII, UTF8, USER_AGENT, gate, openPeer, pattern } from './helpers.js';

const g = gate();
const makeClient = (secretAccessKey = g.secretAccessKey) => new ApiGatewayManagementApiClient({
  endpoint: g.endpoint,
  region: g.region,
  credentials: { accessKeyId: g.accessKeyId, secretAccessKey },
  maxAttempts: 1,
});
const client = makeClient();
const post = (id, Data, c = client) => c.send(new PostToConnectionCommand({ ConnectionId: id, Data }));

let peer;
beforeEach(async () => { peer = await openPeer(g); });
afterEach(() => peer.close());

test('PostToConnection delivers ASCII', async () => {
  const r = await post(peer.id, ASCII);
  assert.equal(r.$metadata.httpStatusCode, 200);
  assert.equal((await peer.nextText()).toString('utf8'), ASCII);
});

test('PostToConnection delivers multi-byte UTF-8 unchanged', async () => {
  await post(peer.id, Buffer.from(UTF8, 'utf8'));
  const got = await peer.nextText();
  assert.deepEqual(got, Buffer.from(UTF8, 'utf8'));
  assert.equal(got.toString('utf8'), UTF8);
});

test('PostToConnection delivers 100 KB', async () => {
  const data = pattern(100 * 1024);
  await post(peer.id, data);
  const got = await peer.nextText();
  assert.equal(got.length, data.length);
  assert.ok(got.equals(data));
});

test('PostToConnection accepts exactly 131072 bytes', async () => {
  const data = pattern(131072);
  await post(peer.id, data);
  assert.ok((await peer.nextText()).equals(data));
});

test('131073 bytes raise PayloadTooLargeException', async () => {
  await assert.rejects(post(peer.id, pattern(131073)), (e) => {
    assert.ok(e instanceof PayloadTooLargeException, `got ${e.name}: ${e.message}`);
    assert.equal(e.name, 'PayloadTooLargeException');
    assert.equal(e.$metadata.httpStatusCode, 413);
    return true;
  });
  await post(peer.id, 'still open');
  assert.equal((await peer.nextText()).toString(), 'still open');
});

test('GetConnection parses into typed fields', async () => {
  const r = await client.send(new GetConnectionCommand({ ConnectionId: peer.id }));
  assert.ok(r.ConnectedAt instanceof Date, 'ConnectedAt is a Date');
  assert.ok(r.LastActiveAt instanceof Date, 'LastActiveAt is a Date');
  assert.ok(!Number.isNaN(r.ConnectedAt.getTime()));
  assert.ok(Math.abs(Date.now() - r.ConnectedAt.getTime()) < 300000);
  assert.ok(r.LastActiveAt.getTime() >= r.ConnectedAt.getTime());
  assert.equal(r.Identity.SourceIp, '127.0.0.1');
  assert.equal(r.Identity.UserAgent, USER_AGENT);
});

test('DeleteConnection closes the client with 1000, then every call raises GoneException', async () => {
  const r = await client.send(new DeleteConnectionCommand({ ConnectionId: peer.id }));
  assert.equal(r.$metadata.httpStatusCode, 204);
  assert.equal((await peer.closeEvent()).code, 1000);
  const gone = (e) => {
    assert.ok(e instanceof GoneException, `got ${e.name}: ${e.message}`);
    assert.equal(e.name, 'GoneException');
    assert.equal(e.$metadata.httpStatusCode, 410);
    return true;
  };
  await assert.rejects(post(peer.id, 'too late'), gone);
  await assert.rejects(client.send(new GetConnectionCommand({ ConnectionId: peer.id })), gone);
  await assert.rejects(client.send(new DeleteConnectionCommand({ ConnectionId: peer.id })), gone);
});

test('an unknown connectionId raises GoneException', async () => {
  await assert.rejects(post('AAAAAAAAAAAAAAA=', 'x'), GoneException);
});

test('wrong secret: InvalidSignatureException in strict mode, accepted in sigv4 mode', async () => {
  const bad = makeClient('not-the-secret');
  if (g.auth === 'strict') {
    await assert.rejects(post(peer.id, 'forged', bad), (e) => {
      assert.ok(e instanceof ApiGatewayManagementApiServiceException, `got ${e.name}`);
      assert.equal(e.name, 'InvalidSignatureException');
      assert.equal(e.$metadata.httpStatusCode, 403);
      return true;
    });
    await post(peer.id, 'signed');
    assert.equal((await peer.nextText()).toString(), 'signed');
  } else {
    await post(peer.id, 'any key', bad);
    assert.equal((await peer.nextText()).toString(), 'any key');
  }
});
