#!/usr/bin/env python3
"""Builds an AppCDS archive of DynamoDB Local's classes, so its JVM starts faster.

usage: dynamodb_cds.py [--check] DYNAMODB_LOCAL_DIR [JAVA]
(--check: exit 1 when the archive is missing or made with another Java)

Writes DYNAMODB_LOCAL_DIR/awsemu-cds/: `DynamoDBLocal.jar` (DynamoDB Local's own jar with a
manifest whose Class-Path leaves out `.`: a JVM refuses to map a class archive when a non-empty
directory is on the class path) and `dynamodb-local.jsa`, a dynamic archive dumped at the exit
of one short run that serves the requests a session starts with. The emulator uses both when
they are there (`backend/mod.rs`); a JVM that cannot map the archive (another Java build) runs
without it. `complete` records the `java -version` the archive was made with.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile

OUT = "awsemu-cds"


def unfold(manifest):
    lines = []
    for line in manifest.replace("\r\n", "\n").split("\n"):
        if line.startswith(" ") and lines:
            lines[-1] += line[1:]
        else:
            lines.append(line)
    return lines


def fold(line):
    # Manifest lines are at most 72 bytes; continuations start with one space.
    out = []
    while len(line.encode()) > 72:
        out.append(line[:72])
        line = " " + line[72:]
    out.append(line)
    return out


def repack(src, dst):
    """DynamoDBLocal.jar with its Class-Path relative to `dst`'s folder, without `.`."""
    with zipfile.ZipFile(src) as zin:
        lines = []
        for line in unfold(zin.read("META-INF/MANIFEST.MF").decode()):
            if line.startswith("Class-Path:"):
                entries = line[len("Class-Path:"):].split()
                # `.` and `log4j2.xml` name the install folder and a file that is not there
                # (log4j2.xml is read from inside the jar); the native libraries listed there
                # are loaded from java.library.path, and a JVM maps no archive whose class
                # path names files that are not jars.
                kept = ["../" + e for e in entries
                        if e not in (".", "log4j2.xml") and e.endswith(".jar")]
                line = "Class-Path: " + " ".join(kept)
            lines.extend(fold(line))
        text = "\r\n".join(l for l in lines if l) + "\r\n\r\n"
        with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
            zout.writestr("META-INF/MANIFEST.MF", text)
            for info in zin.infolist():
                if info.filename != "META-INF/MANIFEST.MF":
                    zout.writestr(info, zin.read(info.filename))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(port, op, body):
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/",
        data=json.dumps(body).encode(),
        headers={
            "X-Amz-Target": "DynamoDB_20120810." + op,
            "Content-Type": "application/x-amz-json-1.0",
            "Authorization": "AWS4-HMAC-SHA256 Credential=cds/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0",
        },
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def train(java, ddbl, jar, archive):
    """One DynamoDB Local run in memory (the emulator's default mode, behind its write log)
    that serves the requests a session starts with, then exits normally so the JVM dumps the
    archive."""
    port = free_port()
    cmd = [
        java,
        f"-XX:ArchiveClassesAtExit={archive}",
        f"-Djava.library.path={os.path.join(ddbl, 'DynamoDBLocal_lib')}",
        "-jar", jar, "-inMemory", "-disableTelemetry", "-port", str(port),
    ]
    proc = subprocess.Popen(cmd, cwd=ddbl, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if call(port, "ListTables", {}) == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise SystemExit("dynamodb_cds: DynamoDB Local did not answer")
            time.sleep(0.05)
        key = {"pk": {"S": "a"}}
        steps = [
            ("CreateTable", {"TableName": "t", "BillingMode": "PAY_PER_REQUEST",
                             "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                             "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]}),
            ("DescribeTable", {"TableName": "t"}),
            ("PutItem", {"TableName": "t", "Item": {"pk": {"S": "a"}, "n": {"N": "1"}}}),
            ("GetItem", {"TableName": "t", "Key": key, "ConsistentRead": True}),
            ("UpdateItem", {"TableName": "t", "Key": key, "UpdateExpression": "SET n = n + :one",
                            "ExpressionAttributeValues": {":one": {"N": "1"}}}),
            ("Query", {"TableName": "t", "KeyConditionExpression": "pk = :p",
                       "ExpressionAttributeValues": {":p": {"S": "a"}}}),
            ("Scan", {"TableName": "t"}),
            ("BatchWriteItem", {"RequestItems": {"t": [{"PutRequest": {"Item": {"pk": {"S": "b"}}}}]}}),
            ("TransactWriteItems", {"TransactItems": [{"Put": {"TableName": "t", "Item": {"pk": {"S": "c"}}}}]}),
            ("ExecuteStatement", {"Statement": "SELECT * FROM \"t\""}),
            ("DeleteItem", {"TableName": "t", "Key": key}),
            ("DeleteTable", {"TableName": "t"}),
        ]
        for op, body in steps:
            call(port, op, body)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(120)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main():
    args = sys.argv[1:]
    check = args[:1] == ["--check"]
    args = args[1:] if check else args
    ddbl = os.path.abspath(args[0])
    java = args[1] if len(args) > 1 else "java"
    # The stamp names the Java build and the mode trained: an archive of another is made again.
    version = subprocess.run([java, "-version"], capture_output=True, text=True).stderr.strip()
    version += "\ntrained: -inMemory"
    out = os.path.join(ddbl, OUT)
    done = os.path.join(out, "complete")
    current = os.path.isfile(done) and open(done).read() == version
    if check:
        sys.exit(0 if current else 1)
    if current:
        return
    tmp = tempfile.mkdtemp(prefix=".cds-", dir=ddbl)
    try:
        jar = os.path.join(tmp, "DynamoDBLocal.jar")
        repack(os.path.join(ddbl, "DynamoDBLocal.jar"), jar)
        archive = os.path.join(tmp, "dynamodb-local.jsa")
        # The archive records the jar's path: train on the jar where it will stay.
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        final_jar = os.path.join(out, "DynamoDBLocal.jar")
        shutil.move(jar, final_jar)
        train(java, ddbl, final_jar, archive)
        if not os.path.isfile(archive):
            raise SystemExit("dynamodb_cds: the JVM wrote no archive")
        shutil.move(archive, os.path.join(out, "dynamodb-local.jsa"))
        with open(done, "w") as f:
            f.write(version)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
