#!/usr/bin/env node
// Launcher for `npx govuk-failover …`: runs the TypeScript CLI (cli/main.ts)
// through tsx, in this process, and exits with its code.
import { tsImport } from 'tsx/esm/api';

const { main } = await tsImport('./main.ts', import.meta.url);
process.exitCode = await main(process.argv.slice(2));
