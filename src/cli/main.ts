import { Command, CommanderError } from 'commander';
import { VERSION } from '../version';
import { createApiClient } from './apiClient';
import { DEFAULT_URL, loadCliConfig, type GlobalFlags } from './config';
import type { Context } from './context';
import { deliveriesCommand } from './deliveries';
import { endpointsCommand } from './endpoints';
import { eventsCommand } from './events';
import { EXIT, report } from './exit';
import { jobsCommand } from './jobs';
import { stdoutOutput } from './output';
import { recoverCommand } from './recover';
import { keysCommand, tenantsCommand } from './tenants';

/**
 * `callbacks`: the service's API from a terminal or a script (docs/cli.md). Run through
 * bin/callbacks.cjs. Exit codes: src/cli/exit.ts.
 */

export function buildProgram(): Command {
  let context: Context | undefined;
  const program = new Command('callbacks')
    .description('Endpoints, events, deliveries and recoveries of a callback-events service')
    .version(VERSION)
    .option('--api-url <url>', `the service (default: CALLBACKS_URL, else ${DEFAULT_URL})`)
    .option('--api-key <key>', 'the API key (default: CALLBACKS_API_KEY; prefer the variable: flags show in ps and shell history)')
    .option('--tenant <id>', 'act as this tenant (sends X-Tenant-Id)')
    .option('--json', 'print the API\'s JSON instead of tables; errors as JSON on stderr');

  // Once, before any command runs: the config is read and checked here and nowhere else.
  program.hook('preAction', (_program, action) => {
    const config = loadCliConfig(action.optsWithGlobals<GlobalFlags>());
    context = { config, api: createApiClient(config), out: stdoutOutput };
  });
  const contextSource = () => {
    if (!context) throw new Error('a command ran before the configuration was read');
    return context;
  };

  program.addCommand(endpointsCommand(contextSource));
  program.addCommand(eventsCommand(contextSource));
  program.addCommand(deliveriesCommand(contextSource));
  program.addCommand(recoverCommand(contextSource));
  program.addCommand(jobsCommand(contextSource));
  program.addCommand(tenantsCommand(contextSource));
  program.addCommand(keysCommand(contextSource));

  // addCommand does not pass settings down: every command throws its usage errors to main().
  const throwUsageErrors = (command: Command) => {
    command.exitOverride().showHelpAfterError('(add --help for usage)');
    command.commands.forEach(throwUsageErrors);
  };
  throwUsageErrors(program);
  return program;
}

async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return EXIT.ok;
  } catch (err) {
    // Commander has printed its message already; help and --version end it with exit code 0.
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    // The config may be what failed, so --json is read from the command line itself.
    return report(err, argv.includes('--json'));
  }
}

// exitCode, not exit(): stdout drains before the process ends (a piped table is not cut short).
void main(process.argv).then((code) => {
  process.exitCode = code;
});
