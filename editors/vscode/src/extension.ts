// apls for VS Code: a thin client. The server does the work; this file starts
// it, maps the settings, and offers two commands and a status bar item.
//
// Command ids: vscode-languageclient registers every command the server lists
// in executeCommandProvider (apls.applyPatch, apls.createFiles, apls.explain,
// apls.showTarget) as a VS Code command that forwards to the server, so this
// extension's own commands live under "apls.client.*".
//
// Edits never land on text the server did not see (guard.ts): the apply
// actions of the lightbulb are fetched again when chosen and checked against
// the open documents right before VS Code applies them (vscode-languageclient
// drops the versions of a code action's edit), and the server's own
// workspace/applyEdit is checked the same way.
import * as vscode from 'vscode';
import {
    ExecuteCommandRequest,
    LanguageClient,
    LanguageClientOptions,
    ServerOptions,
    State,
    TransportKind,
    CodeActionRequest,
    Command,
    CodeAction,
    WorkspaceEdit as LspWorkspaceEdit,
    Range as LspRange,
    CancellationToken,
    ResponseError,
} from 'vscode-languageclient/node';
import { staleDocuments, HeldDocument, LspWorkspaceEdit as GuardEdit } from './guard';
import { parseServerLine, moreVerbose, levelOfChannel, findExecutable } from './serverLog';
import { findServer } from './serverPath';
import { watchFormat } from './format';

let client: LanguageClient | undefined;
let status: vscode.StatusBarItem | undefined;
let output: vscode.LogOutputChannel | undefined;
let trace: vscode.LogOutputChannel | undefined;

/** The settings the server reads (initializationOptions, workspace/configuration). */
export function serverSettings(cfg: vscode.WorkspaceConfiguration): Record<string, unknown> {
    const out: Record<string, unknown> = {
        debounceMs: cfg.get<number>('debounceMs', 50),
        trailingWhitespace: cfg.get<string>('trailingWhitespace', 'all'),
        // what the channel shows too: its level (the gear of the Output panel) can ask for more
        logLevel: output ? moreVerbose(cfg.get<string>('logLevel', 'warn'), levelOfChannel(output.logLevel)) : cfg.get<string>('logLevel', 'warn'),
    };
    const root = cfg.get<string>('root', '');
    out.root = root ? root : null;
    return out;
}

/** apls.path, else PATH, else the bundled binary (src/serverPath.ts). */
function serverPath(context: vscode.ExtensionContext): string {
    const found = findServer({
        setting: vscode.workspace.getConfiguration('apls').get<string>('path', ''),
        pathEnv: process.env.PATH,
        extensionPath: context.extensionPath,
        platform: process.platform,
        arch: process.arch,
    });
    output?.info(`server: ${found.command} (${found.source === 'none' ? 'not found; looked for apls' : `from ${found.source}`})`);
    return found.command;
}

function setStatus(state: 'starting' | 'running' | 'stopped', detail?: string): void {
    if (!status) return;
    switch (state) {
        case 'starting':
            status.text = '$(sync~spin) apls';
            status.tooltip = 'apls is starting';
            break;
        case 'running':
            status.text = '$(check) apls';
            status.tooltip = `apls is running${detail ? ` (${detail})` : ''}: click for its log`;
            break;
        case 'stopped':
            status.text = '$(error) apls';
            status.tooltip = `apls is not running${detail ? `: ${detail}` : ''}: click for its log`;
            break;
    }
    status.show();
}

/** The trace channel vscode-languageclient writes to: a plain channel whose
 * level follows "apls.trace.server", so that setting alone gives a trace (a
 * LogOutputChannel would also need its own level set to Trace). */
function traceChannel(context: vscode.ExtensionContext): vscode.LogOutputChannel {
    const plain = vscode.window.createOutputChannel('apls trace');
    const changed = new vscode.EventEmitter<vscode.LogLevel>();
    const level = (): vscode.LogLevel => {
        const t = vscode.workspace.getConfiguration('apls').get<unknown>('trace.server', 'off');
        const v = typeof t === 'string' ? t : (t as { verbosity?: string } | undefined)?.verbosity;
        return v && v !== 'off' ? vscode.LogLevel.Trace : vscode.LogLevel.Info;
    };
    context.subscriptions.push(
        plain,
        changed,
        vscode.workspace.onDidChangeConfiguration((e) => {
            if (e.affectsConfiguration('apls.trace.server')) changed.fire(level());
        }),
    );
    const line = (tag: string) => (message: string | Error, ...args: unknown[]) =>
        plain.appendLine(`${new Date().toISOString()} [${tag}] ${message instanceof Error ? message.message : message}${args.length ? ` ${args.map((a) => JSON.stringify(a)).join(' ')}` : ''}`);
    return {
        get name() {
            return plain.name;
        },
        get logLevel() {
            return level();
        },
        onDidChangeLogLevel: changed.event,
        trace: line('trace'),
        debug: line('debug'),
        info: line('info'),
        warn: line('warn'),
        error: line('error'),
        append: (v: string) => plain.append(v),
        appendLine: (v: string) => plain.appendLine(v),
        replace: (v: string) => plain.replace(v),
        clear: () => plain.clear(),
        show: (preserveFocus?: boolean) => plain.show(preserveFocus),
        hide: () => plain.hide(),
        dispose: () => undefined, // disposed with the extension (context.subscriptions)
    } as vscode.LogOutputChannel;
}

/** The server's stderr, line by line, at the level the server wrote it. */
function pipeServerLog(input: NodeJS.ReadableStream, channel: vscode.LogOutputChannel): void {
    let rest = '';
    input.on('data', (chunk: Buffer | string) => {
        const lines = (rest + chunk.toString()).split('\n');
        rest = lines.pop() ?? '';
        for (const l of lines) {
            const { level, text } = parseServerLine(l.replace(/\r$/, ''));
            if (level === 'warn') channel.warn(text);
            else channel[level](text);
        }
    });
    input.on('end', () => {
        if (rest) channel.error(rest);
    });
}

/** The edit with the files it creates (and their text) first: VS Code undoes
 * a multi-file edit in one step from the file it edited last, and cannot
 * from an existing target edited before a created file (seen in VS Code
 * 1.100); the result is the same, the files being new. */
function createsFirst<E extends { documentChanges?: unknown[] }>(edit: E): E {
    const changes = edit.documentChanges as Array<{ kind?: string; uri?: string; textDocument?: { uri: string } }> | undefined;
    if (!changes) return edit;
    const created = new Set(changes.filter((c) => c.kind === 'create' && c.uri).map((c) => c.uri));
    const isNew = (c: { kind?: string; uri?: string; textDocument?: { uri: string } }): boolean =>
        c.kind === 'create' || (!c.kind && !!c.textDocument && created.has(c.textDocument.uri));
    return { ...edit, documentChanges: [...changes.filter(isNew), ...changes.filter((c) => !isNew(c))] };
}

/** Saves the files an applied edit created: a created file is whole on disk at
 * once, never empty with its content in an unsaved tab. */
async function saveCreated(edit: GuardEdit & { documentChanges?: Array<{ kind?: string; uri?: string }> }): Promise<void> {
    for (const change of edit.documentChanges ?? []) {
        if (change.kind !== 'create' || !change.uri || !client) continue;
        const uri = client.protocol2CodeConverter.asUri(change.uri);
        const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
        if (doc?.isDirty && !(await doc.save())) {
            void vscode.window.showErrorMessage(`apls: could not save the new file ${vscode.workspace.asRelativePath(uri)}`);
        }
    }
}

async function startClient(context: vscode.ExtensionContext): Promise<void> {
    const configured = serverPath(context);
    const level = serverSettings(vscode.workspace.getConfiguration('apls')).logLevel as string;
    // Say once why the server cannot start; the client would show its own
    // notification too ("couldn't create connection to server").
    const command = findExecutable(configured);
    if (!command) {
        const msg = `no executable '${configured}'${configured.includes('/') ? '' : ' on the PATH'}`;
        output?.error(`cannot start the server: ${msg}`);
        setStatus('stopped', msg);
        void vscode.window.showErrorMessage(`apls: cannot start the server: ${msg}. Set "apls.path" to the apls executable.`);
        return;
    }
    // TransportKind.stdio: vscode-languageclient appends --stdio, which apls accepts.
    const serverOptions: ServerOptions = {
        run: { command, args: ['--log-level', level], transport: TransportKind.stdio },
        debug: { command, args: ['--log-level', 'debug'], transport: TransportKind.stdio },
    };
    const clientOptions: LanguageClientOptions = {
        // Every file, not only .ap: the server must see unsaved target buffers,
        // and checks again every patch that targets a buffer being edited.
        documentSelector: [{ scheme: 'file' }, { scheme: 'untitled', language: 'ap' }],
        initializationOptions: serverSettings(vscode.workspace.getConfiguration('apls')),
        // Pushes workspace/didChangeConfiguration when "apls.*" changes; the
        // server then pulls workspace/configuration, answered from the same section.
        synchronize: { configurationSection: 'apls' },
        outputChannel: output,
        traceOutputChannel: trace,
        stdioOptions: {
            stdout: () => undefined, // the protocol's stream, read by the client
            stderr: pipeServerLog,
        },
        middleware: {
            // the apply actions carry a command that fetches them afresh
            provideCodeActions: async (document, range, context, token, next) => {
                const actions = await next(document, range, context, token);
                if (!actions || !client) return actions;
                const lspRange = client.code2ProtocolConverter.asRange(range);
                // VS Code's lightbulb and Ctrl+. leave source actions out:
                // "Apply patch" is offered there as a quick fix too
                const extra: vscode.CodeAction[] = [];
                if (!context.only) {
                    for (const a of actions) {
                        if (!(a instanceof vscode.CodeAction) || !a.kind || a.kind.value !== APPLY.value) continue;
                        // Ctrl+. hides disabled actions: a refused patch is
                        // offered as "(unavailable)", which says why
                        const q = new vscode.CodeAction(a.disabled ? `${a.title} (unavailable)` : a.title, QUICK_APPLY);
                        q.command = a.disabled
                            ? { title: q.title, command: 'apls.explain', arguments: [a.disabled.reason] }
                            : { title: a.title, command: 'apls.client.applyFresh', arguments: [document.uri.toString(), lspRange, APPLY.value, a.title] };
                        extra.push(q);
                    }
                }
                return [...actions.map((a) => {
                    if (!(a instanceof vscode.CodeAction) || !a.edit || !a.kind || !APPLY.contains(a.kind)) return a;
                    a.edit = undefined;
                    a.command = {
                        title: a.title,
                        command: 'apls.client.applyFresh',
                        arguments: [document.uri.toString(), lspRange, a.kind.value, a.title],
                    };
                    return a;
                }), ...extra];
            },
            workspace: {
                handleApplyEdit: async (params, next) => {
                    const stale = staleDocuments(params.edit, held);
                    if (stale.length) {
                        void vscode.window.showErrorMessage(`apls: not applied: ${stale.join('; ')}`);
                        return { applied: false, failureReason: stale.join('; ') };
                    }
                    const result = await next({ ...params, edit: createsFirst(params.edit) }, CancellationToken.None);
                    if (result instanceof ResponseError) return result;
                    if (result.applied) await saveCreated(params.edit);
                    else void vscode.window.showErrorMessage(`apls: VS Code did not apply the edit${result.failureReason ? `: ${result.failureReason}` : ''}`);
                    return result;
                },
                configuration: async (params, token, next) => {
                    const result = await next(params, token);
                    if (!Array.isArray(result)) return result;
                    return params.items.map((item, i) => {
                        if (item.section !== 'apls') return result[i];
                        const scope = item.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined;
                        return serverSettings(vscode.workspace.getConfiguration('apls', scope));
                    });
                },
            },
        },
    };
    client = new LanguageClient('apls', 'apls', serverOptions, clientOptions);
    context.subscriptions.push(
        client.onDidChangeState((e) => {
            if (e.newState === State.Running) {
                const info = client?.initializeResult?.serverInfo;
                setStatus('running', info ? `${info.name} ${info.version ?? ''}`.trim() : undefined);
            } else if (e.newState === State.Starting) {
                setStatus('starting');
            } else {
                setStatus('stopped');
            }
        }),
    );
    setStatus('starting');
    watchFormat(context, client);
    try {
        await client.start();
    } catch (err) {
        // vscode-languageclient has shown its notification (with "Go to
        // output"): one is enough
        const msg = err instanceof Error ? err.message : String(err);
        setStatus('stopped', msg);
        output?.error(`cannot start '${command}' (${msg}): check "apls.path"`);
    }
}

async function stopClient(): Promise<void> {
    const c = client;
    client = undefined;
    if (c) {
        try {
            await c.stop(2000);
        } catch {
            /* already gone */
        }
    }
}

const APPLY = vscode.CodeActionKind.Source.append('applyPatch');
/** "Apply patch" as the lightbulb and Ctrl+. offer it (they leave source actions out). */
const QUICK_APPLY = vscode.CodeActionKind.QuickFix.append('applyPatch');

/** What VS Code holds of the document with LSP URI uri, if it is open. */
function held(uri: string): HeldDocument | undefined {
    const key = client ? client.protocol2CodeConverter.asUri(uri).toString() : uri;
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === key);
    return doc && { version: doc.version, isDirty: doc.isDirty };
}

/** An apply action chosen in the lightbulb: asked of the server again (its
 * edit built on the documents as they are now), checked, then applied and
 * its command run. */
async function applyFresh(uri: string, range: LspRange, kind: string, title: string): Promise<void> {
    if (!client) return;
    const actions = await client.sendRequest(CodeActionRequest.type, {
        textDocument: { uri },
        range,
        context: { diagnostics: [], only: [kind] },
    });
    const a = (actions ?? []).find((x): x is CodeAction => 'kind' in x && x.kind === kind && x.title === title);
    if (!a || !a.edit) {
        const why = a?.disabled?.reason ?? 'the patch changed; look at the actions again';
        void vscode.window.showWarningMessage(`apls: not applied: ${why}`);
        return;
    }
    const edit = await client.protocol2CodeConverter.asWorkspaceEdit(createsFirst(a.edit as LspWorkspaceEdit));
    // nothing asynchronous between this check and applyEdit
    const stale = staleDocuments(a.edit, held);
    if (stale.length) {
        void vscode.window.showErrorMessage(`apls: not applied: ${stale.join('; ')}`);
        return;
    }
    if (!(await vscode.workspace.applyEdit(edit))) {
        void vscode.window.showErrorMessage('apls: VS Code did not apply the edit');
        return;
    }
    await saveCreated(a.edit as GuardEdit);
    if (a.command) {
        try {
            await client.sendRequest(ExecuteCommandRequest.type, { command: a.command.command, arguments: a.command.arguments });
        } catch (err) {
            // RequestFailed: the server said why (window/showMessage)
            const msg = err instanceof Error ? err.message : String(err);
            output?.warn(`${a.command.command}: ${msg}`);
            if ((err as { code?: number }).code !== RequestFailed) void vscode.window.showErrorMessage(`apls: ${msg}`);
        }
    }
}

function activePatch(): vscode.TextEditor | undefined {
    const ed = vscode.window.activeTextEditor;
    if (!ed || ed.document.languageId !== 'ap') {
        void vscode.window.showWarningMessage('apls: open a .ap patch first.');
        return undefined;
    }
    return ed;
}

const RequestFailed = -32803;

async function applyPatch(): Promise<void> {
    const ed = activePatch();
    if (!ed || !client) return;
    try {
        // The server answers with workspace/applyEdit (which the client applies),
        // then creates any new files it could not send as CreateFile.
        await client.sendRequest(ExecuteCommandRequest.type, {
            command: 'apls.applyPatch',
            arguments: [ed.document.uri.toString()],
        });
    } catch (err) {
        // RequestFailed: the server said why in its own notification
        // (window/showMessage), or the extension did when it refused the
        // edit: one notification per refusal
        const msg = err instanceof Error ? err.message : String(err);
        output?.warn(`the patch was not applied: ${msg}`);
        if ((err as { code?: number }).code !== RequestFailed) {
            void vscode.window.showErrorMessage(`apls: the patch was not applied: ${msg}`);
        }
    }
}

async function showTarget(): Promise<void> {
    const ed = activePatch();
    if (!ed || !client) return;
    const pos = client.code2ProtocolConverter.asPosition(ed.selection.active);
    const actions = await client.sendRequest(CodeActionRequest.type, {
        textDocument: { uri: ed.document.uri.toString() },
        range: { start: pos, end: pos },
        context: { diagnostics: [], only: ['source.showTarget'] },
    });
    const commands = (actions ?? []).map((a: Command | CodeAction) =>
        typeof a.command === 'string' ? (a as Command) : (a as CodeAction).command,
    );
    const found = commands.find((c): c is Command => !!c && c.command === 'apls.showTarget');
    if (!found) {
        void vscode.window.showInformationMessage('apls: put the cursor in a modification that resolves.');
        return;
    }
    await client.sendRequest(ExecuteCommandRequest.type, { command: found.command, arguments: found.arguments });
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
    output = vscode.window.createOutputChannel('apls', { log: true });
    trace = traceChannel(context);
    status = vscode.window.createStatusBarItem('apls.status', vscode.StatusBarAlignment.Right, 100);
    status.name = 'apls';
    status.command = 'apls.client.showLog';
    context.subscriptions.push(output, status);
    context.subscriptions.push(
        vscode.commands.registerCommand('apls.client.applyPatch', applyPatch),
        vscode.commands.registerCommand('apls.client.showTarget', showTarget),
        vscode.commands.registerCommand('apls.client.applyFresh', applyFresh),
        vscode.commands.registerCommand('apls.client.showLog', () => output?.show(true)),
        vscode.commands.registerCommand('apls.client.restart', async () => {
            await stopClient();
            await startClient(context);
        }),
        // the channel's level asks the server for as much (serverSettings)
        output.onDidChangeLogLevel(() => {
            void client?.sendNotification('workspace/didChangeConfiguration', { settings: null });
        }),
        vscode.workspace.onDidChangeConfiguration(async (e) => {
            if (e.affectsConfiguration('apls.path')) {
                await stopClient();
                await startClient(context);
            }
        }),
    );
    await startClient(context);
}

export async function deactivate(): Promise<void> {
    await stopClient();
    status?.hide();
}
