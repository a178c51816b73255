// src/serverLog.ts: the server's stderr lines at their own level in the
// output channel (issue 10, 4), and the executable found before starting
// (one notification when there is none, issue 10, 1).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const HERE = path.dirname(fileURLToPath(import.meta.url));
let m;
// Every folder made here goes when the file's tests end (CI runs them many times).
const made = [];
const tempDir = (prefix) => { const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix)); made.push(d); return d; };
after(() => { for (const d of made) fs.rmSync(d, { recursive: true, force: true }); });
before(async () => {
    const out = require('esbuild').buildSync({
        entryPoints: [path.resolve(HERE, '../src/serverLog.ts')], bundle: true, format: 'esm', platform: 'node', write: false,
    });
    const dir = tempDir('apls-serverlog-');
    const file = path.join(dir, 'serverLog.mjs');
    fs.writeFileSync(file, out.outputFiles[0].text);
    m = await import(pathToFileURL(file).href);
});

describe('vscode: the server log in the output channel (src/serverLog.ts)', () => {
    it('reads the level apls writes (protocol/log.c) for each of the five', () => {
        for (const level of ['error', 'warn', 'info', 'debug', 'trace']) {
            assert.deepEqual(m.parseServerLine(`12:03:04.567 ${level}: checked fix.ap: 2 problems`), { level, text: 'checked fix.ap: 2 problems' });
        }
    });
    it('keeps any other line whole, as an error', () => {
        assert.deepEqual(m.parseServerLine("apls: unknown argument '--x'"), { level: 'error', text: "apls: unknown argument '--x'" });
        assert.deepEqual(m.parseServerLine('12:03:04.567 notice: x'), { level: 'error', text: '12:03:04.567 notice: x' });
    });
    it('asks the server for the more verbose of the setting and the channel level', () => {
        assert.equal(m.moreVerbose('warn', 'info'), 'info');
        assert.equal(m.moreVerbose('debug', 'info'), 'debug');
        assert.equal(m.moreVerbose('bogus', 'error'), 'warn');
        // VS Code's LogLevel: Off 0, Trace 1, Debug 2, Info 3, Warning 4, Error 5
        assert.deepEqual([0, 1, 2, 3, 4, 5].map(m.levelOfChannel), ['error', 'trace', 'debug', 'info', 'warn', 'error']);
    });
    it('finds the executable by path or on PATH, and nothing else', () => {
        const dir = tempDir('apls-exe-');
        const exe = path.join(dir, 'apls');
        fs.writeFileSync(exe, '#!/bin/sh\n', { mode: 0o755 });
        fs.writeFileSync(path.join(dir, 'plain'), '', { mode: 0o644 });
        fs.mkdirSync(path.join(dir, 'adir'));
        assert.equal(m.findExecutable(exe), exe);
        assert.equal(m.findExecutable('apls', `/nonexistent${path.delimiter}${dir}`), exe);
        assert.equal(m.findExecutable('plain', dir), undefined);
        assert.equal(m.findExecutable('adir', dir), undefined);
        assert.equal(m.findExecutable(path.join(dir, 'missing')), undefined);
        assert.equal(m.findExecutable('apls', ''), undefined);
    });
});
