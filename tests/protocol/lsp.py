"""A small LSP client for tests: runs the real apls over pipes.

It frames messages, answers the server's requests (configuration,
registerCapability, applyEdit, showDocument), records notifications, and can
apply a WorkspaceEdit the way a faithful client does (positions in the
negotiated encoding, CreateFile, versions checked)."""
import json, os, select, subprocess, time


class Server:
    def __init__(self, binary, args=(), cwd=None, env=None, stderr=None):
        self.p = subprocess.Popen([binary, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=stderr if stderr is not None else subprocess.DEVNULL,
                                  cwd=cwd, env=env)
        self.buf = b""
        self.next_id = 1
        self.notes = []          # notifications, in order
        self.responses = {}
        self.requests = []       # server -> client requests seen
        self.edit_applier = None # callable(edit) -> bool for workspace/applyEdit
        self.config = {}

    # -- wire
    def send_raw(self, data):
        self.p.stdin.write(data)
        self.p.stdin.flush()

    def send(self, msg):
        # raw UTF-8, as real clients send it (Content-Length counts bytes)
        try:
            body = json.dumps(msg, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:        # a lone surrogate: escape it
            body = json.dumps(msg).encode()
        self.send_raw(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def request(self, method, params=None, wait=True, timeout=10):
        i = self.next_id
        self.next_id += 1
        m = {"jsonrpc": "2.0", "id": i, "method": method}
        if params is not None:
            m["params"] = params
        self.send(m)
        return self.wait_response(i, timeout) if wait else i

    def notify(self, method, params=None):
        m = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            m["params"] = params
        self.send(m)

    def _read_one(self, timeout):
        end = time.time() + timeout
        while True:
            h = self.buf.find(b"\r\n\r\n")
            if h >= 0:
                n = 0
                for line in self.buf[:h].split(b"\r\n"):
                    k, _, v = line.partition(b":")
                    if k.strip().lower() == b"content-length":
                        n = int(v)
                if len(self.buf) >= h + 4 + n:
                    body = self.buf[h + 4:h + 4 + n]
                    self.buf = self.buf[h + 4 + n:]
                    return json.loads(body)
            left = end - time.time()
            if left <= 0:
                return None
            r, _, _ = select.select([self.p.stdout], [], [], left)
            if not r:
                return None
            chunk = os.read(self.p.stdout.fileno(), 65536)
            if not chunk:
                return None
            self.buf += chunk

    def pump(self, timeout=0.2):
        """Reads and handles messages until quiet for timeout seconds."""
        got = False
        while True:
            m = self._read_one(timeout)
            if m is None:
                return got
            got = True
            self._handle(m)

    def _handle(self, m):
        if "method" in m and "id" in m:
            self.requests.append(m)
            meth = m["method"]
            result = None
            if meth == "workspace/configuration":
                result = [self.config for _ in m["params"]["items"]]
            elif meth == "workspace/applyEdit":
                ok = self.edit_applier(m["params"]["edit"]) if self.edit_applier else False
                result = {"applied": bool(ok)}
            elif meth == "window/showDocument":
                result = {"success": True}
            self.send({"jsonrpc": "2.0", "id": m["id"], "result": result})
        elif "method" in m:
            self.notes.append(m)
        else:
            self.responses[m.get("id")] = m

    def wait_response(self, i, timeout=10):
        end = time.time() + timeout
        while i not in self.responses:
            m = self._read_one(max(0.01, end - time.time()))
            if m is None:
                if time.time() >= end or self.p.poll() is not None:
                    raise TimeoutError("no response to %r" % i)
                continue
            self._handle(m)
        return self.responses.pop(i)

    def wait_note(self, method, pred=lambda m: True, timeout=10):
        end = time.time() + timeout
        while True:
            for k, m in enumerate(self.notes):
                if m["method"] == method and pred(m):
                    del self.notes[k]
                    return m
            m = self._read_one(max(0.01, end - time.time()))
            if m is None:
                if time.time() >= end:
                    raise TimeoutError("no %s notification" % method)
                continue
            self._handle(m)

    def diagnostics(self, uri, timeout=10):
        return self.wait_note("textDocument/publishDiagnostics",
                              lambda m: m["params"]["uri"] == uri, timeout)["params"]

    def initialize(self, root=None, capabilities=None, options=None, encodings=None):
        caps = capabilities or vscode_capabilities()
        if encodings:
            caps = json.loads(json.dumps(caps))
            caps.setdefault("general", {})["positionEncodings"] = encodings
        params = {"processId": os.getpid(), "capabilities": caps,
                  "rootUri": uri_of(root) if root else None,
                  "workspaceFolders": [{"uri": uri_of(root), "name": "w"}] if root else None}
        if options is not None:
            params["initializationOptions"] = options
        r = self.request("initialize", params)
        self.notify("initialized", {})
        return r

    def shutdown(self, timeout=10):
        r = self.request("shutdown")
        self.notify("exit")
        try:
            return r, self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            return r, None

    def close(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()


def uri_of(path):
    from urllib.parse import quote
    return "file://" + quote(os.path.abspath(path))


def path_of(uri):
    from urllib.parse import unquote
    assert uri.startswith("file://")
    return unquote(uri[7:])


def vscode_capabilities():
    """What VS Code's client (vscode-languageclient 9) sends, in the parts apls reads."""
    return {
        "workspace": {"applyEdit": True, "configuration": True, "workspaceFolders": True,
                      "workspaceEdit": {"documentChanges": True,
                                        "resourceOperations": ["create", "rename", "delete"],
                                        "failureHandling": "textOnlyTransactional"},
                      "didChangeWatchedFiles": {"dynamicRegistration": True}},
        "textDocument": {"synchronization": {"dynamicRegistration": True, "didSave": True},
                         "hover": {"contentFormat": ["markdown", "plaintext"]},
                         "codeAction": {"disabledSupport": True, "isPreferredSupport": True,
                                        "codeActionLiteralSupport": {"codeActionKind": {"valueSet": [
                                            "", "quickfix", "refactor", "source"]}}},
                         "publishDiagnostics": {"relatedInformation": True, "versionSupport": False,
                                                "tagSupport": {"valueSet": [1, 2]}}},
        "window": {"showDocument": {"support": True}},
        "general": {"positionEncodings": ["utf-16"]},
    }


def neovim07_capabilities():
    """What Neovim 0.7.2 sends (see clients.md): no resource operations, no watchers."""
    return {
        "workspace": {"applyEdit": True, "configuration": True, "workspaceFolders": True,
                      "workspaceEdit": {"resourceOperations": {}},
                      "symbol": {"dynamicRegistration": False}},
        "textDocument": {"synchronization": {"didSave": True, "willSave": False},
                         "hover": {"contentFormat": ["markdown", "plaintext"]},
                         "codeAction": {"codeActionLiteralSupport": {"codeActionKind": {"valueSet": [
                             "", "quickfix", "refactor", "source"]}}},
                         "publishDiagnostics": {"relatedInformation": True}},
        "window": {"workDoneProgress": True, "showDocument": {"support": False}},
    }


def eglot19_capabilities():
    """What eglot 1.9 sends: documentChanges yes, resource operations no, plain text hover."""
    return {
        "workspace": {"applyEdit": True, "executeCommand": {"dynamicRegistration": False},
                      "workspaceEdit": {"documentChanges": True},
                      "didChangeWatchedFiles": {"dynamicRegistration": True},
                      "symbol": {"dynamicRegistration": False}, "configuration": True},
        "textDocument": {"synchronization": {"dynamicRegistration": False, "willSave": True,
                                             "willSaveWaitUntil": True, "didSave": True},
                         "hover": {"dynamicRegistration": False, "contentFormat": ["plaintext"]},
                         "codeAction": {"dynamicRegistration": False, "codeActionLiteralSupport": {
                             "codeActionKind": {"valueSet": ["quickfix", "refactor", "refactor.extract",
                                                             "refactor.inline", "refactor.rewrite",
                                                             "source", "source.organizeImports"]}},
                             "isPreferredSupport": True},
                         "publishDiagnostics": {"relatedInformation": False}},
        "experimental": {},
    }


# ---------------------------------------------------------------- positions

def units(s, enc):
    if enc == "utf-8":
        return len(s.encode("utf-8", "surrogateescape"))
    if enc == "utf-32":
        return len(s)
    return len(s.encode("utf-16-le", "surrogatepass")) // 2


def split_lines(text):
    """LSP lines: breaks are \\n, \\r\\n, \\r; returns [(content, break)]."""
    out, i, start = [], 0, 0
    while i < len(text):
        c = text[i]
        if c == "\r" or c == "\n":
            br = "\r\n" if text[i:i + 2] == "\r\n" else c
            out.append((text[start:i], br))
            i += len(br)
            start = i
        else:
            i += 1
    out.append((text[start:], ""))
    return out


def offset_of(text, pos, enc):
    """Character offset in text of an LSP position (clamped as the spec says)."""
    lines = split_lines(text)
    line = pos["line"]
    if line >= len(lines):
        return len(text)
    off = sum(len(c) + len(b) for c, b in lines[:line])
    content = lines[line][0]
    want, n = pos["character"], 0
    for k, ch in enumerate(content):
        if n >= want:
            return off + k
        n += units(ch, enc)
    return off + len(content)


def position_of(text, offset, enc):
    """The LSP position of character offset in text (the inverse of offset_of)."""
    line, start, i = 0, 0, 0
    while i < offset:
        c = text[i]
        if c == "\r" or c == "\n":
            i += 2 if text[i:i + 2] == "\r\n" else 1
            if i > offset:          # inside a \r\n: the end of the line
                i -= 2
                break
            line += 1
            start = i
        else:
            i += 1
    return {"line": line, "character": units(text[start:min(i, offset)], enc)}


def range_of(text, a, b, enc):
    """The LSP range of character offsets [a, b) of text."""
    return {"start": position_of(text, a, enc), "end": position_of(text, b, enc)}


def apply_text_edits(text, edits, enc):
    """Applies TextEdits as VS Code does: all against the same text; refuses
    overlapping ranges and a range that ends before it starts; inserts at one
    position appear in the order of the array."""
    spans = []
    for k, e in enumerate(edits):
        a, b = offset_of(text, e["range"]["start"], enc), offset_of(text, e["range"]["end"], enc)
        if b < a:
            raise RuntimeError("an edit ends before it starts: %r" % e)
        spans.append((a, b, k, e["newText"]))
    spans.sort()
    for x, y in zip(spans, spans[1:]):
        if y[0] < x[1]:
            raise RuntimeError("overlapping edits: %r and %r" % (edits[x[2]], edits[y[2]]))
    # An editor holds a buffer as lines and writes each with the file's own
    # ending (VS Code, Neovim's fileformat, Emacs' coding system): a line
    # break in newText becomes a CRLF in a CRLF file, a CR in a CR file, and
    # bytes inserted into an LF buffer stay as they are.
    eol = buffer_eol(text)
    for a, b, _, t in reversed(spans):
        if eol != "\n":
            t = t.replace("\r\n", "\n").replace("\r", "\n").replace("\n", eol)
        text = text[:a] + t + text[b:]
    return text


def buffer_eol(text):
    """The line ending an editor gives a buffer: that of its first line break."""
    for i, c in enumerate(text):
        if c == "\n":
            return "\n"
        if c == "\r":
            return "\r\n" if text[i + 1:i + 2] == "\n" else "\r"
    return "\n"


def apply_workspace_edit(edit, enc, open_docs=None, root=None):
    """Applies a WorkspaceEdit to disk files (and open_docs: uri -> (version, text)).
    Raises on a stale version or a CreateFile over an existing file."""
    open_docs = open_docs if open_docs is not None else {}
    for ch in edit.get("documentChanges", []):
        if ch.get("kind") == "create":
            path = path_of(ch["uri"])
            if os.path.exists(path) and not ch.get("options", {}).get("overwrite"):
                if ch.get("options", {}).get("ignoreIfExists"):
                    continue
                raise RuntimeError("CreateFile over an existing file: " + path)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            open(path, "wb").close()
            continue
        if ch.get("kind") == "rename":
            old_p, new_p = path_of(ch["oldUri"]), path_of(ch["newUri"])
            if not os.path.lexists(old_p):
                raise RuntimeError("RenameFile of a missing path: " + old_p)
            if os.path.lexists(new_p) and not ch.get("options", {}).get("overwrite"):
                if ch.get("options", {}).get("ignoreIfExists"):
                    continue
                raise RuntimeError("RenameFile over an existing path: " + new_p)
            os.makedirs(os.path.dirname(new_p), exist_ok=True)   # as VS Code does
            os.rename(old_p, new_p)
            continue
        if ch.get("kind") == "delete":
            path = path_of(ch["uri"])
            if not os.path.lexists(path):
                if ch.get("options", {}).get("ignoreIfNotExists"):
                    continue
                raise RuntimeError("DeleteFile of a missing path: " + path)
            if os.path.isdir(path) and not os.path.islink(path):
                if not ch.get("options", {}).get("recursive"):
                    os.rmdir(path)            # fails on a folder that is not empty
                else:
                    import shutil
                    shutil.rmtree(path)
            else:
                os.unlink(path)
            continue
        if "kind" in ch:
            raise RuntimeError("unexpected resource operation " + ch["kind"])
        uri, ver = ch["textDocument"]["uri"], ch["textDocument"].get("version")
        if uri in open_docs:
            v, text = open_docs[uri]
            if ver is not None and ver != v:
                raise RuntimeError("stale version %r != %r" % (ver, v))
            open_docs[uri] = (v + 1, apply_text_edits(text, ch["edits"], enc))
        else:
            path = path_of(uri)
            with open(path, "rb") as f:
                text = f.read().decode("utf-8", "surrogateescape")
            new = apply_text_edits(text, ch["edits"], enc)
            with open(path, "wb") as f:
                f.write(new.encode("utf-8", "surrogateescape"))
    for uri, ch in edit.get("changes", {}).items():
        raise RuntimeError("apls sends documentChanges, not changes")
    return open_docs
