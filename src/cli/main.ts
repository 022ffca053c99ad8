import { Command } from 'commander';
import { serverCommand } from './server-command.js';
import { envCommand } from './env-command.js';

const program = new Command('flint').description('Flint: a self-hosted, AWS Lambda-compatible function platform');
program.addCommand(serverCommand());
program.addCommand(envCommand());
await program.parseAsync(process.argv);
