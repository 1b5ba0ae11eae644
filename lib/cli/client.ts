/** The CLI's client: where to connect and as whom, from the command line and the standard AWS environment. */
import { RxS3, type RxS3Options } from '../index';
import { DEFAULT_MAX_SOCKETS } from '../internal/timeouts';
import type { Options } from './args';

/** The settings the CLI resolved, before building the client. */
export interface Connection {
  readonly endpoint: string | undefined;
  readonly region: string | undefined;
  readonly profile: string | undefined;
  readonly forcePathStyle: boolean;
  /** Connections per host: enough for `--concurrency` requests at once (never fewer than the library's 50). */
  readonly maxSockets: number | undefined;
}

/**
 * Resolves the connection: `--endpoint-url`, then `AWS_ENDPOINT_URL_S3`, then `AWS_ENDPOINT_URL`; `--region`,
 * then `AWS_REGION`, then `AWS_DEFAULT_REGION` (else the profile's, through the SDK); path-style addressing by
 * default whenever an endpoint is given. Credentials are left to the SDK's default chain (environment variables,
 * `AWS_PROFILE` / `--profile` in the shared files, SSO, instance roles). A `--concurrency` above 50 raises the
 * connections per host to match (the command itself checks the value).
 */
export function resolveConnection(options: Options, env: NodeJS.ProcessEnv): Connection {
  const nonEmpty = (value: string | undefined): string | undefined => (value === undefined || value === '' ? undefined : value);
  const endpoint = nonEmpty(options.string('endpoint-url')) ?? nonEmpty(env.AWS_ENDPOINT_URL_S3) ?? nonEmpty(env.AWS_ENDPOINT_URL);
  return {
    endpoint,
    region: nonEmpty(options.string('region')) ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION),
    profile: nonEmpty(options.string('profile')),
    forcePathStyle: options.maybeFlag('force-path-style') ?? endpoint !== undefined,
    maxSockets: socketsFor(options.string('concurrency')),
  };
}

function socketsFor(concurrency: string | undefined): number | undefined {
  const n = concurrency !== undefined && /^\d+$/.test(concurrency) ? Number(concurrency) : Number.NaN;
  return Number.isSafeInteger(n) && n > DEFAULT_MAX_SOCKETS ? n : undefined;
}

/** The live upload ids a client created and did not complete: what Ctrl-C reports as aborted. */
export interface UploadTracker {
  /** Multipart uploads created and not (yet) completed. */
  readonly open: ReadonlySet<string>;
  /** Of those, the ones an AbortMultipartUpload succeeded for. */
  readonly aborted: ReadonlySet<string>;
}

/** Builds the client, with a read-only middleware that notes multipart upload ids (for `{ "kind": "cancelled" }`). */
export function buildClient(connection: Connection): { readonly rx: RxS3; readonly uploads: UploadTracker } {
  const options: RxS3Options = {
    endpoint: connection.endpoint,
    region: connection.region,
    forcePathStyle: connection.forcePathStyle,
    maxSockets: connection.maxSockets,
    clientConfig: connection.profile === undefined ? undefined : { profile: connection.profile },
  };
  const rx = new RxS3(options);
  const open = new Set<string>();
  const aborted = new Set<string>();
  rx.client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const input = args.input as { UploadId?: unknown };
      const output = result.output as { UploadId?: unknown };
      if (context.commandName === 'CreateMultipartUploadCommand' && typeof output.UploadId === 'string') open.add(output.UploadId);
      if (context.commandName === 'CompleteMultipartUploadCommand' && typeof input.UploadId === 'string') open.delete(input.UploadId);
      if (context.commandName === 'AbortMultipartUploadCommand' && typeof input.UploadId === 'string') aborted.add(input.UploadId);
      return result;
    },
    { step: 'initialize', name: 'rxS3CliUploadTracker' },
  );
  return { rx, uploads: { open, aborted } };
}
