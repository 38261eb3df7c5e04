/** One Temporal connection per process, shared by every request (never one per request). */
import { readFileSync } from 'node:fs';
import { Client, Connection, type ClientInterceptors } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import type { Config } from '../config';
import { dataConverterOf } from './codec';
import { payloadCodecFromConfig } from './payload-keys';

export interface TemporalTarget {
  address: string;
  namespace: string;
  tlsCertPath?: string;
  tlsKeyPath?: string;
  apiKey?: string;
  /** Encrypts every payload this process sends and decrypts what it reads (src/temporal/codec.ts); undefined: encryption off. */
  payloadCodec?: PayloadCodec;
}

export function targetFromConfig(config: Config, fallbackAddress?: string): TemporalTarget {
  const address = config.TEMPORAL_ADDRESS ?? fallbackAddress;
  if (!address) throw new Error('TEMPORAL_ADDRESS is not set: point it at a Temporal frontend (host:port), or use `npm run dev` for an embedded one.');
  return { address, namespace: config.TEMPORAL_NAMESPACE, tlsCertPath: config.TEMPORAL_TLS_CERT_PATH,
    tlsKeyPath: config.TEMPORAL_TLS_KEY_PATH, apiKey: config.TEMPORAL_API_KEY, payloadCodec: payloadCodecFromConfig(config) };
}

export function connectionOptions(target: TemporalTarget) {
  const mtls = target.tlsCertPath && target.tlsKeyPath
    ? { clientCertPair: { crt: readFileSync(target.tlsCertPath), key: readFileSync(target.tlsKeyPath) } }
    : undefined;
  return {
    address: target.address,
    tls: mtls ?? (target.apiKey ? true : undefined),
    apiKey: target.apiKey,
  };
}

/** `interceptors`: e.g. tracing's, which carry the caller's trace into the workflows it starts (src/telemetry/tracing.ts). */
export async function connectClient(target: TemporalTarget, opts: { interceptors?: ClientInterceptors } = {})
  : Promise<{ client: Client; connection: Connection; payloadCodec?: PayloadCodec; ping(): Promise<void> }> {
  const connection = await Connection.connect(connectionOptions(target));
  const client = new Client({ connection, namespace: target.namespace, interceptors: opts.interceptors, dataConverter: dataConverterOf(target.payloadCodec) });
  return {
    client,
    connection,
    payloadCodec: target.payloadCodec,
    ping: async () => {
      await connection.workflowService.getSystemInfo({});
    },
  };
}
