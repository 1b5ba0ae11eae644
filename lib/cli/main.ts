#!/usr/bin/env node
/**
 * `rx-s3`: the command-line tool, in the spirit of `aws s3`, built only on rx-s3's public API.
 *
 * Exit codes: 0 success, 1 a failure (printed as one line on stderr), 2 a usage error, 130 cancelled by Ctrl-C
 * (143 by SIGTERM).
 */
// The SDK warns on every run that its 2027 releases will need Node 22; a CLI user cannot act on that.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Subscription } from 'rxjs';
import { helpText, Options, parseArgs, UsageError, type OptionSpec, type ParsedArgs } from './args';
import type { S3Error } from '../index';
import { buildClient, resolveConnection, type Connection } from './client';
import type { CommandContext } from './command';
import { COMMANDS } from './commands/index';
import { Reporter } from './output';

const TOOL = {
  name: 'rx-s3',
  summary: 'copy, move, list and delete S3 objects, with live progress and clean Ctrl-C.',
  details: [
    'Credentials come from the SDK\'s default chain: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, ' +
      'then the profile (--profile or AWS_PROFILE) of the shared config and credentials files, SSO and instance roles.',
    'With --json, stdout carries one JSON object per line, each with a "kind": bucket, page, progress, stage, complete, ' +
      'dryrun, presigned, object, bucket-metadata, resume, sample, and error ({"kind":"error","error":{"kind":"NoSuchKey",...}}) or ' +
      'cancelled ({"kind":"cancelled","uploadId":...}) at the end.',
    'Exit codes: 0 success, 1 failure (one line on stderr), 2 usage error, 130 interrupted (Ctrl-C), 143 terminated.',
  ],
};

const GLOBAL_OPTIONS: readonly OptionSpec[] = [
  { name: 'endpoint-url', value: 'URL', description: 'S3 endpoint (default: AWS_ENDPOINT_URL_S3, then AWS_ENDPOINT_URL, else AWS).' },
  { name: 'profile', value: 'NAME', description: 'Profile of the shared AWS config and credentials files (default: AWS_PROFILE).' },
  { name: 'region', value: 'REGION', description: 'Region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile\'s; us-east-1 with an endpoint).' },
  { name: 'force-path-style', description: 'Address buckets as endpoint/bucket (default on when an endpoint is given; --no-force-path-style).' },
  { name: 'json', description: 'Print every event (progress, pages, results, errors) as one JSON object per line on stdout.' },
  { name: 'help', short: 'h', description: 'Show help for the tool or a command.' },
  { name: 'version', description: 'Print the version.' },
];

/** Where the CLI reads and writes: the process's own streams, or others in tests. */
export interface CliIO {
  readonly stdin: CommandContext['stdin'];
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  readonly env: NodeJS.ProcessEnv;
}

/** Runs one command line to the end and resolves with the exit code. */
export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  const specs = COMMANDS.map((c) => c.spec);
  const jsonAsked = argv.includes('--json');
  let parsed: ParsedArgs;
  try {
    parsed = parseArgs(argv, GLOBAL_OPTIONS, specs);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    new Reporter(io.stdout, io.stderr, { json: jsonAsked, quietResults: false, humanReadable: false }).usage(error.message, error.command);
    return 2;
  }
  const options = new Options(parsed.values, parsed.command, parsed.ordered);
  const command = COMMANDS.find((c) => c.spec.name === parsed.command);
  if (options.flag('version')) {
    io.stdout.write(`${TOOL.name} ${version()}\n`);
    return 0;
  }
  if (options.flag('help') || command === undefined) {
    (command === undefined && !options.flag('help') ? io.stderr : io.stdout).write(helpText(TOOL, GLOBAL_OPTIONS, specs, command?.spec));
    return command === undefined && !options.flag('help') ? 2 : 0;
  }

  const json = options.flag('json');
  const reporter = new Reporter(io.stdout, io.stderr, {
    json,
    quietResults: command.writesToStdout?.(parsed.operands) ?? false,
    humanReadable: options.flag('human-readable'),
  });
  const connection = resolveConnection(options, io.env);
  const { rx, uploads } = buildClient(connection);
  const context: CommandContext = {
    rx,
    operands: parsed.operands,
    options,
    dryRun: options.flag('dry-run'),
    json,
    region: connection.region,
    stdin: io.stdin,
    stdout: io.stdout,
  };

  return new Promise<number>((resolve) => {
    let exitCode = 0;
    let subscription: Subscription | undefined;
    let finished = false;
    const finish = (code: number): void => {
      if (finished) return;
      finished = true;
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', onSigterm);
      reporter.clearBar();
      rx.destroy();
      resolve(code);
    };
    // Ctrl-C: unsubscribe (which aborts the requests in flight), wait for the clean-up the library started
    // (AbortMultipartUpload, deleting the temp file of a download), report, and exit.
    let cancelling = false;
    const cancel = (signal: string, code: number): void => {
      if (finished) return;
      // A second Ctrl-C while the clean-up runs: the user insists.
      if (cancelling) process.exit(code);
      cancelling = true;
      const open = [...uploads.open];
      subscription?.unsubscribe();
      void rx.flushCleanups().then(() => {
        if (finished) return;
        reporter.cancelled({ signal, uploadIds: open, abortedUploadIds: open.filter((id) => uploads.aborted.has(id)) });
        finish(code);
      });
    };
    const onSigint = (): void => cancel('SIGINT', 130);
    const onSigterm = (): void => cancel('SIGTERM', 143);
    // `rx-s3 ls | head`: the reader left; stop quietly. (The handler stays: the error may come after the end.)
    const onStdoutError = (error: NodeJS.ErrnoException): void => {
      if (finished) return;
      subscription?.unsubscribe();
      void rx.flushCleanups().then(() => finish(error.code === 'EPIPE' ? exitCode : 1));
    };
    process.on('SIGINT', onSigint);
    process.on('SIGTERM', onSigterm);
    io.stdout.on('error', onStdoutError);

    try {
      subscription = command.run(context).subscribe({
        next: (result) => {
          if (result.ok) {
            reporter.event(result.val);
          } else {
            reporter.error(explain(result.val, connection));
            exitCode = Math.max(exitCode, result.val.kind === 'InvalidInput' ? 2 : 1);
          }
        },
        // Failures arrive as Err values; an error notification is a bug in rx-s3 itself.
        error: (bug: unknown) => {
          reporter.clearBar();
          io.stderr.write(`rx-s3: internal error: ${bug instanceof Error ? (bug.stack ?? bug.message) : String(bug)}\n`);
          finish(70);
        },
        complete: () => finish(exitCode),
      });
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      reporter.usage(error.message, error.command ?? command.spec.name);
      finish(2);
    }
  });
}

/** Adds what to do about failures of the set-up rather than of the request (no credentials, no region). */
function explain(error: S3Error, connection: Connection): S3Error {
  if (error.kind === 'NoCredentials') {
    const where = connection.profile === undefined ? 'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or --profile / AWS_PROFILE' : `in profile '${connection.profile}' of the shared config and credentials files`;
    const sdk = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return { ...error, message: `no credentials found (${where})${sdk}` };
  }
  if (/region is missing/i.test(error.message)) return { ...error, message: `no region: use --region or AWS_REGION (${error.message})` };
  return error;
}

function version(): string {
  // lib/cli/main.ts and dist/cli/main.js are both two levels below the package root.
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
}

if (require.main === module) {
  main(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
    (code) => {
      process.exitCode = code;
    },
    (bug: unknown) => {
      process.stderr.write(`rx-s3: internal error: ${bug instanceof Error ? (bug.stack ?? bug.message) : String(bug)}\n`);
      process.exitCode = 70;
    },
  );
}
