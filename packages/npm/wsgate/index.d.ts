import type { ChildProcess } from 'node:child_process';

export type WsgateCredentials = { accessKeyId: string; secretAccessKey: string } | `${string}:${string}`;

export interface WsgateOptions {
  /** A config file path (JSON/YAML/SAM/CloudFormation/serverless.yml...), or the config as an object. */
  config?: string | Record<string, unknown>;
  /** Route key -> route, as the config file's "routes" (e.g. {"$default": {"uri": "http://127.0.0.1:4000/"}}). */
  routes?: Record<string, Record<string, unknown>>;
  /** Function name -> target, as the config file's "functions"; relative codeUri are resolved against cwd. */
  functions?: Record<string, string | Record<string, unknown>>;
  /** The $connect REQUEST authorizer, as the config file's "authorizer". */
  authorizer?: Record<string, unknown>;
  /** --backend: one URL for $connect, $disconnect and $default. Without routes or backend: the demo echo backend. */
  backend?: string;
  /** Listen port; 0 (the default) picks a free one. */
  port?: number;
  /** Listen address (default 127.0.0.1). */
  host?: string;
  stage?: string;
  region?: string;
  /** Management API authentication (default sigv4: any key, signature checked). */
  auth?: 'none' | 'sigv4' | 'strict';
  credentials?: WsgateCredentials | WsgateCredentials[];
  verbose?: boolean;
  /** --test-control: wsgate's test-control API, and GET /_wsgate/connections without a signature
   *  (otherwise it is guarded like @connections). Not part of AWS. */
  testControl?: boolean;
  /** More command-line flags, appended last (they win). */
  args?: string[];
  /** Extra environment for the wsgate process. */
  env?: Record<string, string>;
  cwd?: string;
  /** A wsgate executable to run instead of the packaged one (also: WSGATE_BINARY). */
  binary?: string;
  /** How long to wait for /health (default 15000 ms). */
  startTimeoutMs?: number;
  /** Called with every log line as it arrives. */
  onLog?: (line: string) => void;
}

export interface WsgateExit { code: number | null; signal: NodeJS.Signals | null; error?: Error }

export interface Wsgate {
  /** ws://127.0.0.1:PORT/STAGE */
  readonly wsUrl: string;
  /** http://127.0.0.1:PORT/STAGE: the `endpoint` of ApiGatewayManagementApiClient. */
  readonly managementEndpoint: string;
  readonly port: number;
  readonly region: string;
  readonly pid: number;
  readonly process: ChildProcess;
  /** Every log line so far (stdout and stderr). */
  readonly logs: string[];
  readonly exited: WsgateExit | null;
  /** SIGTERM, then wait: every client gets close 1001 and every $disconnect is delivered first. SIGKILL after timeoutMs (10000). */
  stop(options?: { timeoutMs?: number }): Promise<WsgateExit>;
}

export declare function startWsgate(options?: WsgateOptions): Promise<Wsgate>;
export declare function binaryPath(options?: { platform?: string; arch?: string; env?: Record<string, string | undefined> }): string;
export declare class WsgateBinaryError extends Error {}
