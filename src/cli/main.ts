#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { runCli } from './run-cli.ts';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  strict: false,
  options: { config: { type: 'string', short: 'c' }, name: { type: 'string' }, role: { type: 'string' }, models: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
});

process.exitCode = await runCli(positionals, values, { out: (t) => process.stdout.write(`${t}\n`), err: (t) => process.stderr.write(`${t}\n`) });
