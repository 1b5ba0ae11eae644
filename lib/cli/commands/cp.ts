import { fstatSync } from 'node:fs';
import { stat, unlink } from 'node:fs/promises';
import { basename, posix } from 'node:path';
import { defer, map, of } from 'rxjs';
import { Ok, type Result, type S3Error, type UploadOptions } from '../../index';
import { UsageError, type OptionSpec } from '../args';
import { DRY_RUN, type Command, type CommandContext } from '../command';
import type { CliEvent, CliStream } from '../events';
import { parseLocation, s3Url, targetKey, targetPath, type Location, type S3Location } from '../location';
import { fromPromise, thenDeleteSource, transferEvents } from '../streams';
import { RECURSIVE_OPTIONS, recursiveTransfer } from './recursive';

const TRANSFER_OPTIONS: readonly OptionSpec[] = [
  DRY_RUN,
  { name: 'part-size', value: 'SIZE', description: 'Bytes per part or ranged GET, at least 5MiB (default 8MiB); also the single-request threshold.' },
  { name: 'concurrency', value: 'N', description: 'Parts or ranges in flight at once, 1 to 64 (default 4); with -r, objects in flight (default 32).' },
  { name: 'content-type', value: 'TYPE', description: 'Content-Type of the uploaded or copied object.' },
  { name: 'metadata', value: 'K=V[,K=V]', description: 'User metadata of the uploaded or copied object (replaces the source\'s on a copy).' },
  {
    name: 'multipart-threshold',
    value: 'SIZE',
    description: 'S3 to S3: objects above this are copied in parts (UploadPartCopy), several at once; default and maximum 5GiB.',
  },
  ...RECURSIVE_OPTIONS,
];

/** `rx-s3 cp <source> <target>`: local to S3, S3 to local, S3 to S3, stdin to S3, S3 to stdout. */
export const cp: Command = {
  spec: {
    name: 'cp',
    summary: 'Copy a file or object: local to S3, S3 to local, S3 to S3 (- for stdin/stdout)',
    usage: ['cp <file> s3://bucket/[key]', 'cp s3://bucket/key <file|dir>', 'cp s3://bucket/key s3://bucket/[key]', 'cp - s3://bucket/key', 'cp s3://bucket/key -'],
    details: [
      'Files above the part size are uploaded in parts, several at once; downloads above it come as parallel ranged GETs ' +
        'into a temp file that replaces the target only when complete. A target key ending in / (or a target directory) ' +
        'keeps the source\'s name. On a terminal, a live progress bar is drawn on stderr; Ctrl-C aborts the transfer and ' +
        'leaves no partial object, multipart upload or file behind.',
    ],
    operands: { min: 2, max: 2 },
    options: TRANSFER_OPTIONS,
  },
  run: (ctx) => transfer(ctx, false),
  writesToStdout: (operands) => operands[1] === '-',
};

/** `rx-s3 mv <source> <target>`: a copy that deletes the source only once the copy succeeded. */
export const mv: Command = {
  spec: {
    name: 'mv',
    summary: 'Move a file or object: local to S3, S3 to local, S3 to S3',
    usage: ['mv <file> s3://bucket/[key]', 'mv s3://bucket/key <file|dir>', 'mv s3://bucket/key s3://bucket/[key]'],
    details: [
      'The source is deleted only after the copy succeeded: an upload is complete, a download is complete and renamed ' +
        'into place, an S3-to-S3 copy was verified (size and ETag) by moveObject. A failed or cancelled move leaves the source as it was.',
    ],
    operands: { min: 2, max: 2 },
    options: TRANSFER_OPTIONS,
  },
  run: (ctx) => transfer(ctx, true),
};

/** What the transfer functions below share. */
interface Plan {
  readonly ctx: CommandContext;
  readonly move: boolean;
  readonly name: 'cp' | 'mv';
  readonly upload: UploadOptions;
}

function transfer(ctx: CommandContext, move: boolean): CliStream {
  if (ctx.options.flag('recursive')) return recursiveTransfer(ctx, move);
  const name = move ? 'mv' : 'cp';
  const [source, target] = ctx.operands.map((operand) => {
    const location = parseLocation(operand);
    if (location.kind === 's3' && location.bucket === '') throw new UsageError(`no bucket in '${operand}'`, name);
    return location;
  }) as [Location, Location];
  const { options } = ctx;
  const upload: UploadOptions = {
    partSize: options.size('part-size'),
    concurrency: options.integer('concurrency', 1, 64),
    contentType: options.string('content-type'),
    metadata: options.pairs('metadata'),
  };
  const plan: Plan = { ctx, move, name, upload };
  if (move && (source.kind === 'stdio' || target.kind === 'stdio')) throw new UsageError('mv cannot read stdin or write stdout; use cp', name);

  if (target.kind === 's3' && source.kind === 'local') return fileToS3(plan, source.path, target);
  if (target.kind === 's3' && source.kind === 'stdio') return stdinToS3(plan, target);
  if (source.kind !== 's3') throw new UsageError(`${name} needs an s3:// source or target (local to local is not supported)`, name);
  if (source.key === '' || source.key.endsWith('/')) throw new UsageError(`'${ctx.operands[0] ?? ''}' names no object; ${name} takes one object (s3://bucket/key)`, name);
  if (target.kind === 's3') return s3ToS3(plan, source, target);
  if (target.kind === 'stdio') return s3ToStdout(plan, source);
  return s3ToFile(plan, source, target.path);
}

/** Upload (`mv`: then delete the file, only once the upload completed). */
function fileToS3({ ctx, move, upload }: Plan, path: string, target: S3Location): CliStream {
  const key = targetKey(target.key, basename(path));
  const to = s3Url(target.bucket, key);
  if (ctx.dryRun) return dryRunFile(path, move ? 'move' : 'upload', to);
  const upload$ = transferEvents('upload', path, to, ctx.rx.uploadFile(target.bucket, key, path, upload));
  return move ? thenDeleteSource(upload$, () => fromPromise({ operation: 'mv', key: path }, () => unlink(path))) : upload$;
}

/** `cp - s3://bucket/key`: a multipart upload of whatever stdin gives. */
function stdinToS3({ ctx, name, upload }: Plan, target: S3Location): CliStream {
  if (target.key === '' || target.key.endsWith('/')) throw new UsageError('uploading stdin needs a full key: cp - s3://bucket/key', name);
  const to = s3Url(target.bucket, target.key);
  if (ctx.dryRun) return of(Ok<CliEvent>({ kind: 'dryrun', action: 'upload', source: '-', target: to }));
  return transferEvents('upload', '-', to, ctx.rx.uploadStream(target.bucket, target.key, ctx.stdin, { ...upload, contentLength: stdinLength() }));
}

/**
 * A server-side copy (a multipart copy with progress above --multipart-threshold, 5GiB by default); `mv` goes
 * through moveObject (copy, verify, then delete).
 */
function s3ToS3({ ctx, move, upload }: Plan, source: S3Location, target: S3Location): CliStream {
  const key = targetKey(target.key, posix.basename(source.key));
  const from = s3Url(source.bucket, source.key);
  const to = s3Url(target.bucket, key);
  const options = {
    metadata: upload.metadata,
    contentType: upload.contentType,
    partSize: upload.partSize,
    concurrency: upload.concurrency,
    multipartThreshold: ctx.options.size('multipart-threshold'),
  };
  if (ctx.dryRun) return of(Ok<CliEvent>({ kind: 'dryrun', action: move ? 'move' : 'copy', source: from, target: to }));
  const copyTarget = { bucket: target.bucket, key };
  if (move) {
    return defer(() => {
      let size: number | undefined;
      let elapsedMs: number | undefined;
      return ctx.rx.moveObject(source, copyTarget, options).pipe(
        map((result): Result<CliEvent, S3Error> =>
          result.map((event): CliEvent => {
            switch (event.kind) {
              case 'progress':
                elapsedMs = event.elapsedMs;
                return { ...event, kind: 'progress', action: 'move', source: from, target: to };
              case 'copied':
                size = event.verified.size;
                return { kind: 'stage', action: 'move', stage: 'copied', source: from, target: to };
              case 'deleted':
                return { kind: 'complete', action: 'move', source: from, target: to, size, etag: event.copy.etag, parts: event.copy.parts, elapsedMs };
            }
          }),
        ),
      );
    });
  }
  return transferEvents('copy', from, to, ctx.rx.copyObject(source, copyTarget, options));
}

/** `cp s3://bucket/key -`: the bytes in order on stdout (progress, if any, on stderr). */
function s3ToStdout({ ctx, name }: Plan, source: S3Location): CliStream {
  if (ctx.json) throw new UsageError('--json writes events to stdout, so it cannot also write the object there', name);
  const from = s3Url(source.bucket, source.key);
  if (ctx.dryRun) return of(Ok<CliEvent>({ kind: 'dryrun', action: 'download', source: from, target: '-' }));
  // writeTo: the download goes at the pace stdout drains (a slow reader pauses it instead of filling memory).
  return transferEvents('download', from, '-', ctx.rx.downloadStream(source.bucket, source.key, { writeTo: ctx.stdout }));
}

/** Download (`mv`: then delete the object, only once the file is complete and in place). */
function s3ToFile({ ctx, move, upload }: Plan, source: S3Location, targetOperand: string): CliStream {
  const path = targetPath(targetOperand, source.key);
  const from = s3Url(source.bucket, source.key);
  if (ctx.dryRun) return of(Ok<CliEvent>({ kind: 'dryrun', action: move ? 'move' : 'download', source: from, target: path }));
  const download$ = transferEvents('download', from, path, ctx.rx.downloadFile(source.bucket, source.key, path, { partSize: upload.partSize, concurrency: upload.concurrency }));
  return move ? thenDeleteSource(download$, () => ctx.rx.deleteObject(source.bucket, source.key)) : download$;
}

/** `--dry-run` of an upload: the file must exist (its size is shown); nothing is sent. */
function dryRunFile(path: string, action: 'upload' | 'move', to: string): CliStream {
  return fromPromise({ operation: action, key: path }, async () => {
    const info = await stat(path);
    if (!info.isFile()) throw Object.assign(new Error(`${path} is not a regular file`), { code: 'EISDIR', path });
    return info.size;
  }).pipe(map((result): Result<CliEvent, S3Error> => result.map((size): CliEvent => ({ kind: 'dryrun', action, source: path, target: to, size }))));
}

/** The length of stdin when it is a regular file (`< file`): it lets the upload size its parts and show a percentage. */
function stdinLength(): number | undefined {
  try {
    const info = fstatSync(0);
    return info.isFile() ? info.size : undefined;
  } catch {
    return undefined;
  }
}
