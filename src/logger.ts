import pino from 'pino';

/** Structured JSON logs (pino). One logger per process; children add context such as requestId or orderId. */
export const logger = pino({
  level: process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'silent' : 'info'),
  base: { service: process.env.SERVICE_NAME ?? 'commerce' },
  redact: ['req.headers.authorization', '*.password', '*.email', '*.phone'],
});

export type Logger = pino.Logger;
