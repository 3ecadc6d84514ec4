import { z } from 'zod';
import { processEnvironment } from '../config';

/**
 * The CLI's whole configuration: the service's url, the API key, the tenant and the output mode,
 * read once at start from the environment (CALLBACKS_URL, CALLBACKS_API_KEY) and the global flags,
 * which win. Nothing else in the CLI looks at the environment; commands get this object. The
 * environment comes from processEnvironment(), the project's one reader of it
 * (test/unit/configReadOnce.test.ts).
 */

export const DEFAULT_URL = 'http://127.0.0.1:3000';

/** The global flags, as commander hands them over. */
export interface GlobalFlags {
  /** Not `--url`: that is an endpoint's url in `endpoints create|update`. */
  apiUrl?: string;
  apiKey?: string;
  tenant?: string;
  json?: boolean;
}

const cliConfigSchema = z.object({
  url: z
    .url({ protocol: /^https?$/, error: 'must be an http or https url, such as http://127.0.0.1:3000' })
    // Paths are appended to it: `/v1/...` after a trailing slash would make `//v1`.
    .transform((url) => url.replace(/\/+$/, '')),
  apiKey: z
    .string()
    .min(1)
    .regex(/^[^,\s]+$/, 'must be one key (the service takes a comma-separated list; the CLI uses one of them)')
    // The service's own form `admin:KEY` names the key's role; the bearer token is the key alone.
    .transform((key) => key.replace(/^(admin|ingest):/, ''))
    .optional(),
  tenant: z.string().min(1).max(200).optional(),
  json: z.boolean(),
});

export type CliConfig = z.infer<typeof cliConfigSchema>;

/** Names the source of each value in error messages, so a bad flag is not blamed on the environment. */
const SOURCES = { url: ['--api-url', 'CALLBACKS_URL', 'apiUrl'], apiKey: ['--api-key', 'CALLBACKS_API_KEY', 'apiKey'] } as const;

export class CliConfigError extends Error {}

export function loadCliConfig(flags: GlobalFlags, env: Record<string, string | undefined> = processEnvironment()): CliConfig {
  // An empty variable means "not set", as the service reads it (src/config.ts).
  const fromEnv = (name: string) => (env[name]?.trim() ? env[name]!.trim() : undefined);
  const given = {
    url: flags.apiUrl ?? fromEnv('CALLBACKS_URL') ?? DEFAULT_URL,
    apiKey: flags.apiKey ?? fromEnv('CALLBACKS_API_KEY'),
    tenant: flags.tenant,
    json: flags.json === true,
  };
  const parsed = cliConfigSchema.safeParse(given);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const field = String(issue.path[0]) as keyof typeof given;
    const source =
      field === 'url' || field === 'apiKey'
        ? flags[SOURCES[field][2]] !== undefined ? SOURCES[field][0] : SOURCES[field][1]
        : `--${field}`;
    return `${source}: ${issue.message}`;
  });
  throw new CliConfigError(`invalid configuration: ${problems.join('; ')}`);
}
