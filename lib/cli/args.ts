/**
 * The command line, parsed from tables: each command declares its operands and options ({@link CommandSpec}),
 * the tool declares its global options, and one parser and one help printer serve them all.
 */

/** One option. Without `value` it is a flag (`--json`, and `--no-json` to turn it off). */
export interface OptionSpec {
  /** The long name, without `--`. */
  readonly name: string;
  /** A one-letter alias, without `-`. */
  readonly short?: string;
  /** The placeholder of the option's value in help (`SECONDS`); its presence makes the option take a value. */
  readonly value?: string;
  /** The values allowed, compared case-insensitively and stored upper-cased as listed. */
  readonly choices?: readonly string[];
  readonly description: string;
}

/** One command: its name, what it does, its operands and its own options. */
export interface CommandSpec {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** Usage lines, without the leading `rx-s3 `. */
  readonly usage: readonly string[];
  /** Paragraphs shown by `rx-s3 <command> --help`. */
  readonly details?: readonly string[];
  /** How many operands it takes: at least `min`, at most `max`. */
  readonly operands: { readonly min: number; readonly max: number };
  readonly options: readonly OptionSpec[];
}

/** The command line, parsed: option values are strings (options with a value) or booleans (flags). */
export interface ParsedArgs {
  /** The command's name, or undefined when none was given (e.g. `rx-s3 --version`). */
  readonly command: string | undefined;
  readonly operands: readonly string[];
  readonly values: ReadonlyMap<string, string | boolean>;
  /** Every option given, in command-line order (for options that may repeat, such as --exclude and --include). */
  readonly ordered?: ReadonlyArray<readonly [string, string | boolean]>;
}

/** A mistake in the command line: printed with a hint to `--help`, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';

  constructor(
    message: string,
    /** The command it concerns, for the hint. */
    readonly command?: string,
  ) {
    super(message);
  }
}

/**
 * Parses `argv` (without `node` and the script). Options may come before or after the command and its operands,
 * as `--name value`, `--name=value` or `-x`; `--` ends the options; a lone `-` is an operand (stdin/stdout).
 * Throws {@link UsageError} for an unknown command or option, a missing value or a wrong operand count.
 */
export function parseArgs(argv: readonly string[], globals: readonly OptionSpec[], commands: readonly CommandSpec[]): ParsedArgs {
  const commandName = findCommand(argv, globals);
  const command = commandName === undefined ? undefined : commands.find((c) => c.name === commandName);
  if (commandName !== undefined && command === undefined) {
    throw new UsageError(`unknown command '${commandName}' (commands: ${commands.map((c) => c.name).join(', ')})`);
  }
  const known = [...globals, ...(command?.options ?? [])];
  const values = new Map<string, string | boolean>();
  const ordered: Array<[string, string | boolean]> = [];
  const operands: string[] = [];
  let seenCommand = false;
  let optionsEnded = false;

  for (let i = 0; i < argv.length; i += 1) {
    const token = argv[i]!;
    if (optionsEnded || token === '-' || !token.startsWith('-')) {
      if (!seenCommand && command !== undefined) seenCommand = true;
      else operands.push(token);
      continue;
    }
    if (token === '--') {
      optionsEnded = true;
      continue;
    }
    const { spec, negated, inline } = lookup(token, known, command?.name);
    if (spec.value === undefined) {
      if (inline !== undefined) throw new UsageError(`option --${spec.name} takes no value`, command?.name);
      values.set(spec.name, !negated);
      ordered.push([spec.name, !negated]);
      continue;
    }
    if (negated) throw new UsageError(`unknown option ${token}`, command?.name);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`option --${spec.name} needs a value (${spec.value})`, command?.name);
    values.set(spec.name, checkChoice(spec, value, command?.name));
    ordered.push([spec.name, values.get(spec.name)!]);
  }

  const helpAsked = values.get('help') === true || values.get('version') === true;
  if (command !== undefined && !helpAsked) {
    const { min, max } = command.operands;
    if (operands.length < min) throw new UsageError(`${command.name} needs ${min === max ? min : `at least ${min}`} operand${min === 1 ? '' : 's'}: ${command.usage[0] ?? ''}`, command.name);
    if (operands.length > max) throw new UsageError(`${command.name} takes at most ${max} operand${max === 1 ? '' : 's'}; unexpected '${operands[max] ?? ''}'`, command.name);
  }
  return { command: command?.name, operands, values, ordered };
}

/** The first token that is neither an option nor the value of a global option: the command's name. */
function findCommand(argv: readonly string[], globals: readonly OptionSpec[]): string | undefined {
  for (let i = 0; i < argv.length; i += 1) {
    const token = argv[i]!;
    if (token === '--') return argv[i + 1];
    if (token === '-' || !token.startsWith('-')) return token;
    const spec = globals.find((o) => `--${o.name}` === token || (o.short !== undefined && `-${o.short}` === token));
    if (spec?.value !== undefined) i += 1;
  }
  return undefined;
}

function lookup(token: string, known: readonly OptionSpec[], command: string | undefined): { spec: OptionSpec; negated: boolean; inline: string | undefined } {
  if (!token.startsWith('--')) {
    const spec = token.length === 2 ? known.find((o) => o.short === token[1]) : undefined;
    if (spec === undefined) throw new UsageError(`unknown option ${token}`, command);
    return { spec, negated: false, inline: undefined };
  }
  const equals = token.indexOf('=');
  const name = token.slice(2, equals < 0 ? undefined : equals);
  const inline = equals < 0 ? undefined : token.slice(equals + 1);
  const direct = known.find((o) => o.name === name);
  if (direct !== undefined) return { spec: direct, negated: false, inline };
  const negated = name.startsWith('no-') ? known.find((o) => o.name === name.slice(3) && o.value === undefined) : undefined;
  if (negated !== undefined && inline === undefined) return { spec: negated, negated: true, inline };
  throw new UsageError(`unknown option --${name}`, command);
}

function checkChoice(spec: OptionSpec, value: string, command: string | undefined): string {
  if (spec.choices === undefined) return value;
  const choice = spec.choices.find((c) => c.toLowerCase() === value.toLowerCase());
  if (choice === undefined) throw new UsageError(`--${spec.name} must be one of ${spec.choices.join(', ')}; got '${value}'`, command);
  return choice;
}

/** The text of `rx-s3 --help` (no command) or `rx-s3 <command> --help`. */
export function helpText(
  tool: { readonly name: string; readonly summary: string; readonly details?: readonly string[] },
  globals: readonly OptionSpec[],
  commands: readonly CommandSpec[],
  command?: CommandSpec,
): string {
  const lines: string[] = [];
  if (command === undefined) {
    lines.push(`${tool.name}: ${tool.summary}`, '', `Usage: ${tool.name} <command> [options]`, '', 'Commands:');
    const width = Math.max(...commands.map((c) => c.name.length));
    for (const c of commands) lines.push(`  ${c.name.padEnd(width)}  ${c.summary}`);
    lines.push('', 'Global options:', ...optionLines(globals));
    for (const paragraph of tool.details ?? []) lines.push('', ...wrap(paragraph, 100));
    lines.push('', `Run '${tool.name} <command> --help' for a command's operands and options.`);
  } else {
    lines.push(`${tool.name} ${command.name}: ${command.summary}`, '', 'Usage:', ...command.usage.map((u) => `  ${tool.name} ${u}`));
    for (const paragraph of command.details ?? []) lines.push('', ...wrap(paragraph, 100));
    if (command.options.length > 0) lines.push('', 'Options:', ...optionLines(command.options));
    lines.push('', 'Global options:', ...optionLines(globals));
  }
  return `${lines.join('\n')}\n`;
}

function optionLines(options: readonly OptionSpec[]): string[] {
  const left = options.map((o) => `${o.short === undefined ? '    ' : `-${o.short}, `}--${o.name}${o.value === undefined ? '' : ` ${o.value}`}`);
  const width = Math.max(...left.map((l) => l.length));
  return options.map((o, i) => `  ${left[i]!.padEnd(width)}  ${o.description}`);
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

/** Typed access to parsed option values, with the checks every command needs. */
export class Options {
  constructor(
    private readonly values: ReadonlyMap<string, string | boolean>,
    private readonly command: string | undefined,
    private readonly ordered: ReadonlyArray<readonly [string, string | boolean]> = [],
  ) {}

  /** Every value given to any of `names`, in command-line order (`--exclude a --include b --exclude c`). */
  occurrences(names: readonly string[]): Array<readonly [string, string]> {
    return this.ordered.filter((o): o is readonly [string, string] => names.includes(o[0]) && typeof o[1] === 'string');
  }

  flag(name: string): boolean {
    return this.values.get(name) === true;
  }

  /** A flag's value, or undefined when it was not given either way. */
  maybeFlag(name: string): boolean | undefined {
    const value = this.values.get(name);
    return typeof value === 'boolean' ? value : undefined;
  }

  string(name: string): string | undefined {
    const value = this.values.get(name);
    return typeof value === 'string' ? value : undefined;
  }

  /** A whole number from `min` to `max`. */
  integer(name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw new UsageError(`--${name} must be a whole number from ${min} to ${max}; got '${text}'`, this.command);
    }
    return value;
  }

  /** A size in bytes: `8388608`, `8MiB`, `8M`, `8MB` (K, M, G are binary multiples, as in `aws s3`). */
  size(name: string): number | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    const match = /^(\d+(?:\.\d+)?)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)?$/i.exec(text.trim());
    const unit = (match?.[2] ?? 'b').toLowerCase()[0] as 'b' | 'k' | 'm' | 'g';
    const value = match === null ? Number.NaN : Math.round(Number(match[1]) * { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[unit]);
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new UsageError(`--${name} must be a size such as 8MiB or 8388608; got '${text}'`, this.command);
    }
    return value;
  }

  /** `key=value` pairs separated by commas: `--metadata owner=me,team=data`. */
  pairs(name: string): Record<string, string> | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    const pairs: Record<string, string> = {};
    for (const item of text.split(',')) {
      const equals = item.indexOf('=');
      if (equals <= 0) throw new UsageError(`--${name} takes key=value pairs separated by commas; got '${item}'`, this.command);
      pairs[item.slice(0, equals).trim()] = item.slice(equals + 1);
    }
    return pairs;
  }
}
