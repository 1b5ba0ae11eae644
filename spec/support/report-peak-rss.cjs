// Preloaded (`node --require`) into a child process whose memory a spec measures: on SIGUSR2, and at exit, prints
// the process's peak resident set size so far (bytes) on stderr as `rx-s3-peak-rss <bytes>`. Read by the child
// itself, so the figure is there even when the process ends before anyone could sample it. VmHWM (Linux), not
// resourceUsage().maxRSS: the latter keeps the forking parent's peak across exec, which hides the child's own.
const { readFileSync } = require('node:fs');

const report = () => {
  const kib = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  process.stderr.write(`\nrx-s3-peak-rss ${Number(kib) * 1024}\n`);
};
process.on('SIGUSR2', report);
process.on('exit', report);
