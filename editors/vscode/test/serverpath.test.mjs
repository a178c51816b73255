// Which apls the extension starts (src/serverPath.ts): apls.path, then PATH,
// then the binary bundled in a platform .vsix, then plain `apls`.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadServerPath } from './find-server.mjs';

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'apls-serverpath-test-'));
after(() => fs.rmSync(TMP, { recursive: true, force: true }));

function file(p, mode) {
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, '#!/bin/sh\necho apls 0\n');
    fs.chmodSync(p, mode);
    return p;
}

describe('vscode: the server the extension starts (src/serverPath.ts)', () => {
    let findServer;
    const ext = path.join(TMP, 'extension');
    const bundled = path.join(ext, 'bin', 'linux-x64', 'apls');
    const onPath = path.join(TMP, 'pathdir');
    const empty = path.join(TMP, 'empty');
    const decoys = path.join(TMP, 'decoys'); // an apls that is not executable, a folder named apls
    const look = (over) => findServer({
        setting: '', pathEnv: `${empty}:${onPath}`, extensionPath: ext, platform: 'linux', arch: 'x64', ...over,
    });
    before(async () => {
        ({ findServer } = await loadServerPath());
        file(bundled, 0o755);
        file(path.join(onPath, 'apls'), 0o755);
        fs.mkdirSync(empty, { recursive: true });
        file(path.join(decoys, 'a', 'apls'), 0o644);
        fs.mkdirSync(path.join(decoys, 'b', 'apls'), { recursive: true });
    });

    it('apls.path wins over PATH and the bundled binary', () => {
        assert.deepEqual(look({ setting: '  /opt/apls/bin/apls ' }), { command: '/opt/apls/bin/apls', source: 'setting' });
    });
    it('then apls on PATH, in PATH order, over the bundled binary', () => {
        assert.deepEqual(look({}), { command: path.join(onPath, 'apls'), source: 'PATH' });
    });
    it('then the bundled binary, when apls.path is empty and PATH has no apls', () => {
        for (const pathEnv of [undefined, '', `${empty}`, `:${path.join(decoys, 'a')}::${path.join(decoys, 'b')}:`]) {
            assert.deepEqual(look({ pathEnv }), { command: bundled, source: 'bundled' }, String(pathEnv));
        }
    });
    it('a bundled binary that lost its execute bit gets it back', () => {
        fs.chmodSync(bundled, 0o644);
        assert.deepEqual(look({ pathEnv: empty }), { command: bundled, source: 'bundled' });
        assert.ok(fs.statSync(bundled).mode & 0o100);
    });
    it('the bundled binary of another platform is not taken', () => {
        assert.deepEqual(look({ pathEnv: empty, arch: 'arm64' }), { command: 'apls', source: 'none' });
    });
    it('nothing anywhere: plain apls, so the error names it', () => {
        assert.deepEqual(look({ pathEnv: empty, extensionPath: path.join(TMP, 'nowhere') }), { command: 'apls', source: 'none' });
    });
});
