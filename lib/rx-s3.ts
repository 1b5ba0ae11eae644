import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import type { Observable } from 'rxjs';
import type { Result } from 'ts-results';
import type { S3Error } from './errors';
import type {
  BucketCreated,
  BucketDeleted,
  BucketList,
  BucketMetadata,
  BucketVersioning,
  CopyEvent,
  DeleteBatch,
  DownloadEvent,
  FileUploadEvent,
  MoveEvent,
  ObjectBody,
  ObjectDeleted,
  ObjectMetadata,
  ObjectPage,
  ObjectTagging,
  ObjectVersionPage,
  ObjectSummary,
  ObjectWritten,
  PresignedPost,
  PresignedUrl,
  PresignMethod,
  StreamEvent,
  UploadEvent,
  WalkPage,
} from './events';
import { registerContext, type ClientContext } from './internal/context';
import { LeanDataPlane } from './internal/lean/data-plane';
import type { DataPlaneMode, PayloadSigning } from './internal/lean/eligibility';
import { Cleanups } from './internal/cleanups';
import { clientFor, configProblem, validMaxSockets } from './internal/config-check';
import { MetadataCache, type MetadataCacheOptions } from './internal/metadata-cache';
import { DIRECT, networkSettings, type CaBundle, type Network } from './internal/network';
import { watchedHandlerOptions, type CallOptions, type TimeoutOptions } from './internal/timeouts';
import { copyObject, type CopyObjectOptions } from './operations/copy-object';
import { createBucket, type CreateBucketOptions } from './operations/create-bucket';
import { deleteBucket } from './operations/delete-bucket';
import { deleteObject, type DeleteObjectOptions } from './operations/delete-object';
import { deleteObjects } from './operations/delete-objects';
import { generatePresignedUrl, type PresignOptions } from './operations/generate-presigned-url';
import { getBucketMetadata } from './operations/get-bucket-metadata';
import { getObject, type GetObjectOptions } from './operations/get-object';
import { getObjectMetadata, type GetObjectMetadataOptions } from './operations/get-object-metadata';
import { listBuckets } from './operations/list-buckets';
import { listObjects, type ListObjectsOptions } from './operations/list-objects';
import { moveObject, type MoveObjectOptions } from './operations/move-object';
import { putObject, type PutBody, type PutObjectOptions } from './operations/put-object';
import { downloadFile, type DownloadFileOptions } from './operations/download-file';
import { downloadStream, type DownloadStreamOptions } from './operations/download-stream';
import { uploadFile, type UploadFileOptions } from './operations/upload-file';
import { uploadStream, type UploadStreamOptions } from './operations/upload-stream';
import type { ObjectRef } from './internal/copy-source';
import type { ObjectTags } from './internal/tags';
import { generatePresignedPost, type PresignPostOptions } from './operations/generate-presigned-post';
import { getBucketVersioning } from './operations/get-bucket-versioning';
import { putBucketVersioning } from './operations/put-bucket-versioning';
import { listObjectVersions, type ListObjectVersionsOptions } from './operations/list-object-versions';
import { getObjectTagging, type ObjectTaggingOptions } from './operations/get-object-tagging';
import { putObjectTagging } from './operations/put-object-tagging';
import type { BulkEvent } from './bulk-events';
import type { BulkOptions } from './internal/bulk/job';
import { copyPrefix } from './operations/copy-prefix';
import { deletePrefix } from './operations/delete-prefix';
import { downloadPrefix } from './operations/download-prefix';
import { movePrefix } from './operations/move-prefix';
import { sync, type SyncOptions, type SyncPlace } from './operations/sync';
import { uploadDirectory } from './operations/upload-directory';
import { forEachObject, type ForEachObjectOptions } from './operations/for-each-object';
import { sampleKeySpace, type KeySample, type SampleKeySpaceOptions } from './operations/sample-key-space';
import { walkObjects, type WalkObjectsOptions } from './operations/walk-objects';
import type { ObservableInput } from 'rxjs';

/**
 * How to build an {@link RxS3}: the argument of its constructor. Every field is optional: with none, the SDK's
 * usual chain (env, profile) applies.
 *
 * @example
 * ```ts
 * const rx = new RxS3({ endpoint: 'http://127.0.0.1:9000', forcePathStyle: true, maxAttempts: 5,
 *   credentials: { accessKeyId: 'key', secretAccessKey: 'secret' }, metadataCache: true });
 * ```
 */
export interface RxS3Options {
  /**
   * An S3-compatible endpoint (Ceph RGW, MinIO, R2, a local server...). With an endpoint, the checksum defaults
   * become `WHEN_REQUIRED` (see `requestChecksumCalculation`) and the region defaults to `us-east-1`.
   */
  readonly endpoint?: string;
  readonly region?: string;
  readonly credentials?: S3ClientConfig['credentials'];
  /** Address buckets as `endpoint/bucket/key` rather than `bucket.endpoint/key`. Most self-hosted servers need it. */
  readonly forcePathStyle?: boolean;
  /**
   * The SDK's default (`WHEN_SUPPORTED`) sends stream bodies as `aws-chunked` with a trailing CRC32, which many
   * S3-compatible servers store as data or refuse. rx-s3 uses `WHEN_REQUIRED` whenever `endpoint` is set.
   */
  readonly requestChecksumCalculation?: 'WHEN_SUPPORTED' | 'WHEN_REQUIRED';
  readonly responseChecksumValidation?: 'WHEN_SUPPORTED' | 'WHEN_REQUIRED';
  /** Attempts per request, retries included (the SDK's standard retry strategy). Default 3. */
  readonly maxAttempts?: number;
  /** Anything else for the `S3Client` (a custom `requestHandler`, a logger...). The fields above win. */
  readonly clientConfig?: S3ClientConfig;
  /** Use this client as it is, instead of building one; the S3 options above are then ignored. */
  readonly client?: S3Client;
  /** Enable the metadata cache of `getObjectMetadata(..., { cache: true })`: `true` for defaults, or its options. */
  readonly metadataCache?: boolean | MetadataCacheOptions;
  /**
   * Connect and idle timeouts of every request, in milliseconds (see {@link TimeoutOptions}): defaults
   * `{ connectMs: 10_000, idleMs: 30_000 }`; `0` turns one off. Operations that take `timeouts` in their options
   * override them per call, and add a `deadlineMs`. They apply to the client rx-s3 builds; a `client` or a
   * `clientConfig.requestHandler` of your own keeps its own timeouts (build it with {@link clientConfig} to get them).
   *
   * @example
   * ```ts
   * const rx = new RxS3({ endpoint: 'http://127.0.0.1:9000', forcePathStyle: true, timeouts: { connectMs: 2_000, idleMs: 5_000 } });
   * rx.getObjectMetadata('photos', 'cat.jpg').subscribe((r) => r.err && r.val.kind === 'Timeout' && console.error('server stalled'));
   * ```
   */
  readonly timeouts?: TimeoutOptions;
  /**
   * How many connections rx-s3 keeps open to one host, per protocol: default 50 (the SDK's own). Requests beyond it
   * wait for a free connection (their connect and idle timeouts start once they have one; a `deadlineMs` counts the
   * wait). It sizes the client's keep-alive agents and the lean data plane's own pools alike (TLS reader threads
   * share it). Raise it when many transfers run at once, each with its parts or ranges in flight (`concurrency`
   * times `queueSize` of a bulk upload, for example); lower it to be gentle with a small server. A whole number from
   * 1; anything else is `Err(InvalidInput)` (code `InvalidConfiguration`) on every operation. Applies to the client
   * rx-s3 builds, not to a `client` or a `clientConfig.requestHandler` of your own (the lean path then follows that
   * handler's agents).
   *
   * @example
   * ```ts
   * const rx = new RxS3({ endpoint: 'http://127.0.0.1:9000', forcePathStyle: true, maxSockets: 200 });
   * ```
   */
  readonly maxSockets?: number;
  /**
   * Which path HeadObject, GetObject, PutObject and UploadPart take: `'auto'` (default) the lean one (keep-alive
   * connections of its own, or the client's agents for a streamed GET body; signed with SigV4 exactly as the SDK
   * signs, with the client's own credential providers; retried with the client's own retry strategy) whenever the
   * configuration allows, else the SDK's; `'lean'` the same, ignoring middleware you added to the client's stack;
   * `'sdk'` always the SDK's. The environment variable `RXS3_DATA_PLANE` replaces the default. What sends a request
   * to the SDK is listed in docs/reliability.md ("The lean data plane"): your own `requestHandler`, middleware, S3
   * Express or SigV4a endpoints, stream bodies, input fields the lean path does not know.
   */
  readonly dataPlane?: DataPlaneMode;
  /**
   * How the lean path signs upload bodies: `'auto'` (default) `UNSIGNED-PAYLOAD` over https and the body's
   * SHA-256 over http; `'unsigned'` `UNSIGNED-PAYLOAD` with a CRC32 checksum header everywhere (the fast choice on
   * a network you trust); `'signed'` the SHA-256 everywhere.
   */
  readonly payloadSigning?: PayloadSigning;
  /**
   * The forward proxy requests go through: an `http://[user:password@]host[:port]` URL (`http://` may be left out),
   * an `https://` one (TLS to the proxy itself, its certificate checked against `ca`, Node's list without it), a
   * SOCKS5 one (`socks5h://`: the proxy resolves the endpoint's name; `socks5://`: rx-s3 does; port 1080 by
   * default; a user and password per RFC 1929), or `false` for none. Left out, the environment decides as for curl
   * and the AWS CLI: `HTTPS_PROXY` for https endpoints, `HTTP_PROXY` for http ones (lower-case names first),
   * `NO_PROXY` for the hosts that go direct (`*`, host names matching their subdomains too, `host:port`, IP
   * addresses, CIDR blocks); with a URL here, `NO_PROXY` still applies. The environment is read once, when the
   * client is built.
   *
   * Both data paths (the lean one and the SDK's) use it: through an http(s) proxy an https request goes in a
   * `CONNECT` tunnel with TLS to the endpoint over it, a plain-http one in absolute form, and a user and password in
   * the URL are sent as `Proxy-Authorization` (Basic); through a SOCKS proxy every connection is a tunnel. The
   * client's `timeouts` apply through it (a proxy that never answers is a connect timeout, retried, then
   * `Err(Timeout)`); a proxy's refusal is an `Err` (407 or refused SOCKS credentials: `AccessDenied`, code
   * `ProxyAuthenticationRequired`; a 5xx is retried). A URL that cannot be used (a typo, `socks4://`, `ftp://`)
   * does not throw: every operation emits `Err(InvalidInput)` (code `InvalidConfiguration`) and sends nothing. The
   * SDK for JavaScript itself reads no proxy variables. Applies to the client rx-s3 builds, not to a `client` or a
   * `clientConfig.requestHandler` of your own. The STS call that assumes a profile's `role_arn` reuses the client's
   * handler, so it goes through the proxy too; the SDK's other credential providers (SSO, the instance and container
   * metadata services) open their own connections, without it.
   *
   * @example
   * ```ts
   * const rx = new RxS3({ proxy: 'http://alice:s3cret@proxy.corp:3128' }); // AWS S3 through the company proxy
   * // A lab's MinIO through `ssh -D 1080 bastion`, the name resolved on the far side:
   * const lab = new RxS3({ endpoint: 'http://minio.lab:9000', forcePathStyle: true, proxy: 'socks5h://127.0.0.1:1080' });
   * const local = new RxS3({ endpoint: 'http://127.0.0.1:9000', forcePathStyle: true, proxy: false }); // ignore HTTPS_PROXY
   * ```
   */
  readonly proxy?: string | false;
  /**
   * Downloads into files over https (`downloadFile` in ranges) decrypt on worker threads: Node's TLS socket decrypts
   * one 16 KiB record per read on the thread that owns it, so with every range on the main thread the download is
   * bound to one core. `true` (the default) starts one thread per core but one (at least one, at most four: the
   * server or the rest of the application needs a core too; measured best here) on the first such download,
   * each with its own keep-alive connections (trusting what the client's https agent trusts: `ca`,
   * `NODE_EXTRA_CA_CERTS`, `rejectUnauthorized`); a number sets how many; `false` or `0` keeps those downloads on
   * node:https on the main thread. The environment variable `RXS3_TLS_WORKERS` (`0`, or a count) replaces the
   * default. The threads never keep the process alive, and `destroy()` ends them. Only the lean data plane uses them;
   * a verified download gets the CRC32 of each write from the thread that wrote it.
   *
   * @example
   * ```ts
   * const rx = new RxS3({ endpoint: 'https://s3.example.com', tlsWorkers: 2 });
   * rx.downloadFile('backups', 'db.dump', './db.dump').subscribe((r) => r.err && console.error(r.val.message));
   * ```
   */
  readonly tlsWorkers?: boolean | number;
  /**
   * The certificate authorities https endpoints are checked against (PEM text or bytes, or several), instead of
   * Node's default list (see {@link CaBundle}). Left out, the file `AWS_CA_BUNDLE` names is read when the client is
   * built, as the AWS CLI does (the SDK for JavaScript does not read it); a file that cannot be read is
   * `Err(InvalidInput)` (code `InvalidConfiguration`) on every operation, never a throw. Applies to the client
   * rx-s3 builds (both data paths), not to a `client` or a `clientConfig.requestHandler` of your own.
   *
   * @example
   * ```ts
   * import { readFileSync } from 'node:fs';
   * const rx = new RxS3({ endpoint: 'https://minio.lan:9000', forcePathStyle: true, ca: readFileSync('./minio-ca.pem') });
   * ```
   */
  readonly ca?: CaBundle;
}

/**
 * The rx-s3 client: one method per S3 operation, each returning a cold `Observable` of `Result` values.
 *
 * Every method follows one contract: nothing is sent before you subscribe; each subscription sends its own
 * requests; values are emitted as `Ok(...)` (one, one per page, or progress ticks then one `complete`), then the
 * stream completes; any failure (S3, network, local file, bad input) is one `Err(S3Error)` and then completion,
 * never an `error` notification; unsubscribing aborts what is in flight, cleans up, and nothing is emitted after.
 *
 * The constructor never throws for an option a user can mistype (an endpoint without `http://`, an `ftp://` one,
 * an empty region, empty credentials, `maxAttempts` out of range): every operation of such a client emits one
 * `Err` of kind `InvalidInput` (code `InvalidConfiguration`) that says what is wrong, and sends nothing.
 *
 * @example
 * ```ts
 * import { RxS3 } from 'rx-s3';
 * import { lastValueFrom } from 'rxjs';
 *
 * const rx = new RxS3({ endpoint: 'http://127.0.0.1:9000', forcePathStyle: true,
 *   credentials: { accessKeyId: 'key', secretAccessKey: 'secret' } });
 * const result = await lastValueFrom(rx.putObject('photos', 'hello.txt', 'Hello'));
 * if (result.ok) console.log('stored', result.val.etag);
 * else console.error(result.val.kind, result.val.message);
 * ```
 */
export class RxS3 {
  /** The SDK client every request goes through. */
  readonly client: S3Client;
  private readonly ownsClient: boolean;
  private readonly context: ClientContext;

  constructor(options: RxS3Options = {}) {
    this.ownsClient = options.client === undefined;
    // Never throws for a mistyped option: a configuration that cannot work gives a client whose every operation
    // emits the problem as its one Err(InvalidInput), before any request is sent.
    const network = networkOf(options);
    this.client = options.client ?? clientFor(configWith(options, network), configProblem({
      endpoint: options.endpoint ?? options.clientConfig?.endpoint,
      region: options.region ?? options.clientConfig?.region,
      credentials: options.credentials ?? options.clientConfig?.credentials,
      maxAttempts: options.maxAttempts ?? options.clientConfig?.maxAttempts,
      maxSockets: options.maxSockets,
      metadataCache: options.metadataCache,
      network: network.problem,
    }));
    const cache = options.metadataCache;
    this.context = {
      client: this.client,
      data: new LeanDataPlane(this.client, {
        mode: options.dataPlane,
        payloadSigning: options.payloadSigning,
        tlsWorkers: options.tlsWorkers,
        ownHandler: options.client === undefined && options.clientConfig?.requestHandler !== undefined,
        builtHere: options.client === undefined,
      }),
      metadataCache: cache === undefined || cache === false ? undefined : new MetadataCache(cache === true ? {} : cache),
      cleanups: new Cleanups(),
    };
    registerContext(this, this.context);
  }

  /**
   * Creates a bucket. One `Ok(BucketCreated)` or one `Err`, then complete.
   * @example
   * ```ts
   * const created$ = rx.createBucket('photos');
   * ```
   */
  createBucket(bucket: string, options?: CreateBucketOptions): Observable<Result<BucketCreated, S3Error>> {
    return createBucket(this.context, bucket, options);
  }

  /**
   * Reads a bucket's metadata (HeadBucket). One `Ok(BucketMetadata)` or one `Err` (`NoSuchBucket`...), then complete.
   * @example
   * ```ts
   * rx.getBucketMetadata('photos').subscribe((r) => console.log(r.ok ? r.val.region : r.val.kind));
   * ```
   */
  getBucketMetadata(bucket: string, options?: CallOptions): Observable<Result<BucketMetadata, S3Error>> {
    return getBucketMetadata(this.context, bucket, options);
  }

  /**
   * Lists the buckets. One `Ok(BucketList)` or one `Err`, then complete.
   * @example
   * ```ts
   * rx.listBuckets().subscribe((r) => r.ok && r.val.buckets.forEach((b) => console.log(b.name)));
   * ```
   */
  listBuckets(options?: CallOptions): Observable<Result<BucketList, S3Error>> {
    return listBuckets(this.context, options);
  }

  /**
   * Deletes an empty bucket. One `Ok(BucketDeleted)` or one `Err` (`BucketNotEmpty`...), then complete.
   * @example
   * ```ts
   * const deleted$ = rx.deleteBucket('photos');
   * ```
   */
  deleteBucket(bucket: string, options?: CallOptions): Observable<Result<BucketDeleted, S3Error>> {
    return deleteBucket(this.context, bucket, options);
  }

  /**
   * Signs a URL for one GET, PUT, DELETE or HEAD of one object; no request is sent. One `Ok(PresignedUrl)` or one
   * `Err` (`InvalidInput` for a TTL outside 1 s to 7 days), then complete.
   * @example
   * ```ts
   * const url = await lastValueFrom(rx.generatePresignedUrl('GET', 'photos', 'cat.jpg', { ttl: 600 }));
   * if (url.ok) await fetch(url.val.url);
   * ```
   */
  generatePresignedUrl(method: PresignMethod, bucket: string, key: string, options?: PresignOptions): Observable<Result<PresignedUrl, S3Error>> {
    return generatePresignedUrl(this.context, method, bucket, key, options);
  }

  /**
   * Writes an object in one request. One `Ok(ObjectWritten)` or one `Err`, then complete.
   * @example
   * ```ts
   * rx.putObject('photos', 'notes/today.txt', 'hello', { contentType: 'text/plain', checksum: 'MD5' });
   * ```
   */
  putObject(bucket: string, key: string, body: PutBody, options?: PutObjectOptions): Observable<Result<ObjectWritten, S3Error>> {
    return putObject(this.context, bucket, key, body, options);
  }

  /**
   * Reads an object: one `Ok(ObjectBody)` with the body as a Node `Readable`, or one `Err`, then complete.
   * @example
   * ```ts
   * import { text } from 'node:stream/consumers';
   * const got = await lastValueFrom(rx.getObject('photos', 'notes/today.txt'));
   * if (got.ok) console.log(await text(got.val.body));
   * ```
   */
  getObject(bucket: string, key: string, options?: GetObjectOptions): Observable<Result<ObjectBody, S3Error>> {
    return getObject(this.context, bucket, key, options);
  }

  /**
   * Reads an object's metadata (HeadObject), optionally from the client's cache. One `Ok(ObjectMetadata)` or one
   * `Err` (`NoSuchKey`...), then complete.
   * @example
   * ```ts
   * const rx = new RxS3({ metadataCache: { maxEntries: 10_000, ttlMs: 60_000 } });
   * rx.getObjectMetadata('photos', 'cat.jpg', { cache: true }).subscribe(console.log);
   * ```
   */
  getObjectMetadata(bucket: string, key: string, options?: GetObjectMetadataOptions): Observable<Result<ObjectMetadata, S3Error>> {
    return getObjectMetadata(this.context, bucket, key, options);
  }

  /**
   * Lists objects, one `Ok(ObjectPage)` per page, fetched lazily; then complete (or an `Err`, then complete).
   * @example
   * ```ts
   * rx.listObjects('photos', { prefix: '2026/' }).pipe(
   *   filterResultOk(), mergeMap((page) => page.objects),
   * ).subscribe((object) => console.log(object.key, object.size));
   * ```
   */
  listObjects(bucket: string, options?: ListObjectsOptions): Observable<Result<ObjectPage, S3Error>> {
    return listObjects(this.context, bucket, options);
  }

  /**
   * Runs `work` on every listed object, at most `concurrency` at once, fetching the next page only when the keys
   * in hand drop below `refillBelow` (about two pages held whatever the bucket's size). Emits what `work` emits,
   * then complete; a listing failure is one `Err`, then complete.
   * @example
   * ```ts
   * rx.forEachObject('logs', (o) => rx.copyObject({ bucket: 'logs', key: o.key }, { bucket: 'archive', key: o.key }).pipe(takeLast(1)), { prefix: '2025/', concurrency: 16 })
   *   .subscribe((r) => r.err && console.error(r.val.key, r.val.message));
   * ```
   */
  forEachObject<T>(
    bucket: string,
    work: (object: ObjectSummary) => ObservableInput<Result<T, S3Error>>,
    options?: ForEachObjectOptions,
  ): Observable<Result<T, S3Error>> {
    return forEachObject(this.context, bucket, work, options);
  }

  /**
   * Walks every object under a prefix with several listings in flight (by common prefixes, or by key ranges): one
   * `Ok(WalkPage)` per page, in arrival order or (`ordered: true`) key order; then complete, or one `Err`, then
   * complete.
   * @example
   * ```ts
   * rx.walkObjects('logs', { prefix: '2026/', concurrency: 8 }).pipe(filterResultOk(), mergeMap((p) => p.objects))
   *   .subscribe((o) => console.log(o.key));
   * ```
   */
  walkObjects(bucket: string, options?: WalkObjectsOptions): Observable<Result<WalkPage, S3Error>> {
    return walkObjects(this.context, bucket, options);
  }

  /**
   * Samples the key space under a prefix with a few listing requests, for `cutKeyRanges`. One `Ok(KeySample)` or
   * one `Err`, then complete.
   * @example
   * ```ts
   * const sample = await lastValueFrom(rx.sampleKeySpace('logs', { prefix: '2026/' }));
   * if (sample.ok) console.log(cutKeyRanges(sample.val.points, 8));
   * ```
   */
  sampleKeySpace(bucket: string, options?: SampleKeySpaceOptions): Observable<Result<KeySample, S3Error>> {
    return sampleKeySpace(this.context, bucket, options);
  }

  /**
   * Copies an object server-side (a multipart copy above 5 GiB): progress ticks, then one `complete`.
   * @example
   * ```ts
   * const copied$ = rx.copyObject({ bucket: 'photos', key: 'cat.jpg' }, { bucket: 'archive', key: '2026/cat.jpg' });
   * ```
   */
  copyObject(source: ObjectRef, target: ObjectRef, options?: CopyObjectOptions): Observable<Result<CopyEvent, S3Error>> {
    return copyObject(this.context, source, target, options);
  }

  /**
   * Deletes one object, or one version of it. One `Ok(ObjectDeleted)` or one `Err`, then complete.
   * @example
   * ```ts
   * const deleted$ = rx.deleteObject('photos', 'cat.jpg');
   * ```
   */
  deleteObject(bucket: string, key: string, options?: DeleteObjectOptions): Observable<Result<ObjectDeleted, S3Error>> {
    return deleteObject(this.context, bucket, key, options);
  }

  /**
   * Deletes many objects, one `Ok(DeleteBatch)` per request of at most 1,000 keys (one empty batch, and no
   * request, for no keys), then complete.
   * @example
   * ```ts
   * rx.deleteObjects('photos', ['a.jpg', 'b.jpg']).subscribe((r) => r.ok && console.log(r.val.deleted));
   * ```
   */
  deleteObjects(bucket: string, keys: readonly string[], options?: CallOptions): Observable<Result<DeleteBatch, S3Error>> {
    return deleteObjects(this.context, bucket, keys, options);
  }

  /**
   * Moves an object (copy, verify, then delete): progress ticks, `Ok({ kind: 'copied' })`, `Ok({ kind: 'deleted' })`, complete.
   * @example
   * ```ts
   * rx.moveObject({ bucket: 'inbox', key: 'scan.pdf' }, { bucket: 'archive', key: '2026/scan.pdf' }).subscribe((r) =>
   *   console.log(r.ok ? r.val.kind : `${r.val.kind}: ${r.val.message}`));
   * ```
   */
  moveObject(source: ObjectRef, target: ObjectRef, options?: MoveObjectOptions): Observable<Result<MoveEvent, S3Error>> {
    return moveObject(this.context, source, target, options);
  }

  /**
   * Signs a POST policy for a browser form upload; no request is sent. One `Ok(PresignedPost)` or one `Err`, then complete.
   * @example
   * ```ts
   * rx.generatePresignedPost('uploads', 'avatars/${filename}', { contentLengthRange: { min: 1, max: 1_000_000 }, contentTypeStartsWith: 'image/' })
   *   .subscribe((r) => r.ok && console.log(r.val.url, r.val.fields));
   * ```
   */
  generatePresignedPost(bucket: string, key: string, options?: PresignPostOptions): Observable<Result<PresignedPost, S3Error>> {
    return generatePresignedPost(this.context, bucket, key, options);
  }

  /**
   * Turns a bucket's versioning on (`'Enabled'`) or off (`'Suspended'`). One `Ok(BucketVersioning)` or one `Err`, then complete.
   * @example
   * ```ts
   * rx.putBucketVersioning('photos', 'Enabled').subscribe((r) => r.ok && console.log(r.val.status));
   * ```
   */
  putBucketVersioning(bucket: string, status: 'Enabled' | 'Suspended', options?: CallOptions): Observable<Result<BucketVersioning, S3Error>> {
    return putBucketVersioning(this.context, bucket, status, options);
  }

  /**
   * Reads a bucket's versioning state. One `Ok(BucketVersioning)` or one `Err`, then complete.
   * @example
   * ```ts
   * rx.getBucketVersioning('photos').subscribe((r) => r.ok && console.log(r.val.status)); // 'Unversioned' at first
   * ```
   */
  getBucketVersioning(bucket: string, options?: CallOptions): Observable<Result<BucketVersioning, S3Error>> {
    return getBucketVersioning(this.context, bucket, options);
  }

  /**
   * Lists object versions and delete markers, one `Ok(ObjectVersionPage)` per page, lazily; then complete.
   * @example
   * ```ts
   * rx.listObjectVersions('photos', { prefix: 'cat.jpg' }).pipe(filterResultOk(), mergeMap((page) => page.versions))
   *   .subscribe((v) => console.log(v.versionId, v.isLatest));
   * ```
   */
  listObjectVersions(bucket: string, options?: ListObjectVersionsOptions): Observable<Result<ObjectVersionPage, S3Error>> {
    return listObjectVersions(this.context, bucket, options);
  }

  /**
   * Reads an object's tags. One `Ok(ObjectTagging)` or one `Err`, then complete.
   * @example
   * ```ts
   * rx.getObjectTagging('docs', 'plan.txt').subscribe((r) => r.ok && console.log(r.val.tags));
   * ```
   */
  getObjectTagging(bucket: string, key: string, options?: ObjectTaggingOptions): Observable<Result<ObjectTagging, S3Error>> {
    return getObjectTagging(this.context, bucket, key, options);
  }

  /**
   * Replaces an object's tags (`{}` removes them). One `Ok(ObjectTagging)` or one `Err`, then complete.
   * @example
   * ```ts
   * rx.putObjectTagging('docs', 'plan.txt', { project: 'apollo' }).subscribe((r) => r.err && console.error(r.val.kind));
   * ```
   */
  putObjectTagging(bucket: string, key: string, tags: ObjectTags, options?: ObjectTaggingOptions): Observable<Result<ObjectTagging, S3Error>> {
    return putObjectTagging(this.context, bucket, key, tags, options);
  }

  /**
   * Uploads a local file: progress ticks (with a total and a percent), then one `complete`; multipart above a threshold.
   * @example
   * ```ts
   * rx.uploadFile('videos', 'talk.mp4', './talk.mp4').subscribe((r) => {
   *   if (r.ok && r.val.kind === 'progress') console.log(r.val.transferredBytes, '/', r.val.totalBytes);
   * });
   * ```
   */
  uploadFile(bucket: string, key: string, filePath: string, options?: UploadFileOptions): Observable<Result<FileUploadEvent, S3Error>> {
    return uploadFile(this.context, bucket, key, filePath, options);
  }

  /**
   * Uploads a Node `Readable` of known or unknown length: progress ticks, then one `complete`.
   * @example
   * ```ts
   * import { createGzip } from 'node:zlib';
   * rx.uploadStream('logs', 'today.gz', process.stdin.pipe(createGzip())).subscribe(console.log);
   * ```
   */
  uploadStream(bucket: string, key: string, stream: Readable | (() => Readable), options?: UploadStreamOptions): Observable<Result<UploadEvent, S3Error>> {
    return uploadStream(this.context, bucket, key, stream, options);
  }

  /**
   * Downloads an object to a local file, atomically: progress ticks, then one `complete`.
   * @example
   * ```ts
   * rx.downloadFile('videos', 'talk.mp4', './talk.mp4').subscribe(console.log);
   * ```
   */
  downloadFile(bucket: string, key: string, filePath: string, options?: DownloadFileOptions): Observable<Result<DownloadEvent, S3Error>> {
    return downloadFile(this.context, bucket, key, filePath, options);
  }

  /**
   * Streams an object's bytes as they arrive: `data` chunks (in order) interleaved with progress ticks, then one
   * `complete`.
   * @example
   * ```ts
   * rx.downloadStream('logs', 'today.gz').pipe(filterResultOk()).subscribe((e) => {
   *   if (e.kind === 'data') process.stdout.write(e.chunk);
   * });
   * ```
   */
  downloadStream(bucket: string, key: string, options?: DownloadStreamOptions): Observable<Result<StreamEvent, S3Error>> {
    return downloadStream(this.context, bucket, key, options);
  }

  /**
   * Uploads a local directory tree to a bucket prefix: per-file events, progress ticks, then one `summary`.
   * @example
   * ```ts
   * rx.uploadDirectory('./photos', 'backup', 'photos/', { filters: [{ exclude: '*.tmp' }] }).subscribe(console.log);
   * ```
   */
  uploadDirectory(directory: string, bucket: string, prefix?: string, options?: BulkOptions): Observable<Result<BulkEvent, S3Error>> {
    return uploadDirectory(this.context, directory, bucket, prefix, options);
  }

  /**
   * Downloads every object under a prefix into a local directory: per-object events, progress ticks, then one `summary`.
   * @example
   * ```ts
   * rx.downloadPrefix('backup', 'photos/', './restore').subscribe(console.log);
   * ```
   */
  downloadPrefix(bucket: string, prefix: string | undefined, directory: string, options?: BulkOptions): Observable<Result<BulkEvent, S3Error>> {
    return downloadPrefix(this.context, bucket, prefix, directory, options);
  }

  /**
   * Copies every object under a prefix to another prefix or bucket (or through another client): events, then one `summary`.
   * @example
   * ```ts
   * rx.copyPrefix({ bucket: 'photos', prefix: '2026/' }, { bucket: 'archive', prefix: 'photos/2026/' }).subscribe(console.log);
   * ```
   */
  copyPrefix(from: Exclude<SyncPlace, string>, to: Exclude<SyncPlace, string>, options?: BulkOptions): Observable<Result<BulkEvent, S3Error>> {
    return copyPrefix(this.context, from, to, options);
  }

  /**
   * Moves every file or object from one place to another, deleting each source once its copy is complete.
   * @example
   * ```ts
   * rx.movePrefix({ bucket: 'inbox' }, { bucket: 'archive', prefix: '2026/' }).subscribe(console.log);
   * ```
   */
  movePrefix(from: SyncPlace, to: SyncPlace, options?: BulkOptions): Observable<Result<BulkEvent, S3Error>> {
    return movePrefix(this.context, from, to, options);
  }

  /**
   * Deletes every object under a prefix, 1,000 per request, as the listing arrives: events, then one `summary`.
   * @example
   * ```ts
   * rx.deletePrefix('logs', '2025/', { filters: [{ exclude: '*.keep' }] }).subscribe(console.log);
   * ```
   */
  deletePrefix(bucket: string, prefix?: string, options?: BulkOptions): Observable<Result<BulkEvent, S3Error>> {
    return deletePrefix(this.context, bucket, prefix, options);
  }

  /**
   * Makes the target like the source (local to S3, S3 to local, S3 to S3), as `aws s3 sync` does.
   * @example
   * ```ts
   * rx.sync({ from: './site', to: { bucket: 'www' }, delete: true }).pipe(filterResultOk())
   *   .subscribe((e) => e.kind === 'summary' && console.log(e.ok ? 'in sync' : e.failedKeys));
   * ```
   */
  sync(options: SyncOptions): Observable<Result<BulkEvent, S3Error>> {
    return sync(this.context, options);
  }

  /**
   * Resolves once every clean-up that an unsubscribe or a failure started in the background has finished
   * (aborting multipart uploads, deleting temp files). Await it before the process exits, e.g. on Ctrl-C.
   * @example
   * ```ts
   * const subscription = rx.uploadFile('b', 'big.iso', './big.iso').subscribe(console.log);
   * process.once('SIGINT', async () => { subscription.unsubscribe(); await rx.flushCleanups(); process.exit(130); });
   * ```
   */
  flushCleanups(): Promise<void> {
    return this.context.cleanups.flush();
  }

  /** Closes the lean data plane's own sockets, and the client's if rx-s3 built it (a client passed in is left to its owner). */
  destroy(): void {
    this.context.data.destroy();
    if (this.ownsClient) this.client.destroy();
  }
}

/**
 * The `S3Client` configuration for {@link RxS3Options}: the one place the defaults for third-party servers live.
 * No client is built and nothing is sent; the environment is read for the proxy and the CAs (`HTTPS_PROXY`,
 * `HTTP_PROXY`, `NO_PROXY`, `AWS_CA_BUNDLE`: see `proxy` and `ca`), and a problem with them fails every request of
 * the client as `Err(InvalidInput)` rather than throwing. `new RxS3(options)` uses it when it builds its own client.
 *
 * @example
 * ```ts
 * import { S3Client } from '@aws-sdk/client-s3';
 * import { RxS3, clientConfig } from 'rx-s3';
 * const client = new S3Client(clientConfig({ endpoint: 'http://127.0.0.1:9000', forcePathStyle: true }));
 * const rx = new RxS3({ client }); // share one client between rx-s3 and direct SDK calls
 * ```
 */
export function clientConfig(options: RxS3Options): S3ClientConfig {
  return configWith(options, networkOf(options));
}

/** The proxy and CA settings of the options (and the environment), for the handler rx-s3 builds (none with a `client` or handler of the user's). */
function networkOf(options: RxS3Options): Network {
  if (options.client !== undefined || options.clientConfig?.requestHandler !== undefined) return DIRECT;
  return networkSettings({ proxy: options.proxy, ca: options.ca });
}

/** {@link clientConfig} with the network settings resolved. */
function configWith(options: RxS3Options, network: Network): S3ClientConfig {
  const custom = options.endpoint !== undefined;
  const defined = <T extends object>(o: T): Partial<T> =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
  return {
    ...(custom ? { region: 'us-east-1', requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' } : {}),
    // rx-s3's timeouts, proxy and CAs live in the agents of the SDK's usual handler, unless a handler of your own is given.
    requestHandler: options.clientConfig?.requestHandler ?? watchedHandlerOptions(options.timeouts, network, validMaxSockets(options.maxSockets)),
    ...options.clientConfig,
    ...defined({
      endpoint: options.endpoint,
      region: options.region,
      credentials: options.credentials,
      forcePathStyle: options.forcePathStyle,
      requestChecksumCalculation: options.requestChecksumCalculation,
      responseChecksumValidation: options.responseChecksumValidation,
      maxAttempts: options.maxAttempts,
    }),
  };
}
