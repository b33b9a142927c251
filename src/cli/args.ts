// Arguments of every command, parsed with node:util's parseArgs, and the help texts. Nothing here
// touches the network or the file system: a bad argument is found before anything is sent.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './io.js';
import { DEFAULT_SERVICE_URL, type Settings } from './settings.js';

const EXIT_CODES = `Exit codes: 0 done, 1 failed (the check failed, or the service answered an error:
its code is printed), 2 usage (bad arguments, no API key).`;

export const HELP = {
  main: `Usage: firstseen <command> [options]

Where does a viral image come from?

Commands:
  check <url|file|->           submit a link, a file or text to a firstseen service and print the report
  analyze <file>               analyze an image on this machine: no service, no network
  bank import <bank-id> <csv>  load a CSV hash list into a bank, in chunks

Run 'firstseen <command> --help' for its options.
The service: FIRSTSEEN_URL (default ${DEFAULT_SERVICE_URL}) and FIRSTSEEN_API_KEY, or --url and --key.
${EXIT_CODES}
`,
  check: `Usage: firstseen check <url | file | - | check-id> [options]

Submits to a firstseen service, shows progress on stderr while the check runs, then prints a summary
of the report: per media item its source, format and size, the signals, the earliest sighting and what
it rests on, the closest matches, metadata highlights and the Content Credentials status.

  <url>      an http(s) link: a post, a page or an image            POST /v1/checks {"url"}
  <file>     an image or video, uploaded as it is                    POST /v1/checks/upload
             (a text file is checked for every link in it instead)
  -          standard input: an image or video is uploaded; text is checked for every link in it
  chk_...    a check submitted before: wait for it and print it

Options:
  --url <base>     the service (default: FIRSTSEEN_URL, else ${DEFAULT_SERVICE_URL})
  --key <key>      API key (default: FIRSTSEEN_API_KEY; prefer the variable: flags show in ps)
  --no-auth        send no key (a service started with AUTH_REQUIRED=false)
  --json           print the whole check as JSON (as GET /v1/checks/:id answers) instead
  --timeout <s>    stop waiting after this many seconds (default 300); the check goes on
  -q, --quiet      no progress on stderr
  -h, --help       this help

${EXIT_CODES}
`,
  analyze: `Usage: firstseen analyze <file> [options]

Analyzes an image here, without a service, Redis or any network access: what the bytes are, the
metadata (camera, capture time, GPS, software, edit history), Content Credentials (C2PA), the
perceptual hashes, and the signals that need no index of earlier sightings. Matches against images
seen before and against banks need the service: 'firstseen check <file>'.

Options:
  --json       print the report (schema version 2, as GET /v1/checks/:id/report) as JSON
  -h, --help   this help

Thresholds come from the same variables as the service's (MAX_INPUT_PIXELS, PDQ_MIN_QUALITY,
RECYCLED_MARGIN_HOURS, THUMBNAIL_MISMATCH_BITS).
Exit codes: 0 analyzed, 1 the file could not be analyzed (not an image, corrupt), 2 usage.
`,
  bank: `Usage: firstseen bank import <bank-id> <csv-file> [options]

Run 'firstseen bank import --help' for its options.
`,
  bankImport: `Usage: firstseen bank import <bank-id> <csv-file> [options]

Loads a hash list into a bank (POST /v1/banks/:id/import) in chunks of whole rows, the header line
(if any) repeated at the top of each, with a progress bar on stderr; then prints the totals and the
first rejected rows (line numbers in the file). Columns by header (pdq, quality, phash, label,
first_published, source_url, verdict) or, without a header, in that order.

Options:
  --url <base>        the service (default: FIRSTSEEN_URL, else ${DEFAULT_SERVICE_URL})
  --key <key>         API key (default: FIRSTSEEN_API_KEY)
  --no-auth           send no key (a service started with AUTH_REQUIRED=false)
  --chunk-rows <n>    rows per request (default 20000)
  --skip-rows <n>     skip the first n data rows: resume an import that stopped
  --timeout <s>       give up on one request after this many seconds (default 300)
  --json              print the totals as JSON
  -q, --quiet         no progress on stderr
  -h, --help          this help

Exit codes: 0 imported (rejected rows are listed, not fatal), 1 a request failed (the service's
code is printed, and how to resume), 2 usage.
`,
} as const;

/** Where the service is and how to authenticate to it. */
export interface ServiceOptions {
  baseUrl: string;
  /** Null only with --no-auth. */
  apiKey: string | null;
}

export interface CheckOptions extends ServiceOptions {
  input: string;
  json: boolean;
  timeoutMs: number;
  quiet: boolean;
}

export interface AnalyzeOptions {
  file: string;
  json: boolean;
}

export interface BankImportOptions extends ServiceOptions {
  bankId: string;
  file: string;
  chunkRows: number;
  skipRows: number;
  timeoutMs: number;
  json: boolean;
  quiet: boolean;
}

export type Command =
  | { name: 'help'; text: string }
  | { name: 'check'; options: CheckOptions }
  | { name: 'analyze'; options: AnalyzeOptions }
  | { name: 'bank import'; options: BankImportOptions };

const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const;
const SERVICE_OPTIONS = {
  url: { type: 'string' },
  key: { type: 'string' },
  'no-auth': { type: 'boolean' },
} as const;

function parse<O extends NonNullable<ParseArgsConfig['options']>>(
  args: string[],
  options: O,
  command: string,
) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    // parseArgs explains itself well ("Unknown option '--nope'"); keep its first sentence.
    const message = (err as Error).message.split('. ')[0] ?? 'bad arguments';
    throw new UsageError(message, command);
  }
}

function positiveNumber(value: string | undefined, name: string, def: number, command: string): number {
  if (value === undefined) return def;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${name} must be a positive number`, command);
  return n;
}

function wholeNumber(value: string | undefined, name: string, def: number, min: number, command: string) {
  if (value === undefined) return def;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${name} must be an integer >= ${min}`, command);
  return n;
}

function service(
  values: { url?: string | undefined; key?: string | undefined; 'no-auth'?: boolean | undefined },
  settings: Settings,
  command: string,
): ServiceOptions {
  const raw = values.url ?? settings.serviceUrl ?? DEFAULT_SERVICE_URL;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`the service URL "${raw}" is not a URL`, command);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`the service URL must be http(s), not ${url.protocol}`, command);
  if (values['no-auth'] && values.key !== undefined)
    throw new UsageError('give --key or --no-auth, not both', command);
  const apiKey = values['no-auth'] ? null : (values.key?.trim() ?? settings.apiKey);
  if (!values['no-auth'] && !apiKey)
    throw new UsageError(
      'no API key: set FIRSTSEEN_API_KEY or pass --key (or --no-auth for a service without keys)',
      command,
    );
  return { baseUrl: url.href.replace(/\/+$/, ''), apiKey };
}

function exactly(positionals: string[], count: number, what: string, command: string): void {
  if (positionals.length < count) throw new UsageError(`missing ${what}`, command);
  if (positionals.length > count)
    throw new UsageError(`unexpected argument "${positionals[count]}"`, command);
}

/** Parses argv (without node and the script) into a command; throws UsageError. */
export function parseCommand(argv: string[], settings: Settings): Command {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    return { name: 'help', text: HELP.main };
  }
  switch (name) {
    case 'check': {
      const { values, positionals } = parse(
        rest,
        {
          ...HELP_OPTION,
          ...SERVICE_OPTIONS,
          json: { type: 'boolean' },
          timeout: { type: 'string' },
          quiet: { type: 'boolean', short: 'q' },
        },
        'check',
      );
      if (values.help) return { name: 'help', text: HELP.check };
      exactly(positionals, 1, 'what to check: a URL, a file or - for standard input', 'check');
      return {
        name: 'check',
        options: {
          ...service(values, settings, 'check'),
          input: positionals[0] as string,
          json: values.json ?? false,
          timeoutMs: positiveNumber(values.timeout, '--timeout', 300, 'check') * 1000,
          quiet: values.quiet ?? false,
        },
      };
    }
    case 'analyze': {
      const { values, positionals } = parse(rest, { ...HELP_OPTION, json: { type: 'boolean' } }, 'analyze');
      if (values.help) return { name: 'help', text: HELP.analyze };
      exactly(positionals, 1, 'the file to analyze', 'analyze');
      return { name: 'analyze', options: { file: positionals[0] as string, json: values.json ?? false } };
    }
    case 'bank': {
      const [sub, ...args] = rest;
      if (sub === undefined || sub === '--help' || sub === '-h') return { name: 'help', text: HELP.bank };
      if (sub !== 'import') throw new UsageError(`unknown bank command "${sub}"`, 'bank');
      const { values, positionals } = parse(
        args,
        {
          ...HELP_OPTION,
          ...SERVICE_OPTIONS,
          'chunk-rows': { type: 'string' },
          'skip-rows': { type: 'string' },
          timeout: { type: 'string' },
          json: { type: 'boolean' },
          quiet: { type: 'boolean', short: 'q' },
        },
        'bank import',
      );
      if (values.help) return { name: 'help', text: HELP.bankImport };
      exactly(positionals, 2, 'the bank id and the CSV file', 'bank import');
      const bankId = positionals[0] as string;
      if (!/^bank_[a-f0-9]{1,32}$/.test(bankId))
        throw new UsageError(`"${bankId}" is not a bank id (bank_…)`, 'bank import');
      return {
        name: 'bank import',
        options: {
          ...service(values, settings, 'bank import'),
          bankId,
          file: positionals[1] as string,
          chunkRows: wholeNumber(values['chunk-rows'], '--chunk-rows', 20000, 1, 'bank import'),
          skipRows: wholeNumber(values['skip-rows'], '--skip-rows', 0, 0, 'bank import'),
          timeoutMs: positiveNumber(values.timeout, '--timeout', 300, 'bank import') * 1000,
          json: values.json ?? false,
          quiet: values.quiet ?? false,
        },
      };
    }
    default:
      throw new UsageError(`unknown command "${name}"`);
  }
}

/** The help text to show under a usage error of `command`. */
export function usageFor(command: string | null): string {
  const text =
    command === 'check'
      ? HELP.check
      : command === 'analyze'
        ? HELP.analyze
        : command === 'bank import' || command === 'bank'
          ? HELP.bankImport
          : HELP.main;
  // The first line (Usage: …) is enough under an error; --help shows the rest.
  return text.split('\n')[0] ?? '';
}
