/**
 * Part of `npm run build`: tsc emits src/ to dist/ but copies nothing else, and the Lua
 * scripts are read at run time beside the modules that run them (src/limiter/lua/ from tsx,
 * dist/limiter/lua/ from the package). Copies every src/**\/*.lua to the same place under dist/.
 */
import { cpSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const from = join(root, 'src');
const to = join(root, 'dist');

const files = readdirSync(from, { recursive: true, encoding: 'utf8' }).filter((path) => path.endsWith('.lua'));
for (const path of files) cpSync(join(from, path), join(to, path));
process.stdout.write(`copied ${files.length} .lua files from ${relative(root, from)}/ to ${relative(root, to)}/\n`);
