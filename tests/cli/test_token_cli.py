"""``eldernet token create | list | revoke`` as a real subprocess, and the token used against a running node."""
import json
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request

import yaml

from shared.cli import main

from tests.cli.test_cli import ROOT, clean_env, eldernet, free_port, read, unique_id, vhost, write_config  # noqa: F401 (vhost: a fixture)
from tests.support.broker import wait_for

TOKEN = re.compile(r"^    (eln_([0-9a-f]{16})\.[A-Za-z0-9_-]{43})$", re.MULTILINE)


def create(config, *args):
    result = eldernet("token", "create", "-c", str(config), *args)
    assert result.returncode == 0, result.stderr
    text, token_id = TOKEN.search(result.stdout).groups()
    return text, token_id, result.stdout


def test_create_list_and_revoke(tmp_path):
    config = write_config(tmp_path, "xinfu-s03", "--http-port", "8123")  # a town node, area 210402003
    text, token_id, output = create(config, "--area", "210402003001", "--role", "operator",
                                    "--expires-in-days", "90", "--label", "社区 front desk")
    assert f"API token {token_id} made: role operator, area 210402003001, expires 20" in output
    assert f'curl -H "Authorization: Bearer {text}" http://127.0.0.1:8123/api/v1/node/status' in output
    create(config, "--area", "210402003", "--role", "viewer")

    listed = eldernet("token", "list", "-c", str(config))
    assert listed.returncode == 0, listed.stderr
    rows = listed.stdout.splitlines()
    assert rows[0].split() == ["TOKEN", "ID", "ROLE", "AREA", "STATE", "EXPIRES", "LABEL"]
    assert rows[1].split()[:4] == [token_id, "operator", "210402003001", "active"] and rows[1].endswith("社区 front desk")
    assert rows[2].split()[1:5] == ["viewer", "210402003", "active", "never"]
    assert text.split(".")[1] not in listed.stdout

    revoked = eldernet("token", "revoke", "-c", str(config), token_id, "--reason", "left the job")
    assert revoked.returncode == 0, revoked.stderr
    assert revoked.stdout.strip() == f"API token {token_id} (operator, area 210402003001) is revoked"
    assert eldernet("token", "list", "-c", str(config)).stdout.splitlines()[1].split()[3] == "revoked"


def test_a_bad_answer_is_refused_naming_the_flag(tmp_path, capsys):
    """In-process (the same main() as the console script), which is fast enough for many cases."""
    config = write_config(tmp_path, "xinfu-s03")
    for args, message in (
        (["create", "--area", "210402004", "--role", "admin"],
         "eldernet: token create: --area: 210402004 is outside this node's area 210402003"),
        (["create", "--area", "2104O2003", "--role", "admin"], "eldernet: token create: --area: '2104O2003' is not"),
        (["create", "--area", "210402003", "--role", "boss"], "argument --role: invalid choice: 'boss'"),
        (["create", "--area", "210402003", "--role", "admin", "--expires-in-days", "0"],
         "argument --expires-in-days: '0' is not a whole number of days >= 1"),
        (["revoke", "0123456789abcdef"], "eldernet: token revoke: TOKEN_ID: no token with id '0123456789abcdef'"),
    ):
        try:
            returncode = main(["token", args[0], "-c", str(config), *args[1:]])
        except SystemExit as exit_:  # argparse's own refusals
            returncode = exit_.code
        assert returncode == 2, args
        assert message in capsys.readouterr().err
    assert main(["token", "list", "-c", str(config)]) == 0
    assert "no API tokens" in capsys.readouterr().out


def get(url, token=None):
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_a_token_made_on_the_node_opens_its_api_until_revoked(tmp_path, vhost):
    port = free_port()
    config = write_config(tmp_path, unique_id("api"), "--amqp-uri", f"amqp://guest:guest@127.0.0.1:5672/{vhost}",
                          "--http-port", str(port))
    settings = yaml.safe_load(config.read_text())
    settings["ELDERNET"]["services"] = ["node"]
    config.write_text(yaml.safe_dump(settings))
    log = open(tmp_path / "node.log", "w+")
    node = subprocess.Popen([sys.executable, "-m", "shared.cli", "node", "run", "-c", str(config)],
                            cwd=ROOT, env=clean_env(), stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        def healthy():
            assert node.poll() is None, read(log)
            try:
                return get(f"{base}/healthz")[0] == 200
            except OSError:
                return False

        wait_for(healthy, timeout=60, interval=0.1, message="the node's HTTP API")
        text, token_id, _ = create(config, "--area", "210402003", "--role", "viewer")  # while the node runs
        status, body = get(f"{base}/api/v1/node/status", text)
        assert status == 200 and body["area_code"] == "210402003", body
        assert eldernet("token", "revoke", "-c", str(config), token_id).returncode == 0
        assert get(f"{base}/api/v1/node/status", text) == (401, {"error": {
            "code": "unauthorized", "message": f"API token {token_id} has been revoked", "fields": {}}})
        assert "/api/v1/node/status" in get(f"{base}/api/v1/openapi.json")[1]["paths"]
        node.send_signal(signal.SIGTERM)
        assert node.wait(timeout=30) == 0, read(log)
    finally:
        if node.poll() is None:
            node.kill()
            node.wait(10)
        log.close()
    assert text.split(".")[1] not in (tmp_path / "node.log").read_text()
