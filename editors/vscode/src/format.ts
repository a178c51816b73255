// The format the server read each patch as (its apls/status notification,
// docs/server.md "Format 3.2 documents"), shown in a status bar item for the
// active editor: "AP 3.2 e4a2f1b8" or "AP 2.0". Highlighting needs nothing
// from here: the grammar switches to 3.2 at the same lines the server's
// detection does.
import * as vscode from 'vscode';
import { LanguageClient } from 'vscode-languageclient/node';

export interface PatchStatus {
    uri: string;
    version?: number;
    format: string;
    id: string | null;
    files: number;
    modifications: number;
}

/** The status bar text and tooltip of a status (exported for the tests). */
export function formatLabel(st: PatchStatus): { text: string; tooltip: string } {
    const id = st.id ? ` ${st.id}` : '';
    return {
        text: `AP ${st.format}${id}`,
        tooltip: `apls reads this patch as format ${st.format}${st.id ? `, id ${st.id}` : ''}: ` +
            `${st.files} file block${st.files === 1 ? '' : 's'}, ${st.modifications} modification${st.modifications === 1 ? '' : 's'}`,
    };
}

// one item and one map for the extension's life: a restarted client
// (apls.client.restart) reports into the same ones
let item: vscode.StatusBarItem | undefined;
const known = new Map<string, PatchStatus>();

function show(): void {
    if (!item) return;
    const doc = vscode.window.activeTextEditor?.document;
    const st = doc ? known.get(doc.uri.toString()) : undefined;
    if (!st) {
        item.hide();
        return;
    }
    const l = formatLabel(st);
    item.text = l.text;
    item.tooltip = l.tooltip;
    item.show();
}

export function watchFormat(context: vscode.ExtensionContext, client: LanguageClient): void {
    if (!item) {
        item = vscode.window.createStatusBarItem('apls.format', vscode.StatusBarAlignment.Right, 99);
        item.name = 'apls: patch format';
        context.subscriptions.push(
            item,
            vscode.window.onDidChangeActiveTextEditor(show),
            vscode.workspace.onDidCloseTextDocument((d) => {
                known.delete(d.uri.toString());
                show();
            }),
        );
    }
    context.subscriptions.push(
        client.onNotification('apls/status', (st: PatchStatus) => {
            // compared as VS Code spells URIs (escapes may differ)
            known.set(vscode.Uri.parse(st.uri).toString(), st);
            show();
        }),
    );
}
