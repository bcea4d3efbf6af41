// aws-sdk v2 `AWS.ApiGatewayManagementApi` against wsgate.
import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import AWS from 'aws-sdk';
import { ASCII, UTF8, USER_AGENT, gate, openPeer, pattern } from './helpers.js';

const g = gate();
const makeClient = (secretAccessKey = g.secretAccessKey) => new AWS.ApiGatewayManagementApi({
  endpoint: g.endpoint,
  region: g.region,
  credentials: new AWS.Credentials({ accessKeyId: g.accessKeyId, secretAccessKey }),
  maxRetries: 0,
});
const client = makeClient();
const post = (id, Data, c = client) => c.postToConnection({ ConnectionId: id, Data }).promise();

let peer;
beforeEach(async () => { peer = await openPeer(g); });
afterEach(() => peer.close());

const hasCode = (code, status) => (e) => {
  assert.equal(e.code, code, `got ${e.code} (${e.statusCode}): ${e.message}`);
  assert.equal(e.statusCode, status);
  return true;
};

test('postToConnection delivers ASCII', async () => {
  await post(peer.id, ASCII);
  assert.equal((await peer.nextText()).toString('utf8'), ASCII);
});

test('postToConnection delivers multi-byte UTF-8 unchanged', async () => {
  await post(peer.id, Buffer.from(UTF8, 'utf8'));
  const got = await peer.nextText();
  assert.deepEqual(got, Buffer.from(UTF8, 'utf8'));
  assert.equal(got.toString('utf8'), UTF8);
});

test('postToConnection delivers 100 KB', async () => {
  const data = pattern(100 * 1024);
  await post(peer.id, data);
  const got = await peer.nextText();
  assert.equal(got.length, data.length);
  assert.ok(got.equals(data));
});

test('postToConnection accepts exactly 131072 bytes', async () => {
  const data = pattern(131072);
  await post(peer.id, data);
  assert.ok((await peer.nextText()).equals(data));
});

test('131073 bytes fail with PayloadTooLargeException', async () => {
  await assert.rejects(post(peer.id, pattern(131073)), hasCode('PayloadTooLargeException', 413));
  await post(peer.id, 'still open');
  assert.equal((await peer.nextText()).toString(), 'still open');
});

test('getConnection parses into typed fields', async () => {
  const r = await client.getConnection({ ConnectionId: peer.id }).promise();
  assert.ok(r.ConnectedAt instanceof Date, 'ConnectedAt is a Date');
  assert.ok(r.LastActiveAt instanceof Date, 'LastActiveAt is a Date');
  assert.ok(Math.abs(Date.now() - r.ConnectedAt.getTime()) < 300000);
  assert.ok(r.LastActiveAt.getTime() >= r.ConnectedAt.getTime());
  assert.equal(r.Identity.SourceIp, '127.0.0.1');
  assert.equal(r.Identity.UserAgent, USER_AGENT);
});

test('deleteConnection closes the client with 1000, then every call fails with GoneException', async () => {
  await client.deleteConnection({ ConnectionId: peer.id }).promise();
  assert.equal((await peer.closeEvent()).code, 1000);
  await assert.rejects(post(peer.id, 'too late'), hasCode('GoneException', 410));
  await assert.rejects(client.getConnection({ ConnectionId: peer.id }).promise(), hasCode('GoneException', 410));
  await assert.rejects(client.deleteConnection({ ConnectionId: peer.id }).promise(), hasCode('GoneException', 410));
});

test('an unknown connectionId fails with GoneException', async () => {
  await assert.rejects(post('AAAAAAAAAAAAAAA=', 'x'), hasCode('GoneException', 410));
});

test('wrong secret: InvalidSignatureException in strict mode, accepted in sigv4 mode', async () => {
  const bad = makeClient('not-the-secret');
  if (g.auth === 'strict') {
    await assert.rejects(post(peer.id, 'forged', bad), hasCode('InvalidSignatureException', 403));
    await post(peer.id, 'signed');
    assert.equal((await peer.nextText()).toString(), 'signed');
  } else {
    await post(peer.id, 'any key', bad);
    assert.equal((await peer.nextText()).toString(), 'any key');
  }
});
