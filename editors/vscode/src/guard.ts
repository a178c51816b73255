// An edit of apls is applied only to documents that hold the text the server
// built it on. This file knows nothing of VS Code's API (the tests run it in
// plain node); extension.ts gives it what VS Code holds.

/** What VS Code holds of an open document. */
export interface HeldDocument {
    version: number;
    isDirty: boolean;
}

/** The parts of an LSP WorkspaceEdit read here. */
export interface LspWorkspaceEdit {
    documentChanges?: Array<{
        kind?: string;
        textDocument?: { uri: string; version?: number | null };
    }>;
}

/**
 * Why each document the edit changes does not hold what the server read,
 * or [] when it may be applied. A document the server was sent carries the
 * version the server saw: it must still be at that version (VS Code applies
 * a code action's edit without checking it). For a file the server read from
 * the disk (version null, a document it was not sent), an open document must
 * have no unsaved change. `held(uri)` says what VS Code holds of the
 * document with that LSP URI, or undefined when it is not open.
 */
export function staleDocuments(edit: LspWorkspaceEdit, held: (uri: string) => HeldDocument | undefined): string[] {
    const out: string[] = [];
    for (const change of edit.documentChanges ?? []) {
        if (change.kind || !change.textDocument) continue;
        const { uri, version } = change.textDocument;
        const doc = held(uri);
        if (!doc) continue; // VS Code reads it from the disk, as the server did
        const name = decodeURIComponent(uri.replace(/^.*\//, ''));
        if (typeof version === 'number') {
            if (doc.version !== version) out.push(`${name} changed since the server checked it: try again`);
        } else if (doc.isDirty) {
            out.push(`${name} has unsaved changes the server has not seen: save it first`);
        }
    }
    return out;
}
