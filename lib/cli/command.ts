/** The shape of one CLI command: its table entry (operands, options, help) and the stream it runs. */
import type { Readable, Writable } from 'node:stream';
import type { RxS3 } from '../index';
import type { CommandSpec, Options } from './args';
import type { CliStream } from './events';

/** What a command gets to run. */
export interface CommandContext {
  readonly rx: RxS3;
  readonly operands: readonly string[];
  readonly options: Options;
  /** `--dry-run`: say what would be done, send no request that changes anything. */
  readonly dryRun: boolean;
  /** `--json`: output is NDJSON on stdout (so stdout cannot also carry an object's bytes). */
  readonly json: boolean;
  /** The resolved region, if any (`mb` creates the bucket there). */
  readonly region: string | undefined;
  /** For `cp - s3://...` and `cp s3://... -`. */
  readonly stdin: Readable;
  readonly stdout: Writable;
}

export interface Command {
  readonly spec: CommandSpec;
  /**
   * The command's events. Cold: nothing is sent before subscribe, and unsubscribing cancels. Throws `UsageError`
   * (synchronously) for a command line that cannot work, before anything is sent.
   */
  run(ctx: CommandContext): CliStream;
  /** True when the command writes an object's bytes to stdout; its result lines are then left out. */
  writesToStdout?(operands: readonly string[]): boolean;
}

/** The options every command that changes something takes. */
export const DRY_RUN = { name: 'dry-run', description: 'Print what would be done; send no request that changes anything.' } as const;
