// A transform thread's entry. Worker threads do not get tsx's loader from the main thread under
// Node 20 (neither from `tsx src/main.ts` nor from `node --import tsx`), so this plain CommonJS file
// loads the TypeScript side through tsx's API itself, the same way whichever way the service runs.
require('tsx/cjs/api').require('./thread.ts', __filename);
