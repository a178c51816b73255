// A faithful stand-in for VS Code's side of a WorkspaceEdit: documents held
// as VS Code holds them (one end-of-line sequence per document, positions in
// UTF-16 code units), edits applied the way its bulk edit service applies
// them (all-or-nothing version checks, CreateFile with parent folders,
// newText line endings normalized to the document's, since VS Code advertises
// workspaceEdit.normalizesLineEndings), and "save" writing the text back
// unchanged (files.insertFinalNewline and files.trimTrailingWhitespace are
// off by default).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const uriOf = (p) => pathToFileURL(p).href;
export const pathOf = (u) => fileURLToPath(u);

/** Line starts of a text, line breaks being \r\n, \n or \r (as VS Code). */
function lineStarts(text) {
    const starts = [0];
    for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c === 13) {
            if (text.charCodeAt(i + 1) === 10) i++;
            starts.push(i + 1);
        } else if (c === 10) {
            starts.push(i + 1);
        }
    }
    return starts;
}

/** VS Code's TextModel: the dominant EOL wins and the text is normalized to it. */
function normalizeModel(text) {
    const crlf = (text.match(/\r\n/g) || []).length;
    const lf = (text.match(/\n/g) || []).length - crlf;
    const eol = crlf > lf ? '\r\n' : '\n';
    return { eol, text: text.replace(/\r\n|\r|\n/g, eol) };
}

/** A position (UTF-16) to an offset (UTF-16 index into the JS string), clamped as VS Code validates it. */
function offsetAt(text, starts, pos) {
    if (pos.line < 0) return 0;
    if (pos.line >= starts.length) return text.length;
    const start = starts[pos.line];
    let end = pos.line + 1 < starts.length ? starts[pos.line + 1] : text.length;
    // the line's content ends before its line break
    while (end > start && (text[end - 1] === '\n' || text[end - 1] === '\r')) end--;
    return Math.min(start + Math.max(0, pos.character), end);
}

export class Workspace {
    constructor(root) {
        this.root = root;
        this.docs = new Map(); // uri -> {text, eol, version, languageId, dirty}
    }

    /** Opens a document from disk, as VS Code does; returns the didOpen params. */
    open(file, languageId) {
        const uri = uriOf(path.resolve(this.root, file));
        const disk = fs.readFileSync(pathOf(uri), 'utf8');
        const { eol, text } = normalizeModel(disk);
        const doc = { uri, text, eol, version: 1, languageId, dirty: false };
        this.docs.set(uri, doc);
        return { textDocument: { uri, languageId, version: doc.version, text } };
    }

    /** Edits an open document (the user typing); returns the didChange params (incremental). */
    replaceAll(uri, from, to) {
        const doc = this.docs.get(uri);
        const changes = [];
        let idx;
        let next = 0;
        while ((idx = doc.text.indexOf(from, next)) >= 0) {
            next = idx + to.length; // (to may hold from)
            const starts = lineStarts(doc.text);
            const posAt = (off) => {
                let line = 0;
                while (line + 1 < starts.length && starts[line + 1] <= off) line++;
                return { line, character: off - starts[line] };
            };
            changes.push({ range: { start: posAt(idx), end: posAt(idx + from.length) }, rangeLength: from.length, text: to });
            doc.text = doc.text.slice(0, idx) + to + doc.text.slice(idx + from.length);
        }
        doc.version++;
        doc.dirty = true;
        return { textDocument: { uri, version: doc.version }, contentChanges: changes };
    }

    /** Applies a WorkspaceEdit; returns {applied, failureReason}. Nothing is changed on failure. */
    applyEdit(edit) {
        const changes = edit.documentChanges;
        if (!Array.isArray(changes)) return { applied: false, failureReason: 'expected documentChanges' };
        // 1. versions: VS Code rejects the whole edit if any open document moved on
        for (const c of changes) {
            if (c.kind) continue;
            const doc = this.docs.get(c.textDocument.uri);
            const v = c.textDocument.version;
            if (v !== null && v !== undefined) {
                if (!doc) return { applied: false, failureReason: `version ${v} for a closed document` };
                if (doc.version !== v) return { applied: false, failureReason: `stale version ${v} (have ${doc.version})` };
            }
        }
        // 2. resource operations and text edits, in order
        const created = [];
        const staged = new Map(); // uri -> {text, eol}
        const get = (uri) => {
            if (staged.has(uri)) return staged.get(uri);
            const open = this.docs.get(uri);
            let model;
            if (open) model = { text: open.text, eol: open.eol };
            else if (created.includes(uri)) model = { text: '', eol: '\n' };
            else if (fs.existsSync(pathOf(uri))) model = normalizeModel(fs.readFileSync(pathOf(uri), 'utf8'));
            else return null;
            staged.set(uri, model);
            return model;
        };
        for (const c of changes) {
            if (c.kind === 'create') {
                const p = pathOf(c.uri);
                const opts = c.options || {};
                if (fs.existsSync(p) && !opts.overwrite) {
                    if (opts.ignoreIfExists) continue;
                    return { applied: false, failureReason: `${p} exists` };
                }
                created.push(c.uri);
                staged.set(c.uri, { text: '', eol: '\n' });
                continue;
            }
            if (c.kind) return { applied: false, failureReason: `unexpected ${c.kind}` };
            const model = get(c.textDocument.uri);
            if (!model) return { applied: false, failureReason: `no such file ${c.textDocument.uri}` };
            const starts = lineStarts(model.text);
            const edits = c.edits.map((e) => ({
                start: offsetAt(model.text, starts, e.range.start),
                end: offsetAt(model.text, starts, e.range.end),
                text: e.newText.replace(/\r\n|\r|\n/g, model.eol),
            }));
            const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
            for (let i = 1; i < sorted.length; i++) {
                if (sorted[i].start < sorted[i - 1].end) return { applied: false, failureReason: 'overlapping edits' };
            }
            let text = model.text;
            for (const e of sorted.reverse()) text = text.slice(0, e.start) + e.text + text.slice(e.end);
            model.text = text;
        }
        // 3. commit: created files on disk (with their folders), edits into the documents
        for (const uri of created) {
            fs.mkdirSync(path.dirname(pathOf(uri)), { recursive: true });
            fs.writeFileSync(pathOf(uri), '');
        }
        for (const [uri, model] of staged) {
            const open = this.docs.get(uri);
            if (open) {
                if (open.text !== model.text) {
                    open.text = model.text;
                    open.version++;
                    open.dirty = true;
                }
            } else {
                // VS Code opens the file in a (dirty) editor
                this.docs.set(uri, { uri, text: model.text, eol: model.eol, version: 1, languageId: 'plaintext', dirty: true });
            }
        }
        return { applied: true };
    }

    /** Saves every dirty document, as File: Save All. */
    saveAll() {
        for (const doc of this.docs.values()) {
            if (!doc.dirty) continue;
            fs.writeFileSync(pathOf(doc.uri), doc.text);
            doc.dirty = false;
        }
    }
}
