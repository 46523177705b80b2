/**
 * Structured JSON logs (pino) on stderr. Callers log counts, offsets, days and
 * reasons; never client ids, emails, transaction ids, URLs or secrets. The
 * redact list is a second line of defence for fields that must never appear.
 */
import { type Logger, pino } from 'pino';

export type { Logger };

export const REDACTED_PATHS = [
  '*.password',
  '*.routingKey',
  '*.routing_key',
  '*.webhookUrl',
  '*.url',
  '*.clientId',
  '*.client_id',
  '*.email',
  '*.user_email',
  '*.transactionId',
  '*.transaction_id',
];

export function createLogger(level = process.env.LOG_LEVEL ?? 'info', name = 'event-monitor'): Logger {
  return pino(
    { name, level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, base: { pid: process.pid } },
    pino.destination(2),
  );
}
