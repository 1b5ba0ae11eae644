import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { expect } from 'chai';
import { collect } from '../support/fixtures';
import { makeClient } from '../support/server';
import { expectOneErr } from './support';

/**
 * A port that never completes a connection: a listening socket (in a small Python child) that never accepts, its
 * accept queue filled first, so the kernel drops further SYNs and a connect waits.
 */
async function unansweredPort(): Promise<{ port: number; close(): void }> {
  const child: ChildProcess = spawn('/usr/bin/python3', ['-c', [
    'import socket, sys, time',
    's = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(0)',
    'print(s.getsockname()[1], flush=True)',
    'sys.stdin.read()',
  ].join('\n')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (line: Buffer) => resolve(Number(line.toString().trim())));
    child.once('error', reject);
  });
  const fillers: Socket[] = [];
  for (let i = 0; i < 4; i += 1) {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    fillers.push(socket);
  }
  await new Promise((resolve) => setTimeout(resolve, 100));
  return {
    port,
    close: () => {
      for (const socket of fillers) socket.destroy();
      child.kill();
    },
  };
}

describe('faults: connect timeout', function () {
  this.timeout(20_000);

  it('a server that never completes the connection: each attempt stops at connectMs, then one Err(Timeout)', async function () {
    const target = await unansweredPort().catch(() => undefined);
    if (target === undefined) this.skip();
    const rx = makeClient({ endpoint: `http://127.0.0.1:${target!.port}`, timeouts: { connectMs: 200, idleMs: 0 } });
    try {
      const started = Date.now();
      const error = expectOneErr(await collect(rx.getObjectMetadata('some-bucket', 'k')), 'Timeout');
      expect(error.message).to.match(/could not connect within 200 ms/);
      expect(Date.now() - started).to.be.below(5_000);
    } finally {
      rx.destroy();
      target!.close();
    }
  });
});
