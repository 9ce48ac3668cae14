# Warm AWS CLI driver for the evaluator: runs many `aws ...` commands in one Python process.
# Protocol: one JSON request per line on stdin {"argv": [...], "env": {...}, "cwd": "..."};
# one JSON reply per line {"exit_code": int, "stdout": str, "stderr": str}.
# The AWS CLI's driver is created once per distinct environment and reused: creating it (plugins,
# command table, endpoint resolver) costs most of a command's time. Its session caches what it read
# from the environment (credentials, region), hence one driver per environment, not one per
# process. What a command changes on a reused driver (`--region` sets a session variable, the CLI
# adds a log handler) is put back after every command, so each one starts as in a fresh `aws`.
import collections
import io
import json
import logging
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


# botocore's data loader caches the parsed API models; sharing one loader across the sessions skips
# re-reading the same model files (the files and search path never change).
LOADER = None
# Drivers by environment, least recently used first; a worker sees a handful of environments (its
# account in a few regions, the accounts named by ARNs), the bound only caps memory.
DRIVERS = collections.OrderedDict()
MAX_DRIVERS = 16
LOGGERS = ("awscli", "botocore", "s3transfer", "urllib3")


def driver_for(env):
    global LOADER
    key = json.dumps(sorted(env.items()))
    driver = DRIVERS.pop(key, None)
    if driver is None:
        driver = awscli.clidriver.create_clidriver()
        if LOADER is None:
            LOADER = driver.session.get_component("data_loader")
        else:
            driver.session.register_component("data_loader", LOADER)
    DRIVERS[key] = driver
    while len(DRIVERS) > MAX_DRIVERS:
        DRIVERS.popitem(last=False)
    return driver


def logger_state():
    return {
        name: (logging.getLogger(name).level, list(logging.getLogger(name).handlers))
        for name in LOGGERS
    }


def restore_loggers(state):
    for name, (level, handlers) in state.items():
        log = logging.getLogger(name)
        log.setLevel(level)
        log.handlers[:] = handlers


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
    driver = None
    try:
        os.chdir(req["cwd"])
        os.environ.clear()
        os.environ.update(req["env"])
        if DATA_PATH is not None:
            os.environ["AWS_DATA_PATH"] = DATA_PATH
        sys.stdout, sys.stderr = out, err
        try:
            driver = driver_for(req["env"])
            session_vars = dict(driver.session._session_instance_vars)
            loggers = logger_state()
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
            # A driver an unexpected exception went through may be half-way through something:
            # the next command with this environment gets a new one.
            DRIVERS.pop(json.dumps(sorted(req["env"].items())), None)
    finally:
        sys.stdout, sys.stderr = real_out, real_err
        if driver is not None:
            driver.session._session_instance_vars.clear()
            driver.session._session_instance_vars.update(session_vars)
            restore_loggers(loggers)
    reply = {"exit_code": code, "stdout": text_of(out), "stderr": text_of(err)}
    proto_out.write(json.dumps(reply) + "\n")
    proto_out.flush()
