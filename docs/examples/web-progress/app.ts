/**
 * The web-progress example's HTTP server (node:http, no framework): the page, one Server-Sent Events stream per
 * browser session, the uploads (each request body piped into `uploadStream`), the server-side job, and cancel.
 *
 * | route | what |
 * |---|---|
 * | `GET /` | the page |
 * | `GET /events?session=S` | SSE: every transfer and job event of session S, as `{ "id", "name", ...event }` |
 * | `PUT /upload?session=S&id=I&name=N` | the request body is the file: uploaded to `uploads/S/N`; answers when done |
 * | `POST /job?session=S` | starts the job over `uploads/S/` (see job.ts); answers at once |
 * | `POST /cancel?session=S` | unsubscribes every transfer and job of S (aborting multipart uploads) |
 */
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { basename, join } from 'node:path';
import type { Observable, Subscription } from 'rxjs';
import type { Result, RxS3, S3Error } from '../../../lib';
import { prefixDownload, type JobEvent } from './job';

/** What the app works with. */
export interface AppOptions {
  readonly rx: RxS3;
  readonly bucket: string;
  /** Where the job writes its files (one sub-directory per session). */
  readonly downloadDirectory: string;
  /** The job the page's "download" button starts; `prefixDownload` unless replaced. */
  readonly job?: (rx: RxS3, bucket: string, prefix: string, directory: string) => Observable<Result<JobEvent, S3Error>>;
}

/** The events pushed to the page: a transfer's or the job's, tagged with its id, or the end of one. */
type Push = { readonly id: string; readonly name: string } & (
  | { readonly kind: 'progress'; readonly transferredBytes: number; readonly totalBytes: number | undefined; readonly percent: number | undefined }
  | { readonly kind: 'complete'; readonly size: number; readonly etag: string | undefined }
  | { readonly kind: 'error'; readonly error: { readonly kind: string; readonly message: string } }
  | { readonly kind: 'cancelled' }
  | { readonly kind: 'job'; readonly event: JobEvent }
);

interface Session {
  readonly streams: Set<ServerResponse>;
  readonly running: Map<string, { readonly name: string; readonly subscription: Subscription }>;
}

const PAGE = readFileSync(join(__dirname, 'page.html'));
const SESSION = /^[A-Za-z0-9-]{1,64}$/;

/** The example's server, not yet listening. */
export function createApp(options: AppOptions): Server {
  const sessions = new Map<string, Session>();
  const job = options.job ?? prefixDownload;
  const sessionOf = (id: string): Session => {
    let session = sessions.get(id);
    if (session === undefined) sessions.set(id, (session = { streams: new Set(), running: new Map() }));
    return session;
  };
  const push = (session: Session, event: Push): void => {
    const frame = `data: ${JSON.stringify(event)}\n\n`;
    for (const stream of session.streams) stream.write(frame);
  };
  /** Subscribes `work$` for the session; `onEvent` turns each `Ok` into pushes; the end is pushed too. */
  const track = <T>(session: Session, id: string, name: string, work$: Observable<Result<T, S3Error>>, onEvent: (value: T) => Push | undefined, onEnd?: (ok: boolean, error?: S3Error) => void): void => {
    let failed: S3Error | undefined;
    const subscription = work$.subscribe({
      next: (result) => {
        if (result.err) {
          failed = result.val;
          push(session, { id, name, kind: 'error', error: { kind: result.val.kind, message: result.val.message } });
          return;
        }
        const event = onEvent(result.val);
        if (event !== undefined) push(session, event);
      },
      complete: () => {
        session.running.delete(id);
        onEnd?.(failed === undefined, failed);
      },
    });
    if (!subscription.closed) session.running.set(id, { name, subscription });
  };

  return createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const sessionId = url.searchParams.get('session') ?? '';
    const route = `${request.method ?? 'GET'} ${url.pathname}`;
    if (route === 'GET /') return send(response, 200, PAGE, 'text/html; charset=utf-8');
    if (!SESSION.test(sessionId)) return sendJson(response, 400, { error: 'a session id is required' });
    const session = sessionOf(sessionId);
    const prefix = `uploads/${sessionId}/`;

    switch (route) {
      case 'GET /events': {
        response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
        response.write(': connected\n\n');
        session.streams.add(response);
        request.on('close', () => session.streams.delete(response));
        return;
      }
      case 'PUT /upload': {
        const id = url.searchParams.get('id') ?? '';
        const name = basename(url.searchParams.get('name') ?? '');
        const length = Number(request.headers['content-length']);
        if (id === '' || name === '' || name === '.' || name === '..') return sendJson(response, 400, { error: 'id and name are required' });
        const upload$ = options.rx.uploadStream(options.bucket, prefix + name, request, {
          contentLength: Number.isSafeInteger(length) ? length : undefined,
          contentType: request.headers['content-type'],
        });
        return track(
          session,
          id,
          name,
          upload$,
          (event): Push =>
            event.kind === 'progress'
              ? { id, name, kind: 'progress', transferredBytes: event.transferredBytes, totalBytes: event.totalBytes, percent: event.percent }
              : { id, name, kind: 'complete', size: event.output.size, etag: event.output.etag },
          (ok, error) => sendJson(response, ok ? 200 : 502, ok ? { ok } : { ok, error: error?.message }),
        );
      }
      case 'POST /job': {
        const id = `job-${Date.now().toString(36)}`;
        const directory = join(options.downloadDirectory, sessionId);
        void mkdir(directory, { recursive: true }).then(() =>
          track(session, id, 'download', job(options.rx, options.bucket, prefix, directory), (event): Push => ({ id, name: 'download', kind: 'job', event })),
        );
        return sendJson(response, 202, { id });
      }
      case 'POST /cancel': {
        const cancelled = [...session.running.entries()];
        for (const [id, { name, subscription }] of cancelled) {
          subscription.unsubscribe();
          session.running.delete(id);
          push(session, { id, name, kind: 'cancelled' });
        }
        // The browser aborted its upload requests too; unsubscribing aborted their multipart uploads.
        return void options.rx.flushCleanups().then(() => sendJson(response, 200, { cancelled: cancelled.length }));
      }
      default:
        return sendJson(response, 404, { error: `no route ${route}` });
    }
  });
}

function send(response: ServerResponse, status: number, body: Buffer | string, type: string): void {
  if (response.headersSent || response.destroyed) return;
  response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  response.end(body);
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  send(response, status, JSON.stringify(body), 'application/json');
}
