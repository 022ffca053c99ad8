import { Command } from 'commander';
import { serverCommand } from './server-command.js';
import { envCommand } from './env-command.js';
import { deployCommand } from './deploy-command.js';
import { invokeCommand } from './invoke-command.js';
import { logsCommand } from './logs-command.js';
import { keysCommand } from './keys-command.js';

const program = new Command('flint').description('Flint: a self-hosted, AWS Lambda-compatible function platform');
program.addCommand(serverCommand());
program.addCommand(envCommand());
program.addCommand(deployCommand());
program.addCommand(invokeCommand());
program.addCommand(logsCommand());
program.addCommand(keysCommand());
await program.parseAsync(process.argv);
