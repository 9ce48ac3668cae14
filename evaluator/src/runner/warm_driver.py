# Warm AWS CLI driver for the evaluator: runs many `aws ...` commands in one Python process.
# Protocol: one JSON request per line on stdin {"argv": [...], "env": {...}, "cwd": "..."};
# one JSON reply per line {"exit_code": int, "stdout": str, "stderr": str}.
# The AWS CLI reads the environment when its driver is created, so every command gets a fresh
# driver after os.environ and the working directory are set.
import io
import json
import os
import sys
import traceback

# The protocol owns the real stdin/stdout; the CLI gets /dev/null and captured streams.
proto_in = os.fdopen(os.dup(0), "r", encoding="utf-8")
proto_out = os.fdopen(os.dup(1), "w", encoding="utf-8")
devnull = os.open(os.devnull, os.O_RDWR)
os.dup2(devnull, 0)
os.dup2(devnull, 1)
sys.stdin = open(os.devnull, "r")

import awscli.clidriver  # noqa: E402  (imported once: this is what makes the driver warm)

# Importing awscli sets AWS_DATA_PATH (where its own data files live), as it does in every fresh
# `aws` process; keep it when the environment is replaced per command.
DATA_PATH = os.environ.get("AWS_DATA_PATH")

proto_out.write(json.dumps({"ready": True}) + "\n")
proto_out.flush()


# botocore's data loader caches the parsed API models; sharing one loader across the per-command
# sessions skips re-reading the same model files (the files and search path never change).
LOADER = None


def capture():
    return io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="replace", write_through=True)


def text_of(stream):
    stream.flush()
    return stream.buffer.getvalue().decode("utf-8", errors="replace")


for line in proto_in:
    if not line.strip():
        continue
    req = json.loads(line)
    out, err = capture(), capture()
    real_out, real_err = sys.stdout, sys.stderr
    code = 255
    try:
        os.chdir(req["cwd"])
        os.environ.clear()
        os.environ.update(req["env"])
        if DATA_PATH is not None:
            os.environ["AWS_DATA_PATH"] = DATA_PATH
        sys.stdout, sys.stderr = out, err
        try:
            driver = awscli.clidriver.create_clidriver()
            if LOADER is None:
                LOADER = driver.session.get_component("data_loader")
            else:
                driver.session.register_component("data_loader", LOADER)
            rc = driver.main(req["argv"][1:])
            code = 0 if rc is None else int(rc)
        except SystemExit as e:
            if e.code is None:
                code = 0
            elif isinstance(e.code, int):
                code = e.code
            else:
                err.write(str(e.code) + "\n")
                code = 1
        except BaseException:
            err.write(traceback.format_exc())
            code = 255
    finally:
        sys.stdout, sys.stderr = real_out, real_err
    reply = {"exit_code": code, "stdout": text_of(out), "stderr": text_of(err)}
    proto_out.write(json.dumps(reply) + "\n")
    proto_out.flush()
