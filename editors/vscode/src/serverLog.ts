// The server's log lines (stderr) and the output channel's levels. This file
// knows nothing of VS Code's API (the tests run it in plain node).
import * as fs from 'fs';
import * as path from 'path';

export type Level = 'error' | 'warn' | 'info' | 'debug' | 'trace';
const ORDER: Level[] = ['error', 'warn', 'info', 'debug', 'trace'];

/** A line apls writes to stderr ("12:03:04.567 info: text", protocol/log.c)
 * as its level and text. Anything else (a crash, a sanitizer report, an
 * argument error) is an error, kept whole. */
export function parseServerLine(line: string): { level: Level; text: string } {
    const m = /^\d\d:\d\d:\d\d\.\d{3} (error|warn|info|debug|trace): (.*)$/.exec(line);
    return m ? { level: m[1] as Level, text: m[2] } : { level: 'error', text: line };
}

/** The more verbose of two level names (an unknown name counts as "warn"). */
export function moreVerbose(a: string, b: string): Level {
    const ia = ORDER.indexOf(a as Level);
    const ib = ORDER.indexOf(b as Level);
    return ORDER[Math.max(ia < 0 ? 1 : ia, ib < 0 ? 1 : ib)];
}

/** The level name of VS Code's LogLevel (Off 0, Trace 1, Debug 2, Info 3, Warning 4, Error 5). */
export function levelOfChannel(logLevel: number): Level {
    return (['error', 'trace', 'debug', 'info', 'warn', 'error'] as Level[])[logLevel] ?? 'warn';
}

/** Where command runs from: its path when it names a file, else the first
 * executable file of that name on PATH; undefined when there is none (the
 * extension then says so once, instead of letting the client fail). */
export function findExecutable(command: string, pathVar = process.env.PATH ?? ''): string | undefined {
    const ok = (p: string): boolean => {
        try {
            fs.accessSync(p, fs.constants.X_OK);
            return fs.statSync(p).isFile();
        } catch {
            return false;
        }
    };
    if (command.includes('/')) return ok(command) ? command : undefined;
    for (const dir of pathVar.split(path.delimiter)) {
        if (!dir) continue;
        const p = path.join(dir, command);
        if (ok(p)) return p;
    }
    return undefined;
}
