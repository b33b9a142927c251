// The command line, dispatched: parse, run the command, and turn every way it can end into an exit code
// and a message on stderr. Command modules are imported on demand, so `--help` and usage errors answer
// at once and `check` never loads the image decoders.
import { parseCommand, usageFor } from './args.js';
import { ApiError, describeApiError } from './client.js';
import { EXIT, Failure, UsageError, type Io } from './io.js';

export async function run(argv: string[], io: Io): Promise<number> {
  try {
    const command = parseCommand(argv, io.settings);
    switch (command.name) {
      case 'help':
        io.stdout.write(command.text);
        return EXIT.ok;
      case 'check':
        return await (await import('./check.js')).checkCommand(command.options, io);
      case 'analyze':
        return await (await import('./analyze.js')).analyzeCommand(command.options, io);
      case 'bank import':
        return await (await import('./bank-import.js')).bankImportCommand(command.options, io);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      const more = err.command ? `firstseen ${err.command} --help` : 'firstseen --help';
      io.stderr.write(`firstseen: ${err.message}\n${usageFor(err.command)}\nMore: ${more}\n`);
      return EXIT.usage;
    }
    if (err instanceof ApiError) {
      io.stderr.write(`firstseen: ${describeApiError(err)}\n`);
      return EXIT.failed;
    }
    if (err instanceof Failure) {
      io.stderr.write(`firstseen: ${err.message}\n`);
      return EXIT.failed;
    }
    const e = err as NodeJS.ErrnoException;
    // A file that vanished or cannot be read between the check of the arguments and its use.
    if (e.code === 'ENOENT' || e.code === 'EACCES' || e.code === 'EISDIR') {
      io.stderr.write(`firstseen: ${e.message}\n`);
      return EXIT.usage;
    }
    io.stderr.write(`firstseen: unexpected error: ${e.stack ?? String(err)}\n`);
    return EXIT.failed;
  }
}
