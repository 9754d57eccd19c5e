#!/usr/bin/env node
/**
 * The `multiprocessing-ts` command (package.json `bin`): `npx multiprocessing-ts <command>`.
 * Each command lives in its own module, loaded only when asked for.
 */
import { packageVersion } from './package-info.js';

interface Command {
  summary: string;
  /** Resolves the process's exit code. */
  run(args: readonly string[]): Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  doctor: {
    summary: 'check what works here: the native addon, shared memory, each start method, build tools',
    run: async (args) => (await import('./doctor.js')).doctor(args),
  },
  'build-native': {
    summary: 'compile the native addon for this machine (where no prebuilt binary fits)',
    run: async (args) => (await import('./build-native.js')).buildNative(args),
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  return [
    'Usage: multiprocessing-ts <command> [options]',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`),
    '',
    "Run 'multiprocessing-ts <command> --help' for a command's options.",
  ].join('\n');
}

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined) {
    console.error(usage());
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return 0;
  }
  if (name === '--version' || name === '-v') {
    console.log(packageVersion());
    return 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (command === undefined) {
    console.error(`multiprocessing-ts: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  return command.run(args);
}

process.exitCode = await main(process.argv.slice(2));
