import { expect } from 'chai';
import { helpText, Options, parseArgs, UsageError, type CommandSpec, type OptionSpec } from '../../lib/cli/args';
import { resolveConnection } from '../../lib/cli/client';
import { COMMANDS } from '../../lib/cli/commands/index';
import { parseLocation, targetKey } from '../../lib/cli/location';

const GLOBALS: readonly OptionSpec[] = [
  { name: 'region', value: 'REGION', description: 'region' },
  { name: 'force-path-style', description: 'path style' },
  { name: 'help', short: 'h', description: 'help' },
];
const SPECS: readonly CommandSpec[] = [
  {
    name: 'cp',
    summary: 'copy',
    usage: ['cp <source> <target>'],
    operands: { min: 2, max: 2 },
    options: [
      { name: 'part-size', value: 'SIZE', description: 'part size' },
      { name: 'method', value: 'M', choices: ['GET', 'PUT'], description: 'method' },
      { name: 'recursive', short: 'r', description: 'recursive' },
    ],
  },
];

const parse = (...argv: string[]) => parseArgs(argv, GLOBALS, SPECS);
const usageError = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(UsageError);
    return (error as UsageError).message;
  }
  throw new Error('expected a UsageError');
};

describe('cli: argument parsing (table-driven)', () => {
  it('takes options before and after the command, as --name value, --name=value and -x; a lone - is an operand', () => {
    const parsed = parse('--region', 'eu-west-1', 'cp', '-', 's3://b/k', '--part-size=5MiB', '-r', '--method', 'put');
    expect(parsed.command).to.equal('cp');
    expect(parsed.operands).to.deep.equal(['-', 's3://b/k']);
    expect(Object.fromEntries(parsed.values)).to.deep.equal({ region: 'eu-west-1', 'part-size': '5MiB', recursive: true, method: 'PUT' });
  });

  it('turns a flag off with --no-<flag>, and -- ends the options', () => {
    const parsed = parse('cp', '--no-force-path-style', '--', '--odd-name', 'x');
    expect(parsed.values.get('force-path-style')).to.equal(false);
    expect(parsed.operands).to.deep.equal(['--odd-name', 'x']);
  });

  it('rejects unknown commands and options, missing values, wrong choices and operand counts', () => {
    expect(usageError(() => parse('bogus'))).to.match(/unknown command 'bogus'/);
    expect(usageError(() => parse('cp', 'a', 'b', '--nope'))).to.match(/unknown option --nope/);
    expect(usageError(() => parse('cp', 'a', 'b', '--part-size'))).to.match(/--part-size needs a value/);
    expect(usageError(() => parse('cp', 'a', 'b', '--method', 'POST'))).to.match(/--method must be one of GET, PUT/);
    expect(usageError(() => parse('cp', 'a', 'b', '--recursive=yes'))).to.match(/takes no value/);
    expect(usageError(() => parse('cp', 'a'))).to.match(/cp needs 2 operands/);
    expect(usageError(() => parse('cp', 'a', 'b', 'c'))).to.match(/at most 2 operands; unexpected 'c'/);
  });

  it('accepts --help without operands', () => {
    expect(parse('cp', '--help').values.get('help')).to.equal(true);
    expect(parse('-h').command).to.equal(undefined);
  });

  it('reads typed values: sizes with binary units, bounded integers, key=value pairs', () => {
    const options = (values: Record<string, string>) => new Options(new Map(Object.entries(values)), 'cp');
    expect(['5242880', '5MiB', '5M', '5mb', '1.5GiB'].map((v) => options({ s: v }).size('s'))).to.deep.equal([5242880, 5242880, 5242880, 5242880, 1610612736]);
    expect(usageError(() => options({ s: 'five' }).size('s'))).to.match(/--s must be a size/);
    expect(options({ n: '7' }).integer('n', 1, 10)).to.equal(7);
    expect(usageError(() => options({ n: '0' }).integer('n', 1, 10))).to.match(/from 1 to 10; got '0'/);
    expect(usageError(() => options({ n: '2.5' }).integer('n', 1, 10))).to.match(/whole number/);
    expect(options({ m: 'owner=me,team=a=b' }).pairs('m')).to.deep.equal({ owner: 'me', team: 'a=b' });
    expect(usageError(() => options({ m: 'owner' }).pairs('m'))).to.match(/key=value/);
  });

  it('every command has a summary, usage and help text listing its options', () => {
    for (const command of COMMANDS) {
      const text = helpText({ name: 'rx-s3', summary: 's' }, GLOBALS, COMMANDS.map((c) => c.spec), command.spec);
      expect(text).to.include(`rx-s3 ${command.spec.name}: ${command.spec.summary}`);
      for (const usage of command.spec.usage) expect(text).to.include(`rx-s3 ${usage}`);
      for (const option of command.spec.options) expect(text).to.include(`--${option.name}`);
    }
  });

  it('parses locations: s3://bucket/key, s3://bucket, local paths and -', () => {
    expect(parseLocation('s3://b/dir/k.txt')).to.deep.equal({ kind: 's3', bucket: 'b', key: 'dir/k.txt' });
    expect(parseLocation('S3://b')).to.deep.equal({ kind: 's3', bucket: 'b', key: '' });
    expect(parseLocation('./file')).to.deep.equal({ kind: 'local', path: './file' });
    expect(parseLocation('-')).to.deep.equal({ kind: 'stdio' });
    expect([targetKey('', 'f.bin'), targetKey('dir/', 'f.bin'), targetKey('name', 'f.bin')]).to.deep.equal(['f.bin', 'dir/f.bin', 'name']);
  });

  it('a --concurrency above 50 raises the client\'s connections per host to match; otherwise the library\'s default', () => {
    const sockets = (concurrency: string | undefined): number | undefined =>
      resolveConnection(new Options(new Map(concurrency === undefined ? [] : [['concurrency', concurrency]]), 'cp'), {}).maxSockets;
    expect([sockets(undefined), sockets('8'), sockets('50'), sockets('51'), sockets('400'), sockets('x')]).to.deep.equal([undefined, undefined, undefined, 51, 400, undefined]);
  });
});
