import pino from 'pino';
import { LOG_LEVELS } from './config';

/**
 * The logger exists before the configuration is read (every module imports it), so it must not
 * throw on a bad LOG_LEVEL: pino would end the process with a stack trace instead of the
 * configuration check's one message. An unknown or empty value falls back to the default here,
 * and loadConfig reports it.
 */
function levelFromEnv(): string {
  const given = process.env.LOG_LEVEL;
  if (given && (LOG_LEVELS as readonly string[]).includes(given)) return given;
  return process.env.NODE_ENV === 'test' ? 'silent' : 'info';
}

/** Structured JSON logs (pino). One logger per process; children add context such as requestId or orderId. */
export const logger = pino({
  level: levelFromEnv(),
  base: { service: process.env.SERVICE_NAME || 'commerce' },
  redact: ['req.headers.authorization', '*.password', '*.email', '*.phone'],
});

export type Logger = pino.Logger;
