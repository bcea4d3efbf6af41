import { GenericContainer, AbstractStartedContainer, StartedTestContainer } from 'testcontainers';

export declare const WSGATE_PORT: 3001;

export declare class WsgateContainer extends GenericContainer {
  constructor(image?: string);
  withBackend(url: string): this;
  withConfigFile(hostPath: string): this;
  withAuth(mode: 'none' | 'sigv4' | 'strict'): this;
  withCredentials(accessKeyId: string, secretAccessKey: string): this;
  withStage(stage: string): this;
  withRegion(region: string): this;
  withVerbose(): this;
  withTestControl(): this;
  withHostIp(hostIp: string): this;
  start(): Promise<StartedWsgateContainer>;
}

export declare class StartedWsgateContainer extends AbstractStartedContainer {
  constructor(started: StartedTestContainer, stage: string);
  getPort(): number;
  getWsUrl(): string;
  getManagementEndpoint(): string;
}
