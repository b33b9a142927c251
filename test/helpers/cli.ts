// Runs the `firstseen` CLI as a child process, the way a person at a terminal does, with only the
// environment given (plus PATH). `preload` adds modules loaded before the CLI (e.g. one that forbids
// network access); `input` is written to its stdin.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

const MAIN = resolve(import.meta.dirname, '../../src/cli/main.ts');

export function firstseen(
  args: string[],
  env: Record<string, string>,
  options: { input?: string | Buffer; preload?: string[] } = {},
) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((done, fail) => {
    const imports = ['tsx', ...(options.preload ?? [])].flatMap((m) => ['--import', m]);
    const child = spawn(process.execPath, [...imports, MAIN, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}
