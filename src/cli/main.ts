#!/usr/bin/env node
// `firstseen`: the command-line tool (package bin, built to dist/src/cli/main.js). Everything is in
// run.ts; this wires it to the process and exits once the output is written.
import { run } from './run.js';
import { readSettings } from './settings.js';

// `firstseen check … | head`: a reader that stops early is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const code = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  settings: readSettings(),
});
// Exit explicitly (an idle keep-alive socket or decoder thread must not hold the process), but only
// once stdout and stderr have handed everything to the system: a pipe may still be draining.
const flushed = (stream: NodeJS.WriteStream) => new Promise<void>((r) => stream.write('', () => r()));
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(code);
