import { Writable } from 'node:stream';
import winston from 'winston';
import type { Logger } from '../../src/observability/logger.ts';

export interface LogEntry {
  level: string;
  message: string;
  [meta: string]: unknown;
}

/** A logger that keeps every entry (info and above) for the test to read. */
export function capturingLogger(): { logger: Logger; entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) entries.push(JSON.parse(line) as LogEntry);
      done();
    },
  });
  const logger = winston.createLogger({
    level: 'info',
    format: winston.format.json(),
    transports: [new winston.transports.Stream({ stream })],
  });
  return { logger, entries };
}
