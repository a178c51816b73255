// src/serverPath.ts, built with esbuild (the extension's bundler) for node,
// for the tests; run alone it prints what the extension would start:
//   node test/find-server.mjs EXTENSION_DIR   (apls.path empty, this PATH)
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const HERE = path.dirname(fileURLToPath(import.meta.url));

export async function loadServerPath() {
    const esbuild = require('esbuild');
    const out = esbuild.buildSync({
        entryPoints: [path.resolve(HERE, '../src/serverPath.ts')], bundle: true, format: 'esm', platform: 'node', write: false,
    });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'apls-serverpath-'));
    const file = path.join(dir, 'serverPath.mjs');
    fs.writeFileSync(file, out.outputFiles[0].text);
    try {
        return await import(pathToFileURL(file).href);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
    const { findServer } = await loadServerPath();
    const found = findServer({
        setting: '', pathEnv: process.env.PATH, extensionPath: process.argv[2],
        platform: process.platform, arch: process.arch,
    });
    console.log(`${found.source} ${found.command}`);
}
