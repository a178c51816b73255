// VS Code's protocol path against the real apls: the same libraries as
// vscode-languageclient (vscode-jsonrpc, vscode-languageserver-protocol),
// the server started as the extension starts it (`--stdio` appended), the
// client capabilities VS Code sends, and the edits applied by a faithful
// applier (test/workspace.mjs). Every fixture of editors/fixtures is run
// through both ways the extension applies a patch: the "Apply patch" code
// action (lightbulb) and the "apls: Apply patch" command (apls.applyPatch,
// then workspace/applyEdit from the server).
//
//   APLS_BIN=/path/to/apls node --test test/
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Workspace, uriOf } from './workspace.mjs';

const require = createRequire(import.meta.url);
const lsp = require('vscode-languageserver-protocol/node');

const HERE = path.dirname(fileURLToPath(import.meta.url));
const FIXTURES = path.resolve(HERE, '../../fixtures');
const APLS = process.env.APLS_BIN || 'apls';
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'apls-vscode-'));
after(() => {
    if (process.env.APLS_KEEP !== '1') fs.rmSync(TMP, { recursive: true, force: true });
});

/** What vscode-languageclient 11 sends (BaseLanguageClient.computeClientCapabilities and its features), trimmed to what matters here. */
export const VSCODE_CAPABILITIES = {
    workspace: {
        applyEdit: true,
        workspaceEdit: {
            documentChanges: true,
            resourceOperations: ['create', 'rename', 'delete'],
            failureHandling: 'textOnlyTransactional',
            normalizesLineEndings: true,
            changeAnnotationSupport: { groupsOnLabel: true },
            metadataSupport: true,
            snippetEditSupport: true,
        },
        didChangeConfiguration: { dynamicRegistration: true },
        didChangeWatchedFiles: { dynamicRegistration: true, relativePatternSupport: true },
        symbol: { dynamicRegistration: true },
        codeLens: { refreshSupport: true },
        executeCommand: { dynamicRegistration: true },
        configuration: true,
        workspaceFolders: true,
        diagnostics: { refreshSupport: true },
    },
    textDocument: {
        publishDiagnostics: {
            relatedInformation: true,
            versionSupport: false,
            tagSupport: { valueSet: [1, 2] },
            codeDescriptionSupport: true,
            dataSupport: true,
        },
        synchronization: { dynamicRegistration: true, willSave: true, willSaveWaitUntil: true, didSave: true },
        hover: { dynamicRegistration: true, contentFormat: ['markdown', 'plaintext'] },
        codeAction: {
            dynamicRegistration: true,
            isPreferredSupport: true,
            disabledSupport: true,
            dataSupport: true,
            resolveSupport: { properties: ['edit', 'command'] },
            codeActionLiteralSupport: {
                codeActionKind: {
                    valueSet: ['', 'quickfix', 'refactor', 'refactor.extract', 'refactor.inline', 'refactor.move',
                        'refactor.rewrite', 'source', 'source.organizeImports', 'notebook'],
                },
            },
            honorsChangeAnnotations: true,
            documentationSupport: true,
        },
        codeLens: { dynamicRegistration: true, resolveSupport: { properties: ['command'] } },
        documentSymbol: { dynamicRegistration: true, hierarchicalDocumentSymbolSupport: true, labelSupport: true },
        definition: { dynamicRegistration: true, linkSupport: true },
        completion: { dynamicRegistration: true, contextSupport: true, completionItem: { snippetSupport: true } },
        filters: { relativePatternSupport: true },
    },
    window: {
        showMessage: { messageActionItem: { additionalPropertiesSupport: true } },
        showDocument: { support: true },
        workDoneProgress: true,
    },
    general: {
        staleRequestSupport: { cancel: true, retryOnContentModified: [] },
        regularExpressions: { engine: 'ECMAScript', version: 'ES2020' },
        markdown: { parser: 'marked', version: '1.1.0' },
        positionEncodings: ['utf-16'],
    },
};

/** The extension's serverSettings() for default settings. */
const DEFAULT_SETTINGS = { debounceMs: 50, trailingWhitespace: 'all', logLevel: 'warn', root: null };

function readCase(name) {
    return JSON.parse(fs.readFileSync(path.join(FIXTURES, name, 'case.json'), 'utf8'));
}

/** DEST/ws to edit, DEST/expected written by `apls apply --root` (after the case's buffer edits). */
function prepare(name, dest) {
    const c = readCase(name);
    fs.cpSync(path.join(FIXTURES, name, 'ws'), path.join(dest, 'ws'), { recursive: true });
    fs.cpSync(path.join(FIXTURES, name, 'ws'), path.join(dest, 'expected'), { recursive: true });
    for (const e of c.buffer_edits || []) {
        const p = path.join(dest, 'expected', e.file);
        fs.writeFileSync(p, fs.readFileSync(p, 'utf8').split(e.from).join(e.to));
    }
    // a case whose quick fixes the client takes saves the patch fixed, and applies it so
    if (c.fixed_patch) fs.copyFileSync(path.join(FIXTURES, name, c.fixed_patch), path.join(dest, 'expected', c.patch));
    const r = spawnSync(APLS, ['apply', '--root', path.join(dest, 'expected'), path.join(dest, 'expected', c.patch)], { encoding: 'utf8' });
    assert.equal(r.status, c.applies ? 0 : 1, `apls apply on the expected copy: ${r.stdout}${r.stderr}`);
    return c;
}

function listTree(dir) {
    const out = [];
    const walk = (d, rel) => {
        for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
            const r = rel ? `${rel}/${e.name}` : e.name;
            if (e.isDirectory()) walk(path.join(d, e.name), r);
            else out.push(r);
        }
    };
    walk(dir, '');
    return out;
}

function assertSameTree(got, want) {
    assert.deepEqual(listTree(got), listTree(want), 'the same files');
    for (const f of listTree(want)) {
        const a = fs.readFileSync(path.join(got, f));
        const b = fs.readFileSync(path.join(want, f));
        assert.ok(a.equals(b), `${f} byte for byte:\n--- got\n${JSON.stringify(a.toString())}\n--- want\n${JSON.stringify(b.toString())}`);
    }
}

/** The server as vscode-languageclient runs it, and a client that answers like VS Code. */
class Session {
    constructor(root, { settings = DEFAULT_SETTINGS, initSettings = DEFAULT_SETTINGS } = {}) {
        this.root = root;
        this.ws = new Workspace(root);
        this.settings = settings;
        this.initSettings = initSettings;
        this.diagnostics = new Map();
        this.waiters = [];
        this.registrations = [];
        this.configurationAsked = [];
        this.messages = [];
        this.shown = [];
        this.applyEdits = [];
        this.stderr = '';
        // the extension: args ['--log-level', level], and TransportKind.stdio appends --stdio
        this.proc = spawn(APLS, ['--log-level', 'debug', '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
        this.proc.stderr.on('data', (d) => { this.stderr += d; });
        this.exited = new Promise((resolve) => this.proc.on('exit', (code) => resolve(code)));
        const conn = lsp.createProtocolConnection(
            new lsp.StreamMessageReader(this.proc.stdout),
            new lsp.StreamMessageWriter(this.proc.stdin),
        );
        this.conn = conn;
        conn.onNotification(lsp.PublishDiagnosticsNotification.type, (p) => {
            this.diagnostics.set(p.uri, p.diagnostics);
            this.poke();
        });
        conn.onNotification(lsp.ShowMessageNotification.type, (p) => { this.messages.push(p); this.poke(); });
        conn.onNotification(lsp.LogMessageNotification.type, () => {});
        conn.onRequest(lsp.RegistrationRequest.type, (p) => { this.registrations.push(...p.registrations); this.poke(); return null; });
        conn.onRequest(lsp.UnregistrationRequest.type, () => null);
        conn.onRequest(lsp.ConfigurationRequest.type, (p) => {
            this.configurationAsked.push(p);
            this.poke();
            return p.items.map((i) => (i.section === 'apls' ? this.settings : null));
        });
        conn.onRequest(lsp.ApplyWorkspaceEditRequest.type, (p) => {
            const r = this.ws.applyEdit(p.edit);
            this.applyEdits.push({ params: p, result: r });
            this.poke();
            return r;
        });
        conn.onRequest(lsp.ShowDocumentRequest.type, (p) => { this.shown.push(p); this.poke(); return { success: true }; });
        conn.onRequest(lsp.WorkDoneProgressCreateRequest.type, () => null);
        conn.onRequest(lsp.CodeLensRefreshRequest.type, () => null);
        conn.listen();
    }

    poke() {
        const w = this.waiters;
        this.waiters = [];
        for (const f of w) f();
    }

    /** Resolves when pred() is true (checked on every message), rejects after ms. */
    waitFor(pred, ms, what) {
        return new Promise((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
            const check = () => {
                const v = pred();
                if (v) { clearTimeout(timer); resolve(v); } else this.waiters.push(check);
            };
            check();
        });
    }

    async initialize() {
        const result = await this.conn.sendRequest(lsp.InitializeRequest.type, {
            processId: process.pid,
            clientInfo: { name: 'Visual Studio Code', version: '1.95.0' },
            locale: 'en',
            rootPath: this.root,
            rootUri: uriOf(this.root),
            capabilities: VSCODE_CAPABILITIES,
            initializationOptions: this.initSettings,
            trace: 'off',
            workspaceFolders: [{ uri: uriOf(this.root), name: path.basename(this.root) }],
        });
        await this.conn.sendNotification(lsp.InitializedNotification.type, {});
        // vscode-languageclient with synchronize.configurationSection
        await this.conn.sendNotification(lsp.DidChangeConfigurationNotification.type, { settings: { apls: this.settings } });
        return result;
    }

    async open(file, languageId) {
        const p = this.ws.open(file, languageId);
        await this.conn.sendNotification(lsp.DidOpenTextDocumentNotification.type, p);
        return p.textDocument.uri;
    }

    async edit(uri, from, to) {
        await this.conn.sendNotification(lsp.DidChangeTextDocumentNotification.type, this.ws.replaceAll(uri, from, to));
    }

    /** Applies a quick fix's edit as VS Code does, and sends the patch's new text (one full change). */
    async applyQuickFix(uri, edit) {
        const r = this.ws.applyEdit(edit);
        const doc = this.ws.docs.get(uri);
        await this.conn.sendNotification(lsp.DidChangeTextDocumentNotification.type, {
            textDocument: { uri, version: doc.version },
            contentChanges: [{ text: doc.text }],
        });
        return r;
    }

    async close() {
        await this.conn.sendRequest(lsp.ShutdownRequest.type);
        await this.conn.sendNotification(lsp.ExitNotification.type);
        const code = await Promise.race([this.exited, new Promise((r) => setTimeout(() => r('timeout'), 5000))]);
        if (code === 'timeout') this.proc.kill();
        this.conn.dispose();
        return code;
    }
}

const errorsOf = (list) => (list || []).filter((d) => d.severity === 1);

const languageOf = (file) => ({ '.py': 'python', '.js': 'javascript', '.ini': 'ini', '.md': 'markdown' })[path.extname(file)] || 'plaintext';

for (const name of fs.readdirSync(FIXTURES).sort()) {
    if (!fs.existsSync(path.join(FIXTURES, name, 'case.json'))) continue;
    for (const way of ['code action', 'apls.applyPatch command']) {
        describe(`vscode ${way}: ${name}`, () => {
            const dest = path.join(TMP, `${way.split(' ')[0]}-${name}`);
            let c, s, init, patchUri;
            before(async () => {
                c = prepare(name, dest);
                s = new Session(path.join(dest, 'ws'));
                init = await s.initialize();
            });
            after(async () => {
                if (s && !s.closed) await s.close().catch(() => {});
            });

            it('initialize: sync openClose + incremental, UTF-16, the commands', () => {
                const caps = init.capabilities;
                assert.equal(caps.textDocumentSync.openClose, true);
                assert.equal(caps.textDocumentSync.change, 2);
                assert.equal(caps.positionEncoding ?? 'utf-16', 'utf-16');
                assert.ok(caps.hoverProvider);
                assert.ok(caps.codeActionProvider);
                for (const cmd of ['apls.applyPatch', 'apls.createFiles', 'apls.showTarget']) {
                    assert.ok(caps.executeCommandProvider.commands.includes(cmd), cmd);
                }
                assert.equal(init.serverInfo?.name, 'apls');
            });

            it('asks for the "apls" configuration and registers file watching', async () => {
                await s.waitFor(() => s.configurationAsked.some((p) => p.items.some((i) => i.section === 'apls')), 5000, 'workspace/configuration');
                await s.waitFor(() => s.registrations.some((r) => r.method === 'workspace/didChangeWatchedFiles'), 5000, 'registerCapability');
            });

            it('diagnostics: the expected codes and ranges', async () => {
                // targets the user has open and edited (the selector includes every file)
                for (const e of c.buffer_edits || []) {
                    const uri = await s.open(e.file, languageOf(e.file));
                    await s.edit(uri, e.from, e.to);
                }
                patchUri = await s.open(c.patch, 'ap');
                const want = c.errors.map((e) => ({ code: e.code, range: e.range, source: 'apls' }));
                const got = () => errorsOf(s.diagnostics.get(patchUri)).map((d) => ({ code: d.code, range: d.range, source: d.source }));
                await s.waitFor(() => s.diagnostics.has(patchUri) && JSON.stringify(got()) === JSON.stringify(want), 10000,
                    'the expected diagnostics').catch(() => assert.deepEqual(got(), want));
                for (const d of errorsOf(s.diagnostics.get(patchUri))) {
                    assert.ok(d.message.length > 0);
                    assert.ok(Array.isArray(d.relatedInformation) && d.relatedInformation.length > 0, 'relatedInformation for VS Code');
                }
            });

            it('hover: markdown with the expected text', async () => {
                const h = await s.conn.sendRequest(lsp.HoverRequest.type, {
                    textDocument: { uri: patchUri },
                    position: { line: c.hover.line, character: c.hover.character },
                });
                assert.ok(h, 'a hover');
                assert.equal(h.contents.kind, 'markdown');
                for (const t of c.hover.contains) assert.ok(h.contents.value.includes(t), `${t} in ${h.contents.value}`);
            });

            if (readCase(name).preferred_fixes) {
                // issue 9, items 1 and 4: the fix VS Code marks preferred (the
                // lightbulb's first, Ctrl+. then Enter, "auto fix") is safe to take
                // blindly: each problem's, one after the other, leaves the patch
                // clean and as the fixture's fixed patch
                it('every problem\'s preferred quick fix, taken in turn, gives the fixed patch', async () => {
                    const taken = [];
                    for (let round = 0; round < 10; round++) {
                        const ds = (s.diagnostics.get(patchUri) || []).filter((d) => d.severity <= 2);
                        if (ds.length === 0) break;
                        const d = ds[0];
                        const acts = await s.conn.sendRequest(lsp.CodeActionRequest.type, {
                            textDocument: { uri: patchUri }, range: d.range, context: { diagnostics: [d], triggerKind: 1 },
                        });
                        const pref = acts.filter((a) => a.kind === 'quickfix' && a.isPreferred);
                        assert.equal(pref.length, 1, `one preferred quick fix for ${d.code}: ${JSON.stringify(acts.map((a) => a.title))}`);
                        assert.ok(pref[0].edit, `the fix's edit: ${JSON.stringify(pref[0])}`);
                        taken.push(`${d.code}: ${pref[0].title}`);
                        const before = s.diagnostics.get(patchUri);
                        const r = await s.applyQuickFix(patchUri, pref[0].edit);
                        assert.ok(r.applied, r.failureReason);
                        await s.waitFor(() => s.diagnostics.get(patchUri) !== before, 10000, `diagnostics after ${taken.at(-1)}`);
                    }
                    await s.waitFor(() => (s.diagnostics.get(patchUri) || [1]).length === 0, 10000, 'no diagnostic left')
                        .catch(() => assert.deepEqual(s.diagnostics.get(patchUri), [], taken.join('; ')));
                    assert.equal(s.ws.docs.get(patchUri).text, fs.readFileSync(path.join(FIXTURES, name, c.fixed_patch), 'utf8'), taken.join('; '));
                });
            }

            it(c_applies(name) ? `${way}: applied, files byte for byte as apls apply writes` : `${way}: refused`, async () => {
                if (way === 'code action') {
                    const doc = s.ws.docs.get(patchUri);
                    const lines = doc.text.split(/\r\n|\r|\n/).length;
                    const actions = await s.conn.sendRequest(lsp.CodeActionRequest.type, {
                        textDocument: { uri: patchUri },
                        range: { start: { line: 0, character: 0 }, end: { line: lines, character: 0 } },
                        context: { diagnostics: s.diagnostics.get(patchUri) || [], only: ['source.applyPatch'], triggerKind: 1 },
                    });
                    const a = actions.find((x) => x.kind === 'source.applyPatch');
                    assert.ok(a, 'the whole-patch action');
                    assert.match(a.title, /^Apply patch/);
                    if (!c.applies) {
                        assert.ok(a.disabled && /must be fixed first/.test(a.disabled.reason), JSON.stringify(a));
                        assert.equal(a.edit, undefined);
                        return;
                    }
                    assert.ok(a.edit && Array.isArray(a.edit.documentChanges), 'the edit, with documentChanges');
                    assert.equal(a.disabled, undefined);
                    // VS Code creates files itself: CreateFile, no apls.createFiles
                    assert.ok(!a.command || a.command.command !== 'apls.createFiles', 'no apls.createFiles for VS Code');
                    const dc = a.edit.documentChanges;
                    for (const f of c.creates) {
                        const uri = uriOf(path.join(s.root, f));
                        const ci = dc.findIndex((x) => x.kind === 'create' && x.uri === uri);
                        const ei = dc.findIndex((x) => !x.kind && x.textDocument.uri === uri);
                        assert.ok(ci >= 0 && ei > ci, `CreateFile before the edit of ${f}`);
                    }
                    for (const x of dc) {
                        if (x.kind) continue;
                        const open = s.ws.docs.get(x.textDocument.uri);
                        assert.equal(x.textDocument.version, open ? open.version : null, `version of ${x.textDocument.uri}`);
                    }
                    const r = s.ws.applyEdit(a.edit);
                    assert.ok(r.applied, r.failureReason);
                    // VS Code runs the action's command after its edit (there is none here)
                    if (a.command) {
                        await s.conn.sendRequest(lsp.ExecuteCommandRequest.type, { command: a.command.command, arguments: a.command.arguments });
                    }
                } else {
                    const run = s.conn.sendRequest(lsp.ExecuteCommandRequest.type, { command: 'apls.applyPatch', arguments: [patchUri] });
                    if (!c.applies) {
                        await assert.rejects(run, /must be fixed first/);
                        assert.equal(s.applyEdits.length, 0, 'no workspace/applyEdit');
                        return;
                    }
                    await run;
                    assert.equal(s.applyEdits.length, 1, 'one workspace/applyEdit');
                    assert.ok(s.applyEdits[0].result.applied, s.applyEdits[0].result.failureReason);
                }
                s.ws.saveAll();
                assertSameTree(path.join(dest, 'ws'), path.join(dest, 'expected'));
            });

            it('shutdown, exit: exit code 0', async () => {
                s.closed = true;
                assert.equal(await s.close(), 0, s.stderr.slice(-2000));
            });
        });
    }
}

function c_applies(name) {
    return readCase(name).applies;
}

/** src/guard.ts, built with esbuild (the extension's bundler) for node. */
async function loadGuard() {
    const esbuild = require('esbuild');
    const out = esbuild.buildSync({
        entryPoints: [path.resolve(HERE, '../src/guard.ts')], bundle: true, format: 'esm', platform: 'node', write: false,
    });
    const file = path.join(TMP, 'guard.mjs');
    fs.writeFileSync(file, out.outputFiles[0].text);
    return import(uriOf(file));
}

describe('vscode: an edit is applied only on the text the server saw (src/guard.ts)', () => {
    const applyAction = async (s, uri) => {
        const lines = s.ws.docs.get(uri).text.split(/\r\n|\r|\n/).length;
        const actions = await s.conn.sendRequest(lsp.CodeActionRequest.type, {
            textDocument: { uri },
            range: { start: { line: 0, character: 0 }, end: { line: lines, character: 0 } },
            context: { diagnostics: [], only: ['source.applyPatch'] },
        });
        return actions.find((x) => x.kind === 'source.applyPatch');
    };
    const heldIn = (s) => (uri) => {
        const d = s.ws.docs.get(uri);
        return d && { version: d.version, isDirty: d.dirty };
    };
    /** Runs body(s, c, dest, staleDocuments) in a session on a copy of the "shifted" fixture. */
    const onShifted = async (name, body) => {
        const { staleDocuments } = await loadGuard();
        const dest = path.join(TMP, name);
        const c = prepare('shifted', dest);
        const s = new Session(path.join(dest, 'ws'));
        try {
            await s.initialize();
            await body(s, c, dest, staleDocuments);
        } finally {
            await s.close();
        }
    };

    it('a target typed in after the action was built: refused; fetched again (apls.client.applyFresh), applied', () =>
        onShifted('guard-moved', async (s, c, dest, staleDocuments) => {
            const e = c.buffer_edits[0];
            const target = await s.open(e.file, 'python');
            const patch = await s.open(c.patch, 'ap');
            await s.waitFor(() => s.diagnostics.has(patch), 5000, 'diagnostics');
            const held = heldIn(s);
            const early = await applyAction(s, patch);
            assert.deepEqual(staleDocuments(early.edit, held), []);
            await s.edit(target, e.from, e.to); // 3 lines at the top, after the action was built
            assert.match(staleDocuments(early.edit, held).join(), /area\.py changed since the server checked it/);
            const fresh = await applyAction(s, patch);
            assert.deepEqual(staleDocuments(fresh.edit, held), []);
            const r = s.ws.applyEdit(fresh.edit);
            assert.ok(r.applied, r.failureReason);
            s.ws.saveAll();
            assertSameTree(path.join(dest, 'ws'), path.join(dest, 'expected'));
        }));

    it('a document the server was not sent, with unsaved changes: refused, naming it', () =>
        onShifted('guard-unsent', async (s, c, dest, staleDocuments) => {
            const e = c.buffer_edits[0];
            s.ws.open(e.file, 'python'); // open in the editor, never sent
            s.ws.replaceAll(uriOf(path.join(dest, 'ws', e.file)), e.from, e.to);
            const patch = await s.open(c.patch, 'ap');
            await s.waitFor(() => s.diagnostics.has(patch), 5000, 'diagnostics');
            const a = await applyAction(s, patch);
            const entry = a.edit.documentChanges.find((x) => x.textDocument && x.textDocument.uri.endsWith('area.py'));
            assert.equal(entry.textDocument.version, null, 'built on the disk');
            assert.match(staleDocuments(a.edit, heldIn(s)).join(), /area\.py has unsaved changes the server has not seen/);
        }));
});

describe('vscode settings: workspace/configuration reaches the server', () => {
    it('trailingWhitespace "inserted" keeps the trailing white space of untouched lines', async () => {
        const dest = path.join(TMP, 'settings-modify');
        const c = prepare('modify', dest);
        // expected: apls apply's result, but the untouched comment line keeps its trailing white space
        const calc = path.join(dest, 'expected', 'src/calc.py');
        const orig = fs.readFileSync(path.join(FIXTURES, 'modify/ws/src/calc.py'), 'utf8');
        const kept = orig.split('\n')[1];
        assert.match(kept, /[ \t]$/, 'the fixture has trailing white space on line 2');
        const lines = fs.readFileSync(calc, 'utf8').split('\n');
        const i = lines.findIndex((l) => l === kept.trimEnd());
        assert.ok(i >= 0);
        lines[i] = kept;
        fs.writeFileSync(calc, lines.join('\n'));
        // the setting comes only through workspace/configuration (initializationOptions say "all")
        const s = new Session(path.join(dest, 'ws'), { settings: { ...DEFAULT_SETTINGS, trailingWhitespace: 'inserted' } });
        try {
            await s.initialize();
            await s.waitFor(() => s.configurationAsked.length > 0, 5000, 'workspace/configuration');
            const uri = await s.open(c.patch, 'ap');
            await s.waitFor(() => s.diagnostics.has(uri), 5000, 'diagnostics');
            await new Promise((r) => setTimeout(r, 200)); // let the configuration answer land
            await s.conn.sendRequest(lsp.ExecuteCommandRequest.type, { command: 'apls.applyPatch', arguments: [uri] });
            assert.ok(s.applyEdits[0]?.result.applied);
            s.ws.saveAll();
            assertSameTree(path.join(dest, 'ws'), path.join(dest, 'expected'));
        } finally {
            await s.close();
        }
    });
});
