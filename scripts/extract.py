#!/usr/bin/env python3
"""Extracts what the project takes from the pinned awscli/botocore packages.

corpus: the AWS CLI's RST example files for dynamodb (with wait/), dynamodbstreams and
        elasticache, copied unedited into rst-examples/<service>/ and checked against the
        committed rst-examples/manifest.json (awscli version, every file's sha256).
botocore: botocore's own examples (examples-1.json) of the same services, copied unedited into
        botocore-examples/<service>/<api version>/ and checked against the committed
        botocore-examples/manifest.json (awscli and botocore versions, every file's sha256).
models: the botocore API models of the same services with every documentation string
        stripped, written to emulator/models/ with emulator/models/manifest.json; dynamodb
        and dynamodbstreams from the pinned BOTOCORE_MODELS_VERSION in .venv-models,
        and elasticache (the newest operations) from .venv-models as well.
Run with the project's .venv python (scripts/setup does).
"""
import argparse
import gzip
import hashlib
import json
import os
import shutil
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVICES = ["dynamodb", "dynamodbstreams", "elasticache"]
MODEL_VERSIONS = {"dynamodb": "2012-08-10", "dynamodbstreams": "2012-08-10", "elasticache": "2015-02-02"}
STRIP_KEYS = {"documentation", "documentationUrl", "deprecatedMessage", "examples"}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def pinned_awscli() -> str:
    with open(os.path.join(ROOT, "scripts", "pins.env")) as f:
        for line in f:
            if line.startswith("AWSCLI_VERSION="):
                return line.strip().split("=", 1)[1]
    raise SystemExit("AWSCLI_VERSION missing from scripts/pins.env")


def installed_awscli():
    import awscli
    return awscli.__version__, os.path.join(os.path.dirname(awscli.__file__), "examples")


def corpus_files(examples_dir):
    out = {}
    for svc in SERVICES:
        base = os.path.join(examples_dir, svc)
        for dirpath, _, names in os.walk(base):
            for n in names:
                if n.endswith(".rst"):
                    full = os.path.join(dirpath, n)
                    rel = os.path.relpath(full, examples_dir).replace(os.sep, "/")
                    out[rel] = full
    return dict(sorted(out.items()))


def corpus(args):
    manifest_path = os.path.join(ROOT, "rst-examples", "manifest.json")
    dest = os.path.join(ROOT, "rst-examples")
    if args.check:
        with open(manifest_path) as f:
            manifest = json.load(f)
        bad = []
        for rel, digest in manifest["files"].items():
            p = os.path.join(dest, rel)
            if not os.path.exists(p):
                bad.append(f"missing {rel}")
            elif sha256(open(p, "rb").read()) != digest:
                bad.append(f"differs {rel}")
        for svc in SERVICES:
            for dirpath, _, names in os.walk(os.path.join(dest, svc)):
                for n in names:
                    rel = os.path.relpath(os.path.join(dirpath, n), dest).replace(os.sep, "/")
                    if rel not in manifest["files"]:
                        bad.append(f"extra {rel}")
        if bad:
            print("\n".join(bad), file=sys.stderr)
            sys.exit(1)
        print(f"corpus matches manifest ({len(manifest['files'])} files, awscli {manifest['awscli_version']})")
        return
    version, examples = installed_awscli()
    if version != pinned_awscli():
        raise SystemExit(f"installed awscli {version} is not the pinned {pinned_awscli()}")
    files = corpus_files(examples)
    for svc in SERVICES:
        shutil.rmtree(os.path.join(dest, svc), ignore_errors=True)
    for rel, src in files.items():
        target = os.path.join(dest, rel)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(src, target)
    digests = {rel: sha256(open(src, "rb").read()) for rel, src in files.items()}
    if args.write_manifest or not os.path.exists(manifest_path):
        with open(manifest_path, "w") as f:
            json.dump({"awscli_version": version, "files": digests}, f, indent=1)
            f.write("\n")
    with open(manifest_path) as f:
        manifest = json.load(f)
    if manifest["awscli_version"] != version or manifest["files"] != digests:
        raise SystemExit("extracted corpus differs from rst-examples/manifest.json (awscli version or file digests)")
    print(f"corpus: {len(files)} files from awscli {version}")


def botocore_data():
    # awscli 1.46 vendors botocore as awscli.botocore; older releases depend on it.
    try:
        from awscli import botocore
    except ImportError:
        import botocore
    return botocore.__version__, os.path.join(os.path.dirname(botocore.__file__), "data")


def botocore_examples(args):
    dest = os.path.join(ROOT, "botocore-examples")
    manifest_path = os.path.join(dest, "manifest.json")
    rels = [f"{svc}/{MODEL_VERSIONS[svc]}/examples-1.json" for svc in SERVICES]
    if args.check:
        with open(manifest_path) as f:
            manifest = json.load(f)
        bad = []
        for rel, digest in manifest["files"].items():
            p = os.path.join(dest, rel)
            if not os.path.exists(p):
                bad.append(f"missing {rel}")
            elif sha256(open(p, "rb").read()) != digest:
                bad.append(f"differs {rel}")
        if bad:
            print("\n".join(bad), file=sys.stderr)
            sys.exit(1)
        print(f"botocore examples match manifest ({len(manifest['files'])} files, botocore {manifest['botocore_version']})")
        return
    version, _ = installed_awscli()
    if version != pinned_awscli():
        raise SystemExit(f"installed awscli {version} is not the pinned {pinned_awscli()}")
    bc_version, data = botocore_data()
    digests = {}
    for svc in SERVICES:
        shutil.rmtree(os.path.join(dest, svc), ignore_errors=True)
    for rel in rels:
        src = os.path.join(data, rel)
        target = os.path.join(dest, rel)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(src, target)
        digests[rel] = sha256(open(src, "rb").read())
    # Operations whose API model has no output shape: an example of one that shows no output
    # documents "no output", which the evaluator compares (the examples file cannot say it).
    no_output = {}
    for svc in SERVICES:
        base = os.path.join(data, svc, MODEL_VERSIONS[svc])
        path = os.path.join(base, "service-2.json.gz")
        raw = gzip.open(path).read() if os.path.exists(path) else open(os.path.join(base, "service-2.json"), "rb").read()
        ops = json.loads(raw)["operations"]
        no_output[svc] = sorted(name for name, op in ops.items() if "output" not in op)
    if args.write_manifest or not os.path.exists(manifest_path):
        with open(manifest_path, "w") as f:
            json.dump({"awscli_version": version, "botocore_version": bc_version, "files": digests,
                       "no_output_operations": no_output}, f, indent=1)
            f.write("\n")
    with open(manifest_path) as f:
        manifest = json.load(f)
    if (manifest["awscli_version"] != version or manifest["files"] != digests
            or manifest.get("no_output_operations") != no_output):
        raise SystemExit("extracted botocore examples differ from botocore-examples/manifest.json (awscli version, file digests or operations without output)")
    print(f"botocore examples: {len(digests)} files from botocore {bc_version} (awscli {version})")


def strip(node):
    if isinstance(node, dict):
        return {k: strip(v) for k, v in node.items() if k not in STRIP_KEYS}
    if isinstance(node, list):
        return [strip(v) for v in node]
    return node


# The newest operations (DynamoDB vector search and bulk puts, ElastiCache PrepareMigration and
# StopMigration) are in botocore releases newer than the one awscli 1.46 vendors. The CLI keeps
# its own vendored models; the emulator answers the newest ones.
NEWEST_MODELS = {"dynamodb", "dynamodbstreams", "elasticache"}
MODELS_VENV = os.path.join(ROOT, ".venv-models")


def pinned_models_botocore() -> str:
    with open(os.path.join(ROOT, "scripts", "pins.env")) as f:
        for line in f:
            if line.startswith("BOTOCORE_MODELS_VERSION="):
                return line.strip().split("=", 1)[1]
    raise SystemExit("BOTOCORE_MODELS_VERSION missing from scripts/pins.env")


def models_botocore():
    """(version, data dir) of the pinned botocore in .venv-models (scripts/setup installs it)."""
    import subprocess
    py = os.path.join(MODELS_VENV, "bin", "python")
    if not os.path.exists(py):
        raise SystemExit(".venv-models missing: run scripts/setup")
    got = subprocess.run([py, "-c", "import botocore, os; print(botocore.__version__); "
                          "print(os.path.join(os.path.dirname(botocore.__file__), 'data'))"],
                         capture_output=True, text=True, check=True).stdout.split("\n")
    version, data = got[0], got[1]
    if version != pinned_models_botocore():
        raise SystemExit(f".venv-models has botocore {version}, not the pinned {pinned_models_botocore()}")
    return version, data


def render_models():
    # awscli 1.46 vendors botocore as awscli.botocore; older releases depend on it.
    try:
        from awscli import botocore
    except ImportError:
        import botocore
    vendored = os.path.join(os.path.dirname(botocore.__file__), "data")
    newest_version, newest = models_botocore()
    out = {}
    for svc in SERVICES:
        base = os.path.join(newest if svc in NEWEST_MODELS else vendored, svc, MODEL_VERSIONS[svc])
        path = os.path.join(base, "service-2.json.gz")
        raw = gzip.open(path).read() if os.path.exists(path) else open(os.path.join(base, "service-2.json"), "rb").read()
        model = strip(json.loads(raw))
        out[f"{svc}.json"] = (json.dumps(model, indent=1) + "\n").encode()
    manifest = {
        "botocore_version": botocore.__version__,
        "awscli_version": pinned_awscli(),
        "models_botocore_version": newest_version,
        "sources": {f"{svc}.json": f"botocore {newest_version}" if svc in NEWEST_MODELS
                    else f"awscli {pinned_awscli()} (botocore {botocore.__version__})" for svc in SERVICES},
        "files": {name: sha256(body) for name, body in out.items()},
    }
    out["manifest.json"] = (json.dumps(manifest, indent=1) + "\n").encode()
    return out


def models(args):
    dest = os.path.join(ROOT, "emulator", "models")
    rendered = render_models()
    if args.check:
        bad = [n for n, body in rendered.items()
               if not os.path.exists(os.path.join(dest, n)) or open(os.path.join(dest, n), "rb").read() != body]
        if bad:
            print("API models differ from the pinned botocore: " + ", ".join(bad) + " (run scripts/extract.py models)", file=sys.stderr)
            sys.exit(1)
        print("API models match the pinned botocore")
        return
    os.makedirs(dest, exist_ok=True)
    for n, body in rendered.items():
        with open(os.path.join(dest, n), "wb") as f:
            f.write(body)
    print(f"models: {', '.join(sorted(rendered))} written to emulator/models/")


def main():
    p = argparse.ArgumentParser(description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("corpus")
    c.add_argument("--check", action="store_true")
    c.add_argument("--write-manifest", action="store_true")
    b = sub.add_parser("botocore")
    b.add_argument("--check", action="store_true")
    b.add_argument("--write-manifest", action="store_true")
    m = sub.add_parser("models")
    m.add_argument("--check", action="store_true")
    args = p.parse_args()
    {"corpus": corpus, "botocore": botocore_examples, "models": models}[args.cmd](args)


if __name__ == "__main__":
    main()
