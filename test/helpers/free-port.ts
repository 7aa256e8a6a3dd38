export { freePort } from '../../src/cli/redis-server-process.js';
