import winston from 'winston';
import type { Config } from '../config/schema.ts';

export type Logger = winston.Logger;

/** A winston logger: JSON lines in production, a readable single line in development. */
export function createLogger(cfg: Config['log'], defaultMeta: Record<string, unknown> = {}): Logger {
  const pretty = winston.format.printf(({ level, message, timestamp, ...meta }) => {
    const rest = Object.keys(meta).length ? ` ${JSON.stringify(meta)}` : '';
    return `${String(timestamp)} ${level} ${String(message)}${rest}`;
  });
  return winston.createLogger({
    level: cfg.level,
    defaultMeta,
    format:
      cfg.format === 'json'
        ? winston.format.combine(winston.format.timestamp(), winston.format.errors({ stack: true }), winston.format.json())
        : winston.format.combine(winston.format.timestamp(), winston.format.errors({ stack: true }), winston.format.colorize(), pretty),
    // stderr keeps stdout free for CLI output piped by operators.
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] })],
  });
}
