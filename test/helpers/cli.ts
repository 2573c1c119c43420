import { execFile } from 'node:child_process';
import path from 'node:path';
import { Readable } from 'node:stream';
import { projectRoot } from '../../src/config/load.ts';
import type { CliIo } from '../../src/cli/io.ts';
import { runCli } from '../../src/cli/program.ts';

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** `slbp <args>` in this process with captured output; stdin is not a terminal unless `tty`. */
export async function runInProcess(args: string[], env: NodeJS.ProcessEnv = {}, opts: { tty?: boolean } = {}): Promise<CliRun> {
  let out = '';
  let err = '';
  const stdin = Readable.from([]) as unknown as CliIo['stdin'];
  stdin.isTTY = opts.tty ?? false;
  const io: CliIo = {
    stdout: {
      write: (s: string) => {
        out += s;
        return true;
      },
      isTTY: opts.tty ?? false,
    },
    stderr: {
      write: (s: string) => {
        err += s;
        return true;
      },
      isTTY: opts.tty ?? false,
    },
    stdin,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
  };
  const code = await runCli(args, io);
  return { code, out, err };
}

/** `node src/cli/main.ts <args>` as a real process (no terminal), with only `env` and PATH/HOME. */
export function runProcess(args: string[], env: Record<string, string> = {}, entry = 'src/cli/main.ts'): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', path.join(projectRoot, entry), ...args],
      {
        cwd: projectRoot,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env },
        maxBuffer: 16 << 20,
      },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number((error as NodeJS.ErrnoException & { code?: unknown }).code ?? 1) : 0, out: stdout, err: stderr });
      },
    );
  });
}

/** True when `text` holds a JavaScript stack trace. */
export const hasStack = (text: string) => /^\s+at .+(\(|:\d+)/m.test(text);
