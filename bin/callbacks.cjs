#!/usr/bin/env node
// The `callbacks` command. The project runs its TypeScript through tsx, with no build step (as
// `npm start` does), so this launcher registers tsx in this process and loads the CLI's source.
require('tsx/cjs');
require('../src/cli/main.ts');
