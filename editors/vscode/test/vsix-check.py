"""vsix-check.py FILE.vsix: the package holds the bundle, the grammar, the
language configuration and a manifest that contributes the ap language, and
no node_modules (the bundle carries vscode-languageclient)."""
import json, sys, zipfile

z = zipfile.ZipFile(sys.argv[1])
names = set(z.namelist())
need = {"extension/package.json", "extension/dist/extension.js", "extension/syntaxes/ap.tmLanguage.json",
        "extension/language-configuration.json", "extension.vsixmanifest"}
missing = need - names
bad = [n for n in names if "node_modules/" in n or n.startswith("extension/src/") or n.startswith("extension/test/")]
pkg = json.loads(z.read("extension/package.json")) if "extension/package.json" in names else {}
langs = [l["id"] for l in pkg.get("contributes", {}).get("languages", [])]
problems = []
if missing:
    problems.append("missing: " + ", ".join(sorted(missing)))
if bad:
    problems.append("should not be packaged: " + ", ".join(sorted(bad)[:5]))
if "ap" not in langs:
    problems.append("no 'ap' language contributed")
if pkg.get("main") != "./dist/extension.js":
    problems.append("main is %r" % pkg.get("main"))
for p in problems:
    print("vsix-check:", p)
sys.exit(1 if problems else 0)
