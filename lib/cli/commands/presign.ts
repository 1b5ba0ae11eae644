import { map } from 'rxjs';
import type { PresignMethod, Result, S3Error } from '../../index';
import { UsageError } from '../args';
import type { Command } from '../command';
import type { CliEvent, CliStream } from '../events';
import { s3Operand } from '../location';

const METHODS: readonly string[] = ['GET', 'PUT', 'DELETE', 'HEAD', 'POST'];

/** `rx-s3 presign s3://bucket/key [--method M] [--expires-in S]`; `--method POST` signs a browser form upload. */
export const presign: Command = {
  spec: {
    name: 'presign',
    summary: 'Print a presigned URL for one GET, PUT, DELETE or HEAD of an object, or a POST form policy',
    usage: [
      'presign s3://bucket/key [--method GET|PUT|DELETE|HEAD] [--expires-in SECONDS]',
      'presign s3://bucket/prefix/ --method POST [--max-size SIZE] [--content-type-prefix TYPE] [--json]',
    ],
    details: [
      'Signing is local: no request is sent. Anyone holding the URL can perform that one method on that object until it expires.',
      'POST signs a policy for a browser form upload: the URL and the form fields to send before the file (with --json, one ' +
        'line with "url" and "fields"). A key ending in / (or in ${filename}) lets the form upload any file name under that prefix.',
    ],
    operands: { min: 1, max: 1 },
    options: [
      { name: 'method', value: 'METHOD', choices: METHODS, description: 'GET (default), PUT, DELETE, HEAD, or POST (a form policy).' },
      { name: 'expires-in', value: 'SECONDS', description: 'How long the URL works, 1 to 604800 (7 days); default 3600.' },
      { name: 'content-type', value: 'TYPE', description: 'For PUT: the Content-Type the uploader must send (it is signed).' },
      { name: 'max-size', value: 'SIZE', description: 'For POST: the largest file the policy accepts (content-length-range 0 to SIZE).' },
      { name: 'content-type-prefix', value: 'TYPE', description: 'For POST: the form\'s Content-Type field must start with this (e.g. image/).' },
    ],
  },
  run(ctx) {
    const { bucket, key } = s3Operand(ctx.operands[0] ?? '', 'presign', true);
    const method = (ctx.options.string('method') ?? 'GET').toUpperCase();
    const ttl = ctx.options.integer('expires-in', 1, 604_800) ?? 3600;
    if (method === 'POST') return presignPost(ctx, bucket, key, ttl);
    for (const postOnly of ['max-size', 'content-type-prefix']) {
      if (ctx.options.string(postOnly) !== undefined) throw new UsageError(`--${postOnly} is for --method POST`, 'presign');
    }
    return ctx.rx.generatePresignedUrl(method as PresignMethod, bucket, key, { ttl, contentType: ctx.options.string('content-type') }).pipe(
      map((result): Result<CliEvent, S3Error> =>
        result.map((signed): CliEvent => ({ kind: 'presigned', method: signed.method, url: signed.url, bucket, key, expiresIn: signed.expiresIn, expiresAt: signed.expiresAt })),
      ),
    );
  },
};

function presignPost(ctx: Parameters<Command['run']>[0], bucket: string, key: string, ttl: number): CliStream {
  const maxSize = ctx.options.size('max-size');
  const pattern = key.endsWith('/') ? `${key}\${filename}` : key;
  return ctx.rx
    .generatePresignedPost(bucket, pattern, {
      ttl,
      contentLengthRange: maxSize === undefined ? undefined : { min: 0, max: maxSize },
      contentTypeStartsWith: ctx.options.string('content-type-prefix'),
    })
    .pipe(
      map((result): Result<CliEvent, S3Error> =>
        result.map((signed): CliEvent => ({
          kind: 'presigned',
          method: 'POST',
          url: signed.url,
          bucket,
          key: signed.key,
          expiresIn: signed.expiresIn,
          expiresAt: signed.expiresAt,
          fields: signed.fields,
        })),
      ),
    );
}
