/**
 * `--service-env K=V`, as the bench and the chaos suite take it: one setting for the service's
 * processes. Answers the pair, or undefined when `arg` is not `KEY=VALUE`.
 */
export function serviceEnvPair(arg: string | undefined): [string, string] | undefined {
  const [key, ...value] = (arg ?? '').split('=');
  if (!/^[A-Z][A-Z0-9_]*$/.test(key) || value.length === 0) return undefined;
  return [key, value.join('=')];
}
