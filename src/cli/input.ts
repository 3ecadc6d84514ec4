import fs from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { UsageError } from './exit';

/**
 * Reading what a person types: JSON bodies (`--data`, `--file`, `-` for stdin), comma lists,
 * `key=value` pairs and times. A value the CLI cannot read is a usage error (exit 2); whether the
 * API accepts what was read is the API's to say, in its own words. Flag parsers throw commander's
 * InvalidArgumentError, so commander words them as it words its own usage errors.
 */

export interface BodySource {
  data?: string;
  file?: string;
}

function parseJson(text: string, where: string, Failure: new (message: string) => Error = UsageError): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Failure(`${where}not valid JSON: ${(err as Error).message}`);
  }
}

/** The body given whole with `--data '<json>'` or `--file path.json`; undefined when neither. */
export function bodyFrom({ data, file }: BodySource): Record<string, unknown> | undefined {
  if (data !== undefined && file !== undefined) throw new UsageError('give the body with --data or --file, not both');
  let value: unknown;
  if (data !== undefined) value = parseJson(data, '--data is ');
  else if (file !== undefined) {
    let text: string;
    try {
      text = fs.readFileSync(file === '-' ? 0 : file, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read --file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    value = parseJson(text, `--file ${file} is `);
  } else return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UsageError('the body must be a JSON object');
  return value as Record<string, unknown>;
}

/** A JSON flag such as `--filter '{"data.disposition":"qualified"}'`. */
export function jsonFlag(text: string): unknown {
  return parseJson(text, '', InvalidArgumentError);
}

/** `a,b,c`, blanks dropped. */
export function list(text: string): string[] {
  return text.split(',').map((s) => s.trim()).filter(Boolean);
}

/** A repeatable `key=value`, collected into one object. */
export function pair(text: string, previous: Record<string, string> = {}): Record<string, string> {
  const at = text.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError(`expected key=value, got "${text}"`);
  return { ...previous, [text.slice(0, at)]: text.slice(at + 1) };
}

/** A whole number at least `min`. */
export function integer(min: number) {
  return (text: string): number => {
    // Number('') is 0: the digits are checked first.
    const n = /^-?\d+$/.test(text.trim()) ? Number(text) : NaN;
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`expected a whole number of at least ${min}, got "${text}"`);
    return n;
  };
}

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** An ISO 8601 time as it is, or a span back from `now` such as `90m`, `6h`, `2d`. */
export function timeFlag(now: () => Date = () => new Date()) {
  return (text: string): string => {
    const span = /^(\d+)([smhd])$/.exec(text.trim());
    if (span) return new Date(now().getTime() - Number(span[1]) * UNIT_MS[span[2] as keyof typeof UNIT_MS]).toISOString();
    // The API checks the format; only what is plainly not a time is stopped here.
    if (Number.isNaN(Date.parse(text))) throw new InvalidArgumentError(`expected an ISO 8601 time or a span such as 6h or 2d, got "${text}"`);
    return text;
  };
}
