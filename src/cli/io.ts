// What every command works with: its streams, its settings, and the three ways it can end. Commands
// get these passed in (src/cli/main.ts passes the process's), so tests can run them in-process too.
import type { Settings } from './settings.js';

/** Where text goes: process.stdout / process.stderr, or a buffer in tests. */
export interface Output {
  write(text: string): unknown;
  /** A terminal: progress redraws one line and may animate; otherwise it writes plain lines. */
  isTTY?: boolean;
}

export interface Io {
  stdout: Output;
  stderr: Output;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  settings: Settings;
}

/** Exit codes: documented in the help text and the README. */
export const EXIT = {
  ok: 0,
  /** The check failed, the file could not be analyzed, or the service answered an error. */
  failed: 1,
  /** Bad arguments or settings: nothing was sent. */
  usage: 2,
} as const;

/** Bad arguments: exit 2 with the command's short usage. */
export class UsageError extends Error {
  override name = 'UsageError';
  constructor(
    message: string,
    readonly command: string | null = null,
  ) {
    super(message);
  }
}

/** The work was attempted and did not succeed (a check failed, a wait timed out): exit 1. */
export class Failure extends Error {
  override name = 'Failure';
}

// C0 and C1 control characters (terminal escape sequences start with them) and the bidirectional
// overrides that make text display in another order than it reads.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text from strangers (EXIF fields, post text, URLs, bank labels, error messages) made safe to print on
 * a terminal: a file's Software tag must not be able to move the cursor or recolour the screen.
 * Newlines and tabs become spaces too unless `multiline`.
 */
export function clean(text: string | null | undefined, multiline = false): string {
  if (text === null || text === undefined) return '';
  const safe = text.replace(UNSAFE, '\uFFFD');
  return multiline ? safe : safe.replace(/[\n\t]+/g, ' ');
}
