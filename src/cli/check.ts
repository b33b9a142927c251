// `firstseen check <url|file|-|chk_…>`: submit to a running service, wait with progress on stderr, print
// the summary (or the check's JSON) on stdout.
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { fileTypeFromBuffer } from 'file-type';
import type { Check } from '../../schemas/check.js';
import type { CheckOptions } from './args.js';
import { ApiClient } from './client.js';
import { clean, EXIT, Failure, UsageError, type Io } from './io.js';
import { formatElapsed, StatusLine } from './progress.js';
import { formatCheck } from './summary.js';

export type Submission =
  | { kind: 'url'; url: string }
  | { kind: 'upload'; bytes: Buffer; contentType: string; filename: string | null }
  | { kind: 'text'; text: string }
  | { kind: 'existing'; id: string };

const CHECK_ID = /^chk_[A-Za-z0-9_-]{1,60}$/;
/** Polling starts fast (a small image is done in well under a second) and slows down to this. */
const MAX_POLL_MS = 1000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(parts);
}

/** Bytes as a check: an image or video is uploaded, text is checked for its links. */
async function fromBytes(bytes: Buffer, filename: string | null, what: string): Promise<Submission> {
  if (bytes.length === 0) throw new UsageError(`${what} is empty`, 'check');
  const type = await fileTypeFromBuffer(bytes);
  if (type && /^(image|video)\//.test(type.mime)) {
    return { kind: 'upload', bytes, contentType: type.mime, filename };
  }
  let text: string | null = null;
  if (!type && !bytes.includes(0)) {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      text = null;
    }
  }
  if (text === null) {
    throw new UsageError(
      `${what} is ${type ? type.mime : 'binary data'}: neither an image, a video nor text with links`,
      'check',
    );
  }
  if (text.trim() === '') throw new UsageError(`${what} holds no text`, 'check');
  return { kind: 'text', text };
}

/** What the argument names; throws UsageError when it is none of the four. */
export async function classify(input: string, io: Io): Promise<Submission> {
  if (input === '-') {
    if (io.stdin.isTTY) io.stderr.write('Reading standard input: paste text or links, then Ctrl-D.\n');
    return fromBytes(await readAll(io.stdin), null, 'standard input');
  }
  if (/^https?:\/\//i.test(input)) return { kind: 'url', url: input };
  const info = await stat(input).catch(() => null);
  if (info?.isFile()) return fromBytes(await readFile(input), basename(input), input);
  if (info) throw new UsageError(`${input} is not a file`, 'check');
  if (CHECK_ID.test(input)) return { kind: 'existing', id: input };
  if (/^[a-z0-9-]+(\.[a-z0-9-]+)+\//i.test(input))
    throw new UsageError(`no file ${input}; for a link, give it whole: https://${input}`, 'check');
  throw new UsageError(`${input} is neither an http(s) URL, a file, "-" nor a check id`, 'check');
}

/** Polls until the check is done or failed, or the deadline passes (then Failure: the check goes on). */
async function waitFor(client: ApiClient, id: string, deadline: number, status: StatusLine): Promise<Check> {
  const t0 = Date.now();
  let delay = 200;
  for (;;) {
    const check = await client.check(id, Math.max(1000, Math.min(deadline - Date.now(), 30_000)));
    status.set(`${id} ${check.status}`);
    if (check.status === 'done' || check.status === 'failed') return check;
    if (Date.now() + delay > deadline) {
      throw new Failure(
        `${id} is still ${check.status} after ${formatElapsed(Date.now() - t0)}; it goes on without us: ` +
          `wait for it again with 'firstseen check ${id}'`,
      );
    }
    await sleep(delay);
    status.tick();
    delay = Math.min(delay * 1.5, MAX_POLL_MS);
  }
}

export async function checkCommand(options: CheckOptions, io: Io): Promise<number> {
  const deadline = Date.now() + options.timeoutMs;
  const submission = await classify(options.input, io);
  const client = new ApiClient(options);
  const status = new StatusLine(io.stderr, !options.quiet);
  const left = () => Math.max(1000, deadline - Date.now());

  let id: string;
  if (submission.kind === 'existing') {
    id = submission.id;
  } else {
    status.set('submitting');
    const accepted =
      submission.kind === 'upload'
        ? await client.upload(submission.bytes, submission.contentType, submission.filename, left())
        : await client.submit(
            submission.kind === 'url' ? { url: submission.url } : { text: submission.text },
            left(),
          );
    id = accepted.id;
    if (accepted.reused) status.note(`${id}: the same submission was checked recently; showing that check`);
  }

  // ^C while waiting stops the waiting, not the check: say how to pick it up again.
  const onInterrupt = () => {
    status.stop();
    io.stderr.write(`\nStopped waiting. ${id} goes on; see it with 'firstseen check ${id}'.\n`);
    process.exit(130);
  };
  process.once('SIGINT', onInterrupt);
  let check: Check;
  try {
    check = await waitFor(client, id, deadline, status);
  } finally {
    process.removeListener('SIGINT', onInterrupt);
    status.stop();
  }

  if (options.json) io.stdout.write(`${JSON.stringify(check, null, 2)}\n`);
  else io.stdout.write(formatCheck(check, { color: io.settings.color && !!io.stdout.isTTY }));
  if (check.status === 'failed') {
    io.stderr.write(
      `firstseen: check ${id} failed: ${clean(check.error?.code ?? 'failed')}: ${clean(check.error?.message ?? '')}\n`,
    );
    return EXIT.failed;
  }
  return EXIT.ok;
}
