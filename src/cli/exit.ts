import { ApiError, UnreachableError } from './apiClient';
import { CliConfigError } from './config';

/**
 * Exit codes, one meaning each, so a script can branch on them (docs/cli.md):
 * 0 done; 1 the API answered an error, or what was asked did not happen (a test not delivered, a
 * job with failures); 2 a usage error (commander's, or a flag the CLI could not read); 3 no
 * answer from the service; 130 interrupted (Ctrl-C) while following a job, which runs on.
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, unreachable: 3, interrupted: 130 } as const;

/** A command line the CLI cannot act on: a bad flag value, an unreadable file. */
export class UsageError extends Error {}

/** The API answered, but what was asked did not happen; `code` names what, as an API error would. */
export class OutcomeError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Prints the error on stderr (the API's JSON body as it is with --json) and gives the exit code. */
export function report(err: unknown, json: boolean): number {
  const write = (code: string, message: string, body?: unknown) => {
    if (json) process.stderr.write(`${JSON.stringify(body ?? { error: { code, message } })}\n`);
    else process.stderr.write(`error: ${code}: ${message}\n`);
  };
  if (err instanceof ApiError) {
    write(err.code, err.message, err.body);
    return EXIT.failed;
  }
  if (err instanceof OutcomeError) {
    write(err.code, err.message);
    return EXIT.failed;
  }
  if (err instanceof UnreachableError) {
    write('unreachable', err.message);
    return EXIT.unreachable;
  }
  if (err instanceof UsageError || err instanceof CliConfigError) {
    write('usage', err.message);
    return EXIT.usage;
  }
  // A fault of the CLI itself: say so, without a stack trace that might quote a request.
  write('internal', (err as Error)?.message ?? String(err));
  return EXIT.failed;
}
