import type { ApiClient } from './apiClient';
import type { CliConfig } from './config';
import type { Output } from './output';

/** What every command runs with, made once the global flags are parsed. */
export interface Context {
  config: CliConfig;
  api: ApiClient;
  out: Output;
}

/** Commands are declared before the flags are parsed; they ask for the context when they run. */
export type ContextSource = () => Context;
