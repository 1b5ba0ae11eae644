/** The command table: every command of the CLI, in the order `rx-s3 --help` lists them. */
import type { Command } from '../command';
import { mb, rb } from './buckets';
import { cp, mv } from './cp';
import { ls } from './ls';
import { presign } from './presign';
import { sync } from './recursive';
import { rm } from './rm';
import { stat } from './stat';

export const COMMANDS: readonly Command[] = [ls, cp, mv, rm, mb, rb, presign, stat, sync];
