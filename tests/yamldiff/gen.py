"""gen.py - YAML documents for the differential test (run.py), seeded.

Mostly patches the way models write them, with the YAML surface varied where
libyaml and PyYAML part ways: block scalars (literal and folded, indentation
and chomping indicators, tab-indented code, blank lines with spaces and tabs),
quoted and plain scalars (escapes, unicode, the YAML 1.1 types PyYAML
resolves), tags (core and unknown), anchors and aliases, flow collections,
merge keys, comments, directives, document markers, BOM and line breaks. A
share of them is mutated afterwards (a character inserted, removed or a line
doubled) to reach the syntax corners no template thinks of.
"""
import random

CODE_LINES = [
    "int main(void)", "{", "}", "return 0;", "x = y + 1;", "if (a) {", "\tfoo();",
    "\t\tbar(1, 2);", "\tif (x)", "\t\treturn -1;", "def f(a, b):", "    return a + b",
    "all: build", "\t$(CC) -o $@ $^", "\t@echo done", "# a comment", "key: value",
    "- item", "'quoted'", '"double"', "a | b", "x > y", "50% off", "&amp; *ptr",
    "!important", "@decorator", "`tick`", "{ brace }", "[1, 2]", "é ü ñ", "日本語",
    "emoji \U0001F600", "tab\tinside", "trailing  ", "\t", "  \t", "--- not a doc",
    "... nor this", "%directive-like", "? question", ": colon", "yes", "no", "~",
    "null", "0x1F", "1_000", "2001-12-14", "1:30", "1e3", ".inf", "=", "<<",
]

PLAIN_VALUES = [
    "a.txt", "src/main.c", "x", "2.0", "yes", "No", "on", "OFF", "true", "~", "null",
    "Null", "", "1", "-1", "017", "08", "0o17", "0x1F", "0x_", "0b101", "1_000", "1:30",
    "190:20:30", "1e3", "1.5", "1.5e+3", ".5", ".inf", "-.INF", ".NaN", "2001-12-14",
    "2001-02-30", "0000-01-01", "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10",
    "2001-1-1", "=", "<<", "a b", "a:b", "a#b", "日本", "caf\u00e9", "x\u00a0y",
    "REPLACE", "DELETE", "INSERT_AFTER", "INSERT_BEFORE", "CREATE_FILE", "LF", "CRLF",
    "-", "-x", "?x", ":x", "a?b", "a,b", "50%",
]

TAGS = [
    "!!str", "!!int", "!!float", "!!bool", "!!null", "!!binary", "!!timestamp",
    "!!seq", "!!map", "!!set", "!!omap", "!!pairs", "!!merge", "!!value",
    "!!python/object:os.system", "!!python/name:os.system", "!foo", "!", "!<tag:yaml.org,2002:str>",
    "!<tag:yaml.org,2002:int>", "!<!bar>", "!e!x",
]

ESCAPES = ["\\n", "\\t", "\\\\", '\\"', "\\x41", "\\u00e9", "\\U0001F600", "\\0", "\\e",
           "\\N", "\\_", "\\L", "\\P", "\\/", "\\ ", "\\ud800", "\\uffff", "\\q"]


class Gen:
    def __init__(self, rnd):
        self.r = rnd
        self.anchors = []
        self.n_anchor = 0

    def chance(self, p):
        return self.r.random() < p

    def odd(self, p):
        """A choice that is often invalid YAML: scaled by the document's noise."""
        return self.r.random() < p * self.noise

    def usual(self, common, rare, p=0.5):
        return self.pick(rare) if self.odd(p) else common

    def pick(self, xs):
        return self.r.choice(xs)

    # ---------------------------------------------------------- scalars

    def code_lines(self):
        lines = [self.pick(CODE_LINES) for _ in range(self.r.randint(1, 5))]
        if self.chance(0.3):
            lines.insert(self.r.randrange(len(lines) + 1), "")
        if self.chance(0.15):
            lines.insert(self.r.randrange(len(lines) + 1), self.pick(["  ", "\t", " \t ", "    "]))
        if not self.noise:
            lines = [l for l in lines if l not in ("\t", "  \t")] or ["x"]
        return lines

    def block(self, col):
        """A block scalar whose content stands at column col (or near it);
        its key stands at col - 2."""
        style = self.pick(["|", "|", "|", ">"])
        pad = col + self.pick([0, 0, 0, 1, 2]) + self.usual(0, [-1, -2, 8])
        if pad < 0:
            pad = 0
        ind = ""
        if self.chance(0.25):
            ind = str(max(1, min(9, pad - (col - 2)) + self.usual(0, [-1, 1, 3])))
        chomp = self.pick(["", "", "-", "+"])
        head = style + (ind + chomp if self.chance(0.5) else chomp + ind)
        if self.chance(0.1):
            head += self.pick([" # note", "  #\tnote", " "])
        elif self.odd(0.1):
            head += self.pick(["\t", "#x", "\t# c"])
        lines = self.code_lines()
        # the first line decides the indentation: tab-first on purpose
        if self.chance(0.5):
            lines[0] = "\t" + lines[0].lstrip("\t")
        out = []
        for i, line in enumerate(lines):
            if line == "":
                out.append(self.pick(["", "", " " * self.r.randint(0, pad + 3)]))
                if i == 0 and len(out[-1]) > pad and not self.noise:
                    out[-1] = ""
            else:
                extra = " " * self.pick([0, 0, 0, 1, 2]) if i > 0 else ""
                out.append(" " * pad + extra + line)
        if self.chance(0.2):
            out.append(" " * self.r.randint(0, pad))
        return head, out

    def dquoted(self):
        s = self.pick(PLAIN_VALUES + CODE_LINES)
        s = s.replace("\\", "\\\\").replace('"', '\\"')
        if self.chance(0.5):
            k = self.r.randrange(len(s) + 1)
            s = s[:k] + self.pick(ESCAPES[:-3] if not self.noise else ESCAPES) + s[k:]
        if self.chance(0.1):
            s = s + "\n   " + self.pick(["more", "\tmore", ""] + (["---"] if self.noise else []))
        return '"' + s + '"'

    def squoted(self):
        s = self.pick(PLAIN_VALUES + CODE_LINES).replace("'", "''")
        if self.chance(0.1):
            s = s + "\n  \t" + "tail"
        return "'" + s + "'"

    def props(self):
        p = []
        if self.chance(0.08):
            self.n_anchor += 1
            name = self.pick(["a", "b", "s", "x%d" % self.n_anchor])
            self.anchors.append(name)
            p.append("&" + name)
        if self.chance(0.04):
            p.append(self.pick(TAGS[:4] + ["!"]))
        elif self.odd(0.1):
            p.append(self.pick(TAGS))
        if len(p) == 2 and self.chance(0.5):
            p.reverse()
        return " ".join(p)

    def scalar(self, col, text_like):
        """(inline text, following lines) for a scalar value."""
        if self.anchors and self.chance(0.05):
            return "*" + self.usual(self.pick(self.anchors), ["nope"], 0.2), []
        props = self.props()
        pre = props + " " if props else ""
        k = self.r.random()
        if text_like and k < 0.6:
            head, lines = self.block(col)
            return pre + head, lines
        if k < 0.75:
            return pre + self.dquoted(), []
        if k < 0.85:
            return pre + self.squoted(), []
        v = self.pick(PLAIN_VALUES if self.noise else PLAIN_VALUES[:20])
        if v == "" and not pre:
            return "", []
        return pre + v, []

    # ------------------------------------------------------------ nodes

    def sep(self):
        return self.usual(self.pick([" ", " ", "  "]), ["\t", " \t", "\t "], 0.1)

    def entry(self, col, key, text_like=False):
        """Lines of 'key: value' at column col."""
        if self.chance(0.05):
            return [" " * col + key + ":" + self.sep() + self.flow_value()]
        v, more = self.scalar(col + 2, text_like)
        line = " " * col + key + ":" + (self.sep() + v if v else "")
        if self.chance(0.05):
            line += self.pick([" # c", "  #\tc", " "])
        elif self.odd(0.05):
            line += self.pick(["\t# c", "\t"])
        return [line] + more

    def flow_value(self):
        k = self.r.random()
        items = [self.pick(PLAIN_VALUES[:20] + ['"q"', "'s'", "a: b", "[x]", "{y: z}", "?k", "a:b"])
                 if not self.odd(0.2) else self.pick(["a:", "a?b", "a:]", "? x", "-", "!!set {x}"])
                 for _ in range(self.r.randint(0, 3))]
        sep = self.usual(self.pick([", ", ",", " , "]), [",\t"], 0.2)
        if k < 0.5:
            return "[" + sep.join(items) + "]"
        return "{" + sep.join(i if ":" in i else i + ": v" for i in items) + "}"

    def modification(self, col):
        """Lines of one modification, its dash at column col."""
        inner = col + 2
        action = self.pick(["REPLACE", "INSERT_AFTER", "INSERT_BEFORE", "DELETE", "CREATE_FILE",
                            '"REPLACE"', "'DELETE'", "!!str DELETE", "FROB"])
        if self.chance(0.05):
            return [" " * col + "- {action: %s, snippet: %s, content: %s}" % (
                action, self.dquoted(), self.pick([self.dquoted(), "x", "", "[a]"]))]
        if self.mods and self.chance(0.03):
            # an alias to a mapping (apls refuses it), or a merge of one
            name = self.pick(self.mods)
            if self.chance(0.5):
                return [" " * col + "- *" + name]
            return [" " * col + "- <<: *" + name, " " * inner + "snippet: x"]
        lines = [" " * col + "- action:" + self.sep() + action]
        if self.chance(0.05):
            self.n_anchor += 1
            name = "m%d" % self.n_anchor
            self.mods.append(name)
            lines = [" " * col + "- &" + name, " " * inner + "action:" + self.sep() + action]
        keys = ["snippet", "content"]
        if self.chance(0.2):
            keys = ["start_snippet", "end_snippet", "content"]
        if self.chance(0.2):
            keys.insert(0, "anchor")
        for key in keys:
            lines += self.entry(inner, key, text_like=True)
        if self.chance(0.15):
            lines += self.entry(inner, self.pick(["include_leading_blank_lines",
                                                  "include_trailing_blank_lines"]))
        if self.chance(0.05):
            lines += self.entry(inner, self.pick(["extra", "'<<'", "=", "yes", "1", "~"]))
        elif self.odd(0.1):
            lines += self.entry(inner, self.pick(["snippet", "<<", "? x", "[a]", "!!foo k"]))
        if self.chance(0.03):
            lines.append(" " * inner + "<<: " + self.pick(["{action: DELETE}", "x", "[{a: 1}, {b: 2}]",
                                                          "[x]", "!!foo {a: 1}"]))
        return lines

    def change(self, col):
        inner = col + 2
        lines = [" " * col + "- file_path:" + self.sep() +
                 self.pick(["a.c", "src/x.py", '"a b.txt"', "'q.txt'", "caf\u00e9.txt", "yes", "!!str 1"])]
        if self.chance(0.2):
            lines += self.entry(inner, "newline")
        if self.chance(0.05):
            lines.append(" " * inner + "modifications: []")
            return lines
        lines.append(" " * inner + "modifications:")
        mcol = inner + self.pick([2, 2, 2, 0, 4])
        for _ in range(self.r.randint(1, 3)):
            lines += self.modification(mcol)
        return lines

    def patch(self):
        self.anchors = []
        self.mods = []
        self.noise = self.pick([0, 0, 0, 1, 3])
        lines = []
        if self.chance(0.3):
            lines.append("# Summary: " + self.pick(CODE_LINES))
        if self.chance(0.08):
            lines.append(self.pick(["%YAML 1.1", "%YAML 1.2", "%YAML 1.3", "%YAML 1.1 # c",
                                    "%TAG !e! tag:example.com,2000:", "%FOO bar"]))
            if self.odd(0.3):
                lines[-1] = self.pick(["%YAML 2.0", "%YAML\t1.1", "%YAML 1.1\t"])
            lines.append("---")
        elif self.chance(0.1):
            lines.append(self.usual(self.pick(["---", "--- ", "--- # doc"]), ["---\t"]))
        v = self.pick(['"2.0"', "'2.0'", "!!str 2.0", "&v \"2.0\"", "2.0"])
        v = self.usual(v, ["!!python/object:os.system \"2.0\"", "!foo \"2.0\"", "! \"2.0\"",
                           "!!float \"2.0\"", '"2.0"\t'], 0.3)
        lines.append("version:" + self.sep() + v)
        if v.startswith("&v"):
            self.anchors.append("v")
        lines.append("changes:")
        ccol = self.pick([2, 2, 2, 0, 4])
        for _ in range(self.r.randint(1, 2)):
            lines += self.change(ccol)
        if self.chance(0.05):
            lines.append(self.pick(["...", "extra: 1", "# end"]))
        elif self.odd(0.1):
            lines.append(self.pick(["---", "--- x", "version: \"2.0\"", "... x"]))
        eol = self.pick(["\n"] * 10 + ["\r\n", "\r"])
        text = eol.join(lines) + (eol if self.chance(0.9) else "")
        if self.chance(0.03):
            text = "\ufeff" + text
        return text

    def mutate(self, text):
        for _ in range(self.r.randint(1, 3)):
            if not text:
                break
            k = self.r.randrange(len(text) + 1)
            op = self.r.random()
            if op < 0.55:
                text = text[:k] + self.pick(["\t", " ", "\n", ":", "-", "#", "|", ">", '"', "'", "!",
                                             "&", "*", "[", "]", "{", "}", ",", "?", "%", "@",
                                             "\ufeff", "\x85", "\u2028", "\t\t", "  "]) + text[k:]
            elif op < 0.85:
                text = text[:k] + text[k + 1:]
            else:
                start = text.rfind("\n", 0, k) + 1
                end = text.find("\n", k)
                end = len(text) if end < 0 else end + 1
                text = text[:end] + text[start:end] + text[end:]
        return text


# Where libyaml and PyYAML were found to part ways, or nearly: always run.
HAND = [
    "a: |\n  \tfoo\n  bar\n", "a: >\n  \tx\n  y\n", "a: >\n  \tx\n\n  y\n", "a: >\n  \tx\n   y\n",
    "a: >-\n  \tx\n", "a: |+\n  \tx\n\n", "a: |\n\n  \tx\n", "a: |\n    \n  \tx\n",
    "a: |\n  \n    \tx\n", "a: |2\n  \tx\n", "a: |2\n \tx\n", "a: |\n  \t\n  x\n", "|\n \tx\n",
    "|\n\tx\n", "a:\n- |\n  \tx\n", "- |\n  \tx\n- >\n \ty\n  z\n", "        k: |\n        \tx\n",
    "        k: |\n         \tx\n", "a: |\n  x\n \tbar\n", "a: |\n  cat x |\n  \tgrep y\n",
    "a: \"x |\n  \ty\"\n", "a: !!str\n  |\n  \tx\n", "a: &s |\n  \tx\nb: *s\n",
    "a: &s >\n  \tx\n  y\nb: *s\n", "a:\tb\n", "a: b\tc\n", "a: b\t# c\n", "- \ta\n", "[a,\tb]\n",
    "{a:\tb}\n", "a: b\t\n", "a: \"b\"\t\n", "a: b\n\t\nc: d\n", "a: \"x\ty\"\n", "a: \"x\n\ty\"\n",
    "a: x\n \ty\n", "a: |\t\n  x\n", "a: | #\tc\n  x\n", "a: |#c\n  x\n", "a: |-#c\n  x\n",
    "a: 1 #\tc\n", "\t# c\na: 1\n", "---\t\na: 1\n", "a: &x\t1\n", "--- \ta\n", "-\tx\n",
    "[a?b]\n", "{a?b: c}\n", "[a:,b]\n", "{a: b, c:}\n", "[a:]\n", "[a:b]\n", "{a:b}\n", "[? a]\n",
    "a: =\n", "=: x\n", "a: <<\n", "a: ! \"*\"\n", "a: ! \"12\"\n", "a: ! |\n  12\n", "a: ! &x\n",
    "a: !!python/object:os.system \"2.0\"\n", "a: !foo \"2.0\"\n", "a: !<tag:yaml.org,2002:str> 12\n",
    "a: !!str {=: x}\n", "a: !!str {=: {=: x}}\n", "a: !!str {=: [x]}\n", "a: !!null {b: c}\n",
    "a: {<<: !!foo {b: 1}}\n", "a: !!omap [=: 1]\n", "a: !!omap [<<: {b: 1}]\n", "a: !!set {<<: {b: 1}}\n",
    "a: !!set {? [x]}\n", "!!merge <<: {a: 1}\n", "a: {<<: x}\n", "a: {\"<<\": x}\n", "? [a]\n: b\n",
    "a: 2001-02-30\n", "a: 0000-01-01\n", "a: 0x_\n", "a: 0b_\n", "a: !!int \" 12 \"\n",
    "a: !!bool \"maybe\"\n", "a: !!binary a\n", "a: !!timestamp\n", "a: !!int\n", "a: !!float \"\"\n",
    "a: &x 1\nb: &x 2\nc: *x\n", "%YAML 1.3\n---\na: 1\n", "%YAML 2.0\n---\na: 1\n", "%YAML 01.3\n---\na: 1\n",
    "%YAML 0.1\n---\na: 1\n", "%YAML 1.10\n---\na: 1\n", "%YAML 1.3x\n---\na: 1\n", "%FOO bar\n---\na: 1\n",
    "%FOO bar\tbaz\n---\na: 1\n", "%FOO\tbar\n---\na: 1\n", "%FOO bar\n", "%FOO bar\na: 1\n",
    "%YA|ML 1.1\n---\na: 1\n", "%YAML\t1.1\n---\na: 1\n", "a: b\n\ufeffc: d\n", "\ufeff\ufeffa: 1\n",
    "---\n\ufeffa: 1\n", "a: \"x\n\ufeffy\"\n", "a: \"\\ud800\"\n", "a: \"\\uffff\"\n", "a: b\x85c: d\n",
    "a: \"x\u2028y\"\n", "a: |\n  x\u2028  y\n", "a: 1\ra: 2\r", "a: 1\na: 2\n", "1: a\n01: b\n",
]


def generate(seed, count):
    """count documents (bytes), the same for the same seed, after HAND."""
    r = random.Random(seed)
    g = Gen(r)
    docs = [h.encode("utf-8", "surrogatepass") for h in HAND]
    for i in range(count):
        text = g.patch()
        if r.random() < 0.3:
            text = g.mutate(text)
        docs.append(text.encode("utf-8", "surrogatepass"))
    return docs
