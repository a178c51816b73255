"""vsix-check.py FILE.vsix [--target PLATFORM]: the package holds the bundle,
the grammar, the language configuration and a manifest that contributes the ap
language, and no node_modules (the bundle carries vscode-languageclient).
With --target (scripts/build-vsix): the manifest names that platform and the
package carries bin/PLATFORM/apls, executable; without it, no bin/ at all."""
import json, sys, zipfile

args = sys.argv[1:]
target = None
if "--target" in args:
    i = args.index("--target")
    target = args[i + 1]
    del args[i:i + 2]
z = zipfile.ZipFile(args[0])
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
manifest = z.read("extension.vsixmanifest").decode() if "extension.vsixmanifest" in names else ""
binaries = [n for n in names if n.startswith("extension/bin/")]
if target:
    exe = "extension/bin/%s/apls" % target
    if exe not in names:
        problems.append("no " + exe)
    elif not (z.getinfo(exe).external_attr >> 16) & 0o111:
        problems.append(exe + " is not executable in the package")
    if 'TargetPlatform="%s"' % target not in manifest:
        problems.append("the manifest does not say TargetPlatform=%s" % target)
    if set(binaries) - {exe}:
        problems.append("other binaries: " + ", ".join(sorted(set(binaries) - {exe})))
elif binaries or "TargetPlatform=" in manifest:
    problems.append("a universal package with a platform's binary: " + ", ".join(binaries))
for p in problems:
    print("vsix-check:", p)
sys.exit(1 if problems else 0)
