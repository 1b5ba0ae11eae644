import { map } from 'rxjs';
import type { PresignMethod, Result, S3Error } from '../../index';
import type { Command } from '../command';
import type { CliEvent } from '../events';
import { s3Operand } from '../location';

const METHODS: readonly PresignMethod[] = ['GET', 'PUT', 'DELETE', 'HEAD'];

/** `rx-s3 presign s3://bucket/key [--method M] [--expires-in S]`. */
export const presign: Command = {
  spec: {
    name: 'presign',
    summary: 'Print a presigned URL for one GET, PUT, DELETE or HEAD of an object',
    usage: ['presign s3://bucket/key [--method GET|PUT|DELETE|HEAD] [--expires-in SECONDS]'],
    details: ['Signing is local: no request is sent. Anyone holding the URL can perform that one method on that object until it expires.'],
    operands: { min: 1, max: 1 },
    options: [
      { name: 'method', value: 'METHOD', choices: METHODS, description: 'GET (default), PUT, DELETE or HEAD.' },
      { name: 'expires-in', value: 'SECONDS', description: 'How long the URL works, 1 to 604800 (7 days); default 3600.' },
      { name: 'content-type', value: 'TYPE', description: 'For PUT: the Content-Type the uploader must send (it is signed).' },
    ],
  },
  run(ctx) {
    const { bucket, key } = s3Operand(ctx.operands[0] ?? '', 'presign', true);
    const method = (ctx.options.string('method') ?? 'GET') as PresignMethod;
    const ttl = ctx.options.integer('expires-in', 1, 604_800) ?? 3600;
    return ctx.rx.generatePresignedUrl(method, bucket, key, { ttl, contentType: ctx.options.string('content-type') }).pipe(
      map((result): Result<CliEvent, S3Error> =>
        result.map((signed): CliEvent => ({ kind: 'presigned', method: signed.method, url: signed.url, bucket, key, expiresIn: signed.expiresIn, expiresAt: signed.expiresAt })),
      ),
    );
  },
};
