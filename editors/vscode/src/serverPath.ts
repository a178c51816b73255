// Which apls the extension starts (docs/shipping.md): the setting apls.path
// when set, else `apls` on the PATH (a package's or the user's own build),
// else the binary bundled in a platform .vsix (bin/<platform>-<arch>/apls),
// else plain `apls`, so that the error names what was looked for.
// No vscode import: the tests run this in node.
import * as fs from 'fs';
import * as path from 'path';

export type ServerSource = 'setting' | 'PATH' | 'bundled' | 'none';

export interface ServerLookup {
    setting: string | undefined; // apls.path
    pathEnv: string | undefined; // process.env.PATH
    extensionPath: string; // the extension's folder
    platform: string; // process.platform
    arch: string; // process.arch
}

function isExecutableFile(p: string): boolean {
    try {
        if (!fs.statSync(p).isFile()) return false;
        fs.accessSync(p, fs.constants.X_OK);
        return true;
    } catch {
        return false;
    }
}

/** The bundled binary's path inside the extension. */
export function bundledServer(extensionPath: string, platform: string, arch: string): string {
    return path.join(extensionPath, 'bin', `${platform}-${arch}`, platform === 'win32' ? 'apls.exe' : 'apls');
}

export function findServer(l: ServerLookup): { command: string; source: ServerSource } {
    const setting = (l.setting ?? '').trim();
    if (setting) return { command: setting, source: 'setting' };
    const exe = l.platform === 'win32' ? 'apls.exe' : 'apls';
    for (const dir of (l.pathEnv ?? '').split(path.delimiter)) {
        if (!dir) continue; // an empty entry means the current folder: never trusted
        const candidate = path.join(dir, exe);
        if (isExecutableFile(candidate)) return { command: candidate, source: 'PATH' };
    }
    const bundled = bundledServer(l.extensionPath, l.platform, l.arch);
    if (fs.existsSync(bundled)) {
        // an installer that dropped the execute bit: give it back (best effort)
        if (!isExecutableFile(bundled)) {
            try {
                fs.chmodSync(bundled, 0o755);
            } catch {
                /* reported by the start failure */
            }
        }
        if (isExecutableFile(bundled)) return { command: bundled, source: 'bundled' };
    }
    return { command: exe, source: 'none' };
}
