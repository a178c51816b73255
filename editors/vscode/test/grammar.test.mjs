// The TextMate grammar, tokenized by the engine VS Code uses (vscode-textmate
// on vscode-oniguruma): keys, actions and the code-carrying fields.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const vsctm = require('vscode-textmate');
const oniguruma = require('vscode-oniguruma');
const HERE = path.dirname(fileURLToPath(import.meta.url));

let grammar;
before(async () => {
    const wasm = fs.readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'));
    await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
    const registry = new vsctm.Registry({
        onigLib: Promise.resolve({
            createOnigScanner: (p) => new oniguruma.OnigScanner(p),
            createOnigString: (s) => new oniguruma.OnigString(s),
        }),
        loadGrammar: async (scope) => {
            if (scope !== 'source.ap') return null;
            const file = path.join(HERE, '../syntaxes/ap.tmLanguage.json');
            return vsctm.parseRawGrammar(fs.readFileSync(file, 'utf8'), file);
        },
    });
    grammar = await registry.loadGrammar('source.ap');
});

/** [{line, text, scopes}] for every token of a document. */
function tokenize(text) {
    const out = [];
    let stack = vsctm.INITIAL;
    text.split('\n').forEach((line, n) => {
        const r = grammar.tokenizeLine(line, stack);
        for (const t of r.tokens) out.push({ line: n, text: line.slice(t.startIndex, t.endIndex), scopes: t.scopes.join(' ') });
        stack = r.ruleStack;
    });
    return out;
}

const scopesOf = (toks, line, text) => toks.filter((t) => t.line === line && t.text.includes(text)).map((t) => t.scopes).join(' | ');

describe('TextMate grammar (source.ap)', () => {
    const doc = [
        '# Summary: demo', //                              0
        'version: "2.0"', //                               1
        'changes:', //                                     2
        '  - file_path: "src/calc.py"', //                 3
        '    newline: CRLF', //                            4
        '    modifications:', //                           5
        '      - action: REPLACE', //                      6
        '        snippet: |', //                           7
        '          def area(r):  # not a comment', //     8
        '', //                                             9
        '              return 3.14', //                    10
        '        content: |', //                           11
        '          action: DELETE', //                     12
        '      - snippet: |', //                           13
        '          x = 1', //                              14
        '        action: INSERT_AFTER', //                 15
        '        content: "y = 2"', //                     16
        '      - action: UPSERT', //                       17
    ].join('\n');
    let toks;
    before(() => { toks = tokenize(doc); });

    it('the plan comment and keys', () => {
        assert.match(scopesOf(toks, 0, 'Summary'), /markup\.heading\.ap/);
        assert.match(scopesOf(toks, 1, 'version'), /entity\.name\.tag\.yaml/);
        assert.match(scopesOf(toks, 3, 'src/calc.py'), /string\.other\.link\.path\.ap/);
        assert.match(scopesOf(toks, 4, 'CRLF'), /constant\.language\.newline\.ap/);
    });
    it('actions, and an unknown one marked invalid', () => {
        assert.match(scopesOf(toks, 6, 'REPLACE'), /keyword\.other\.action\.ap/);
        assert.match(scopesOf(toks, 15, 'INSERT_AFTER'), /keyword\.other\.action\.ap/);
        assert.match(scopesOf(toks, 17, 'UPSERT'), /invalid\.illegal\.action\.ap/);
    });
    it('code-carrying keys and their literal blocks', () => {
        assert.match(scopesOf(toks, 7, 'snippet'), /entity\.name\.tag\.code\.ap/);
        assert.match(scopesOf(toks, 8, 'def area'), /string\.unquoted\.block\.code\.ap/);
        assert.match(scopesOf(toks, 8, '# not a comment'), /string\.unquoted\.block\.code\.ap/);
        assert.doesNotMatch(scopesOf(toks, 8, '# not a comment'), /comment\.line/);
        assert.match(scopesOf(toks, 10, 'return 3.14'), /string\.unquoted\.block\.code\.ap/, 'after a blank line');
        assert.match(scopesOf(toks, 11, 'content'), /entity\.name\.tag\.code\.ap/);
        assert.doesNotMatch(scopesOf(toks, 11, 'content'), /string\.unquoted\.block/, 'the sibling key ends the block');
        assert.match(scopesOf(toks, 12, 'action: DELETE'), /string\.unquoted\.block\.code\.ap/, 'code, not a key');
    });
    it('a block after a sequence dash ends at the sibling key', () => {
        assert.match(scopesOf(toks, 13, 'snippet'), /entity\.name\.tag\.code\.ap/);
        assert.match(scopesOf(toks, 14, 'x = 1'), /string\.unquoted\.block\.code\.ap/);
        assert.doesNotMatch(scopesOf(toks, 15, 'action'), /string\.unquoted\.block/);
        assert.match(scopesOf(toks, 16, 'y = 2'), /string\.quoted\.code\.ap/);
    });
    it('tokenizes every fixture patch without error', () => {
        const fx = path.resolve(HERE, '../../fixtures');
        for (const name of fs.readdirSync(fx)) {
            for (const f of fs.readdirSync(path.join(fx, name, 'ws')).filter((x) => x.endsWith('.ap'))) {
                const t = tokenize(fs.readFileSync(path.join(fx, name, 'ws', f), 'utf8'));
                assert.ok(t.some((x) => x.scopes.includes('string.unquoted.block.code.ap')), `${name}/${f}`);
            }
        }
    });
});

describe('TextMate grammar: format 3.2, chosen as the server detects it', () => {
    const doc = [
        '# Summary: demo', //                              0
        'version: "2.0" is not a key here', //             1
        'e4a2f1b8 AP 3.2', //                              2
        '', //                                             3
        'e4a2f1b8 FILE CRLF', //                           4
        'src/calc.py', //                                  5
        'e4a2f1b8 REPLACE', //                             6
        'e4a2f1b8 snippet', //                             7
        '    action: DELETE  # code', //                   8
        'e4a2f1b8 snippet_tail', //                        9
        'e4a2f1b8 content', //                             10
        'x = 1', //                                        11
        'e4a2f1b8 include_trailing_blank_lines 2', //      12
        'e4a2f1b8 RENAME new/place.py', //                 13
        'e4a2f1b8 END', //                                 14
    ].join('\n');
    let toks;
    before(() => { toks = tokenize(doc); });

    it('lines before the first 3.2 line are read as before', () => {
        assert.match(scopesOf(toks, 0, 'Summary'), /markup\.heading\.ap/);
        assert.doesNotMatch(scopesOf(toks, 1, 'version'), /v3/);
    });
    it('the header, directives and their arguments', () => {
        assert.match(scopesOf(toks, 2, 'e4a2f1b8'), /constant\.numeric\.id\.ap/);
        assert.match(scopesOf(toks, 2, 'AP'), /keyword\.other\.header\.ap/);
        assert.match(scopesOf(toks, 2, '3.2'), /constant\.other\.version\.ap/);
        assert.match(scopesOf(toks, 4, 'FILE'), /keyword\.control\.file\.ap/);
        assert.match(scopesOf(toks, 4, 'CRLF'), /constant\.language\.newline\.ap/);
        assert.match(scopesOf(toks, 6, 'REPLACE'), /keyword\.other\.action\.ap/);
        assert.match(scopesOf(toks, 7, 'snippet'), /entity\.name\.tag\.code\.ap/);
        assert.match(scopesOf(toks, 9, 'snippet_tail'), /entity\.name\.tag\.code\.ap/);
        assert.match(scopesOf(toks, 12, 'include_trailing_blank_lines'), /entity\.name\.tag\.option\.ap/);
        assert.match(scopesOf(toks, 12, '2'), /constant\.numeric\.ap/);
        assert.match(scopesOf(toks, 13, 'new/place.py'), /string\.other\.link\.path\.ap/);
        assert.match(scopesOf(toks, 14, 'END'), /keyword\.control\.end\.ap/);
    });
    it('value lines are code, whatever they hold', () => {
        assert.match(scopesOf(toks, 5, 'src/calc.py'), /string\.unquoted\.block\.code\.ap/);
        assert.match(scopesOf(toks, 8, 'action: DELETE'), /string\.unquoted\.block\.code\.ap/);
        assert.doesNotMatch(scopesOf(toks, 8, '# code'), /comment\.line/);
        assert.doesNotMatch(scopesOf(toks, 8, 'DELETE'), /keyword/);
        assert.match(scopesOf(toks, 11, 'x = 1'), /string\.unquoted\.block\.code\.ap/);
    });
    it('a patch without header switches at its first directive', () => {
        const t = tokenize('# plan\n0badc0de FILE\na.txt\n0badc0de DELETE\n');
        assert.match(scopesOf(t, 1, 'FILE'), /keyword\.control\.file\.ap/);
        assert.match(scopesOf(t, 3, 'DELETE'), /keyword\.other\.action\.ap/);
    });
    it('a 2.0 patch with an indented 3.2 example stays 2.0', () => {
        const t = tokenize('version: "2.0"\nchanges:\n  - file_path: a\n    modifications:\n      - action: REPLACE\n' +
                           '        snippet: |\n          e4a2f1b8 FILE\n        content: |\n          x\n');
        assert.doesNotMatch(scopesOf(t, 6, 'FILE'), /keyword\.control\.file/);
        assert.match(scopesOf(t, 7, 'content'), /entity\.name\.tag\.code\.ap/);
    });
});
