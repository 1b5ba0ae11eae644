import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { CONFIGURATION_ERROR, redactSecrets } from '../errors';

/**
 * The configuration problems a user can type into `new RxS3({...})`, found without sending anything. The
 * constructor never throws for them: it builds a client whose every request fails, before anything is sent,
 * with the problem (see {@link clientFor}), so every operation emits it as its one `Err(InvalidInput)`. Option
 * values that are providers (functions) are left to the SDK.
 */
export interface ConfigInput {
  readonly endpoint?: unknown;
  readonly region?: unknown;
  readonly credentials?: unknown;
  readonly maxAttempts?: unknown;
  readonly maxSockets?: unknown;
  readonly metadataCache?: unknown;
  /** The problem with the proxy or CA settings, found when they were resolved (`networkSettings`). */
  readonly network?: string;
}

/** A DNS label, as the SDK checks regions (it would otherwise fail late, or throw from the constructor on ''). */
const REGION = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;
const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/** The first problem of the options, as a sentence, or undefined. */
export function configProblem(options: ConfigInput): string | undefined {
  const { endpoint, region, credentials, maxAttempts, maxSockets, metadataCache } = options;
  if (endpoint !== undefined && typeof endpoint === 'string') {
    const shown = JSON.stringify(redactSecrets(endpoint));
    if (!SCHEME.test(endpoint)) return `endpoint ${shown} has no scheme: write http://${redactSecrets(endpoint)} or https://...`;
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      return `endpoint ${shown} is not a valid URL`;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return `endpoint ${shown} must be an http:// or https:// URL, not ${url.protocol}//`;
    if (url.hostname === '') return `endpoint ${shown} names no host`;
  }
  if (typeof region === 'string' && !REGION.test(region)) {
    return region === '' ? 'region is empty: name one (e.g. us-east-1) or leave it out' : `region ${JSON.stringify(region)} is not a valid region name`;
  }
  if (credentials !== undefined && typeof credentials === 'object' && credentials !== null) {
    const { accessKeyId, secretAccessKey } = credentials as { accessKeyId?: unknown; secretAccessKey?: unknown };
    if (typeof accessKeyId !== 'string' || accessKeyId === '') return 'credentials.accessKeyId is missing or empty';
    if (typeof secretAccessKey !== 'string' || secretAccessKey === '') return 'credentials.secretAccessKey is missing or empty';
  }
  if (maxAttempts !== undefined && typeof maxAttempts !== 'function' && (typeof maxAttempts !== 'number' || !Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 100)) {
    return `maxAttempts must be a whole number from 1 to 100, got ${String(maxAttempts)}`;
  }
  if (maxSockets !== undefined && validMaxSockets(maxSockets) === undefined) {
    return `maxSockets must be a whole number from 1, got ${String(maxSockets)}`;
  }
  if (typeof metadataCache === 'object' && metadataCache !== null) {
    const { maxEntries, ttlMs } = metadataCache as { maxEntries?: unknown; ttlMs?: unknown };
    if (maxEntries !== undefined && !(typeof maxEntries === 'number' && Number.isInteger(maxEntries) && maxEntries >= 1)) {
      return `metadataCache.maxEntries must be a whole number from 1, got ${String(maxEntries)}`;
    }
    if (ttlMs !== undefined && !(typeof ttlMs === 'number' && ttlMs >= 0 && !Number.isNaN(ttlMs))) return `metadataCache.ttlMs must be a number of milliseconds from 0, got ${String(ttlMs)}`;
  }
  return options.network;
}

/** `maxSockets` when it is a whole number from 1 (else undefined: the default, and {@link configProblem} says why). */
export function validMaxSockets(maxSockets: unknown): number | undefined {
  return typeof maxSockets === 'number' && Number.isInteger(maxSockets) && maxSockets >= 1 ? maxSockets : undefined;
}

/**
 * Builds the client for `config`, or, when the configuration is wrong (`problem`, or the SDK's constructor
 * throws), a harmless client whose every command fails at its first middleware, before any request is built,
 * signed or sent, with an error {@link toS3Error} maps to `InvalidInput` (code `InvalidConfiguration`).
 */
export function clientFor(config: S3ClientConfig, problem: string | undefined): S3Client {
  let reason = problem;
  if (reason === undefined) {
    try {
      return new S3Client(config);
    } catch (thrown) {
      reason = `the S3 client configuration was refused: ${thrown instanceof Error ? thrown.message : String(thrown)}`;
    }
  }
  const client = new S3Client({ region: 'us-east-1' });
  const message = `invalid RxS3 configuration: ${reason}`;
  client.middlewareStack.add(
    () => () => Promise.reject(Object.assign(new Error(message), { name: CONFIGURATION_ERROR })),
    { step: 'initialize', priority: 'high', name: 'rxS3ConfigurationProblem' },
  );
  return client;
}
