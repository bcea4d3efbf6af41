// Compiled with `tsc --noEmit --strict` by run.sh: the published types describe the API as the tests use it.
import { startWsgate, binaryPath, WsgateBinaryError, type Wsgate, type WsgateOptions, type WsgateExit } from 'wsgate';

async function usage(): Promise<WsgateExit> {
  const opts: WsgateOptions = {
    routes: { $default: { uri: 'http://127.0.0.1:4000/' } },
    port: 0,
    auth: 'strict',
    credentials: ['AKID:SECRET', { accessKeyId: 'AKID2', secretAccessKey: 'S2' }],
    onLog: (line: string) => void line,
  };
  const gw: Wsgate = await startWsgate(opts);
  const url: string = gw.wsUrl + gw.managementEndpoint + gw.region;
  const port: number = gw.port;
  const lines: string[] = gw.logs;
  void url; void port; void lines;
  // @ts-expect-error auth is one of none|sigv4|strict
  await startWsgate({ auth: 'open' });
  try { binaryPath({ platform: 'darwin', arch: 'arm64' }); } catch (e) { if (e instanceof WsgateBinaryError) throw e; }
  return gw.stop({ timeoutMs: 5000 });
}
void usage;
